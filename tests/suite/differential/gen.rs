//! The program generator of the differential test: a seed gives one random, well-typed
//! SolvraScript function body whose output is fully specified by LANGUAGE.md.
//!
//! Programs mix ints (wrapping arithmetic near the 64-bit limits included), floats, strings,
//! bools, arrays (value semantics), objects (reference semantics), loops with `break` and
//! `continue`, closures that capture and mutate variables, nested and recursive functions,
//! `match` with guards and array/object patterns, and `try`/`catch`/`finally` with `panic`.
//! Runtime errors are allowed (division by zero, out-of-range indexes, wrong operand types):
//! their messages are normative (§3.14.4) and the harness catches them.
//!
//! What is never generated, because its outcome is not the same in every correct
//! implementation or every run: clocks, randomness, tasks and timers, I/O other than `println`,
//! recursion deep enough to reach a stack limit, and anything that could loop forever or grow
//! memory without bound (loops are counted and short, strings only grow by appending).

/// splitmix64: a tiny generator whose sequence for a seed never changes, so a seed printed
/// today reproduces the same program with any later version of this file's dependencies.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The static type of a generated expression: what the generator knows a value will be.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Int,
    Float,
    Str,
    Bool,
    /// An array of ints.
    Arr,
    /// An object with an int field `n` and a string field `s` (neither ever null).
    Obj,
    /// A closure taking one int and returning an int.
    IntFn,
}

const VALUE_TYPES: [Ty; 6] = [Ty::Int, Ty::Float, Ty::Str, Ty::Bool, Ty::Arr, Ty::Obj];

struct Var {
    name: String,
    ty: Ty,
    /// A loop counter inside its loop: never assigned, so every loop ends.
    fixed: bool,
}

/// A function declared in the program: `name(int, …) -> ret`.
struct Func {
    name: String,
    params: usize,
    ret: Ty,
}

/// A scope's view of the names in reach.
#[derive(Default)]
struct Scope {
    vars: Vec<Var>,
    funcs: Vec<Func>,
}

struct Gen {
    rng: Rng,
    out: String,
    indent: usize,
    scopes: Vec<Scope>,
    next_name: usize,
    /// Enclosing counted loops (break/continue are allowed when > 0).
    loops: usize,
    /// Statements still to generate in the whole program (bounds its size).
    budget: usize,
    /// Variables whose type is Str may not be read (right-hand sides of string assignments,
    /// so a string never doubles in a loop).
    no_str_vars: bool,
    /// Inside a function or closure body: no calls there, so the call graph is one level deep
    /// and the work a program does stays small.
    in_fn: usize,
}

/// The body of a function `fn NAME() { … }` generated from `seed`: statements only, indented
/// by one level, ending with a newline.
pub fn program(seed: u64) -> String {
    let mut g = Gen {
        rng: Rng::new(seed),
        out: String::new(),
        indent: 1,
        scopes: vec![Scope::default()],
        next_name: 0,
        loops: 0,
        budget: 0,
        no_str_vars: false,
        in_fn: 0,
    };
    g.budget = 6 + g.rng.below(16);
    // A few values and helpers first, so the statements have something to work on.
    for ty in [Ty::Int, Ty::Str, Ty::Arr] {
        g.let_stmt(Some(ty));
    }
    if g.rng.chance(60) {
        g.let_stmt(Some(Ty::Obj));
    }
    while g.budget > 0 {
        g.stmt(0);
    }
    g.println_stmt();
    g.out
}

impl Gen {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        format!("{prefix}{}", self.next_name)
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn vars_of(&self, ty: Ty) -> Vec<String> {
        self.scopes
            .iter()
            .flat_map(|s| s.vars.iter())
            .filter(|v| v.ty == ty && !(self.no_str_vars && ty == Ty::Str))
            .map(|v| v.name.clone())
            .collect()
    }

    /// Variables of type `ty` that statements and closures may assign.
    fn assignable(&self, ty: Ty) -> Vec<String> {
        self.scopes
            .iter()
            .flat_map(|s| s.vars.iter())
            .filter(|v| v.ty == ty && !v.fixed)
            .map(|v| v.name.clone())
            .collect()
    }

    fn funcs_returning(&self, ty: Ty) -> Vec<(String, usize)> {
        self.scopes
            .iter()
            .flat_map(|s| s.funcs.iter())
            .filter(|f| f.ret == ty)
            .map(|f| (f.name.clone(), f.params))
            .collect()
    }

    fn declare(&mut self, name: String, ty: Ty) {
        self.declare_var(name, ty, false);
    }

    fn declare_var(&mut self, name: String, ty: Ty, fixed: bool) {
        self.scopes
            .last_mut()
            .expect("a scope")
            .vars
            .push(Var { name, ty, fixed });
    }

    /// A block `{ … }` of 1–3 statements in a new scope, after `head` (which ends with ` {`).
    fn block(&mut self, head: &str, depth: usize, setup: impl FnOnce(&mut Gen)) {
        self.line(head);
        self.indent += 1;
        self.scopes.push(Scope::default());
        setup(self);
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            self.stmt(depth + 1);
        }
        self.scopes.pop();
        self.indent -= 1;
    }

    fn stmt(&mut self, depth: usize) {
        self.budget = self.budget.saturating_sub(1);
        let nested = depth < 3 && self.budget > 0;
        match self.rng.below(if nested { 20 } else { 9 }) {
            0 | 1 => self.let_stmt(None),
            2 | 3 => self.assign_stmt(),
            4..=6 => self.println_stmt(),
            7 => self.place_stmt(),
            8 if self.loops > 0 => self.jump_stmt(),
            8 => self.println_stmt(),
            9 | 10 => self.if_stmt(depth),
            11 => self.for_stmt(depth),
            12 => self.while_stmt(depth),
            13 => self.try_stmt(depth),
            14 => self.closure_stmt(),
            15 | 16 => self.fn_stmt(depth),
            17 => self.alias_stmt(),
            18 => self.match_stmt(),
            _ => self.recursive_fn_stmt(),
        }
    }

    fn let_stmt(&mut self, ty: Option<Ty>) {
        let ty = ty.unwrap_or_else(|| *self.rng.pick(&VALUE_TYPES));
        let e = self.expr(ty, 3);
        let name = self.fresh("v");
        self.line(&format!("let mut {name} = {e}"));
        self.declare(name, ty);
    }

    fn assign_stmt(&mut self) {
        let ty = *self
            .rng
            .pick(&[Ty::Int, Ty::Int, Ty::Float, Ty::Str, Ty::Arr, Ty::Bool]);
        let vars = self.assignable(ty);
        if vars.is_empty() {
            return self.let_stmt(Some(ty));
        }
        let v = self.rng.pick(&vars).clone();
        self.no_str_vars = ty == Ty::Str;
        let e = self.expr(ty, 3);
        self.no_str_vars = false;
        let op = match ty {
            Ty::Int | Ty::Float | Ty::Str if self.rng.chance(50) => "+=",
            Ty::Int | Ty::Float if self.rng.chance(30) => *self.rng.pick(&["-=", "*="]),
            _ => "=",
        };
        self.line(&format!("{v} {op} {e}"));
    }

    fn println_stmt(&mut self) {
        let ty = *self.rng.pick(&VALUE_TYPES);
        let e = if self.rng.chance(2) {
            self.ill_typed()
        } else {
            self.expr(ty, 4)
        };
        if self.rng.chance(30) {
            let label = self.fresh("p");
            self.line(&format!("println(\"{label}: \", {e})"));
        } else {
            self.line(&format!("println({e})"));
        }
    }

    /// An expression that is a runtime error or at least exercises a mixed-type path.
    fn ill_typed(&mut self) -> String {
        let a = *self.rng.pick(&VALUE_TYPES);
        let b = *self.rng.pick(&VALUE_TYPES);
        let x = self.expr(a, 1);
        let y = self.expr(b, 1);
        let op = *self
            .rng
            .pick(&["+", "-", "*", "/", "%", "<", ">=", "==", "!="]);
        format!("({x} {op} {y})")
    }

    /// Assignment through a place: an array element (written back through value semantics)
    /// or an object field.
    fn place_stmt(&mut self) {
        if self.rng.chance(50) {
            let arrs = self.assignable(Ty::Arr);
            if let Some(a) = arrs.first().cloned() {
                let i = self.index_for(&a);
                let e = self.expr(Ty::Int, 2);
                let op = *self.rng.pick(&["=", "+=", "-="]);
                return self.line(&format!("{a}[{i}] {op} {e}"));
            }
        }
        let objs = self.vars_of(Ty::Obj);
        if let Some(o) = objs.last().cloned() {
            if self.rng.chance(50) {
                let e = self.expr(Ty::Int, 2);
                self.line(&format!("{o}.n += {e}"));
            } else {
                let e = self.expr(Ty::Int, 2);
                self.line(&format!("{o}[\"s\"] = \"k\" + str({e})"));
            }
        } else {
            self.let_stmt(Some(Ty::Obj));
        }
    }

    /// An index into array variable `a`: usually in range, sometimes negative, sometimes not.
    fn index_for(&mut self, a: &str) -> String {
        let i = self.expr(Ty::Int, 1);
        match self.rng.below(12) {
            0 => i,
            1 => "-1".to_string(),
            _ => format!("({i}) % max(len({a}), 1)"),
        }
    }

    fn jump_stmt(&mut self) {
        let c = self.expr(Ty::Bool, 2);
        let kw = if self.rng.chance(50) {
            "break"
        } else {
            "continue"
        };
        self.line(&format!("if {c} {{ {kw} }}"));
    }

    fn if_stmt(&mut self, depth: usize) {
        let c = self.expr(Ty::Bool, 3);
        self.block(&format!("if {c} {{"), depth, |_| {});
        if self.rng.chance(30) {
            let c = self.expr(Ty::Bool, 2);
            let kw = if self.rng.chance(50) {
                "elif"
            } else {
                "} else if"
            };
            if kw == "elif" {
                self.line("}");
                self.block(&format!("elif {c} {{"), depth, |_| {});
            } else {
                self.block(&format!("}} else if {c} {{"), depth, |_| {});
            }
        }
        if self.rng.chance(50) {
            self.block("} else {", depth, |_| {});
        }
        self.line("}");
    }

    fn for_stmt(&mut self, depth: usize) {
        let x = self.fresh("x");
        let (iter, ty) = match self.rng.below(4) {
            0 => (format!("{}[:6]", self.expr(Ty::Str, 1)), Ty::Str),
            1 => {
                let objs = self.vars_of(Ty::Obj);
                match objs.first() {
                    Some(o) => (o.clone(), Ty::Str),
                    None => (self.short_array(), Ty::Int),
                }
            }
            _ => (self.short_array(), Ty::Int),
        };
        self.loops += 1;
        let xs = x.clone();
        self.block(&format!("for {x} in {iter} {{"), depth, move |g| {
            g.declare(xs, ty)
        });
        self.loops -= 1;
        self.line("}");
    }

    /// An array expression of at most 5 elements (so loops over it stay short).
    fn short_array(&mut self) -> String {
        let arrs = self.vars_of(Ty::Arr);
        if !arrs.is_empty() && self.rng.chance(50) {
            let a = self.rng.pick(&arrs).clone();
            return format!("{a}[:5]");
        }
        let n = self.rng.below(5);
        let items: Vec<String> = (0..n).map(|_| self.expr(Ty::Int, 1)).collect();
        format!("[{}]", items.join(", "))
    }

    /// A counted `while`: the counter is stepped first, so `continue` cannot skip it.
    fn while_stmt(&mut self, depth: usize) {
        let i = self.fresh("i");
        let n = 1 + self.rng.below(4);
        self.line(&format!("let mut {i} = 0"));
        self.loops += 1;
        let is = i.clone();
        self.block(&format!("while {i} < {n} {{"), depth, move |g| {
            g.line(&format!("{is} += 1"));
            g.declare_var(is, Ty::Int, true);
        });
        self.loops -= 1;
        self.line("}");
        self.declare(i, Ty::Int);
    }

    fn try_stmt(&mut self, depth: usize) {
        // A loop's break/continue inside try/finally is allowed, but keep these blocks simple.
        let saved = std::mem::take(&mut self.loops);
        self.block("try {", depth, |g| {
            if g.rng.chance(40) {
                let e = g.expr(Ty::Str, 2);
                let c = g.expr(Ty::Bool, 1);
                g.line(&format!("if {c} {{ panic {e} }}"));
            }
        });
        let e = self.fresh("e");
        let es = e.clone();
        self.block(&format!("}} catch {e} {{"), depth, move |g| {
            g.line(&format!("println(\"caught: \" + {es})"));
            g.declare(es, Ty::Str);
        });
        if self.rng.chance(40) {
            self.block("} finally {", depth, |_| {});
        }
        self.line("}");
        self.loops = saved;
    }

    /// A closure over an int variable: either a lambda reading it or a function expression
    /// that increments it (captures are by reference, §3.3.3).
    fn closure_stmt(&mut self) {
        let name = self.fresh("c");
        let ints = self.assignable(Ty::Int);
        if !ints.is_empty() && self.rng.chance(40) {
            let v = self.rng.pick(&ints).clone();
            let k = self.rng.below(5);
            self.line(&format!(
                "let {name} = fn (d) {{ {v} += d + {k}; return {v} }}"
            ));
        } else {
            self.scopes.push(Scope::default());
            self.declare("p".into(), Ty::Int);
            self.in_fn += 1;
            let body = self.expr(Ty::Int, 3);
            self.in_fn -= 1;
            self.scopes.pop();
            self.line(&format!("let {name} = lambda |p| -> {body}"));
        }
        self.declare(name, Ty::IntFn);
    }

    /// A nested function declaration with int parameters, a short body and a typed return.
    fn fn_stmt(&mut self, depth: usize) {
        let name = self.fresh("f");
        let params = self.rng.below(3);
        let ret = *self.rng.pick(&VALUE_TYPES);
        let param_names: Vec<String> = (0..params).map(|k| format!("a{k}")).collect();
        let head = format!("fn {name}({}) {{", param_names.join(", "));
        let saved = std::mem::take(&mut self.loops);
        self.in_fn += 1;
        self.block(&head, depth, |g| {
            for p in &param_names {
                g.declare(p.clone(), Ty::Int);
            }
        });
        // The block has popped its scope; the return needs the parameters again.
        self.indent += 1;
        self.scopes.push(Scope::default());
        for p in (0..params).map(|k| format!("a{k}")) {
            self.declare(p, Ty::Int);
        }
        let e = self.expr(ret, 3);
        self.line(&format!("return {e}"));
        self.scopes.pop();
        self.indent -= 1;
        self.in_fn -= 1;
        self.line("}");
        self.loops = saved;
        self.scopes
            .last_mut()
            .expect("a scope")
            .funcs
            .push(Func { name, params, ret });
    }

    /// A recursive function with a depth that always ends (at most 12 calls deep).
    fn recursive_fn_stmt(&mut self) {
        let name = self.fresh("r");
        self.scopes.push(Scope::default());
        self.declare("n".into(), Ty::Int);
        self.in_fn += 1;
        let step = self.expr(Ty::Int, 2);
        self.in_fn -= 1;
        self.scopes.pop();
        let base = self.rng.below(10);
        self.line(&format!(
            "fn {name}(n) {{ if n <= 0 {{ return {base} }} return {name}(n - 1) + ({step}) }}"
        ));
        self.scopes.last_mut().expect("a scope").funcs.push(Func {
            name,
            params: 1,
            ret: Ty::Int,
        });
    }

    /// Aliasing: arrays copy, objects share (§3.10.1, §3.11.1).
    fn alias_stmt(&mut self) {
        let ty = if self.rng.chance(50) {
            Ty::Arr
        } else {
            Ty::Obj
        };
        let vars = self.vars_of(ty);
        let Some(src) = vars.last().cloned() else {
            return self.let_stmt(Some(ty));
        };
        let name = self.fresh("v");
        self.line(&format!("let mut {name} = {src}"));
        let e = self.expr(Ty::Int, 1);
        if ty == Ty::Arr {
            self.line(&format!("{name} = push({name}, {e})"));
        } else {
            self.line(&format!("{name}.n = {e}"));
        }
        self.line(&format!("println({src}, \" / \", {name})"));
        self.declare(name, ty);
    }

    fn match_stmt(&mut self) {
        let ty = *self.rng.pick(&VALUE_TYPES);
        let e = self.match_expr(ty, 3);
        self.line(&format!("println({e})"));
    }

    /// `match` over an int, an array or an object, with literal, binding, array and object
    /// patterns and guards; always ends with a catch-all arm of type `ty` (or, rarely, none,
    /// so `no match arm matched` is tested too).
    fn match_expr(&mut self, ty: Ty, depth: usize) -> String {
        let mut arms = Vec::new();
        let scrutinee;
        match self.rng.below(3) {
            0 => {
                scrutinee = self.expr(Ty::Int, 2);
                for _ in 0..1 + self.rng.below(3) {
                    let lit = self.rng.below(6);
                    let body = self.expr(ty, depth - 1);
                    arms.push(format!("{lit} -> {body}"));
                }
                self.scopes.push(Scope::default());
                self.declare("m".into(), Ty::Int);
                let guard = self.expr(Ty::Bool, 1);
                let body = self.expr(ty, depth - 1);
                self.scopes.pop();
                arms.push(format!("m if {guard} -> {body}"));
            }
            1 => {
                scrutinee = self.expr(Ty::Arr, 2);
                self.scopes.push(Scope::default());
                self.declare("h".into(), Ty::Int);
                self.declare("t".into(), Ty::Int);
                let body = self.expr(ty, depth - 1);
                self.scopes.pop();
                arms.push(format!("[h, t] -> {body}"));
                let body = self.expr(ty, depth - 1);
                arms.push(format!("[] -> {body}"));
                let body = self.expr(ty, depth - 1);
                arms.push(format!("[1, _, _] -> {body}"));
            }
            _ => {
                scrutinee = self.expr(Ty::Obj, 2);
                self.scopes.push(Scope::default());
                self.declare("q".into(), Ty::Int);
                let guard = self.expr(Ty::Bool, 1);
                let body = self.expr(ty, depth - 1);
                self.scopes.pop();
                arms.push(format!("{{n: q}} if {guard} -> {body}"));
                let body = self.expr(ty, depth - 1);
                arms.push(format!("{{s: \"k1\"}} => {body}"));
            }
        }
        if !self.rng.chance(5) {
            let body = self.expr(ty, depth - 1);
            arms.push(format!("_ -> {body}"));
        }
        format!("match {scrutinee} {{ {} }}", arms.join(", "))
    }

    /// An expression of type `ty`; `depth` bounds its nesting.
    fn expr(&mut self, ty: Ty, depth: usize) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // Forms every type shares: a variable, a conditional, a match, a function call.
        match self.rng.below(14) {
            0 => return self.leaf(ty),
            1 => {
                let c = self.expr(Ty::Bool, d);
                let a = self.expr(ty, d);
                let b = self.expr(ty, d);
                return if self.rng.chance(50) {
                    format!("(if {c} then {a} else {b})")
                } else {
                    format!("(if {c} {{ {a} }} else {{ {b} }})")
                };
            }
            2 if depth >= 2 => return format!("({})", self.match_expr(ty, d)),
            3 => {
                if let Some(call) = self.call(ty, d) {
                    return call;
                }
            }
            _ => {}
        }
        match ty {
            Ty::Int => self.int_expr(d),
            Ty::Float => self.float_expr(d),
            Ty::Str => self.str_expr(d),
            Ty::Bool => self.bool_expr(d),
            Ty::Arr => self.arr_expr(d),
            Ty::Obj => self.obj_expr(d),
            Ty::IntFn => self.leaf(ty),
        }
    }

    /// A call of a declared function or closure that returns `ty`.
    fn call(&mut self, ty: Ty, d: usize) -> Option<String> {
        if self.in_fn > 0 {
            return None;
        }
        let funcs = self.funcs_returning(ty);
        let closures = if ty == Ty::Int {
            self.vars_of(Ty::IntFn)
        } else {
            Vec::new()
        };
        if !closures.is_empty() && (funcs.is_empty() || self.rng.chance(50)) {
            let c = self.rng.pick(&closures).clone();
            let a = self.expr(Ty::Int, d);
            return Some(format!("{c}({a})"));
        }
        if funcs.is_empty() {
            return None;
        }
        let (f, params) = self.rng.pick(&funcs).clone();
        if f.starts_with('r') {
            return Some(format!("{f}({})", self.rng.below(12)));
        }
        let args: Vec<String> = (0..params).map(|_| self.expr(Ty::Int, d)).collect();
        Some(format!("{f}({})", args.join(", ")))
    }

    fn leaf(&mut self, ty: Ty) -> String {
        let vars = self.vars_of(ty);
        if !vars.is_empty() && self.rng.chance(60) {
            return self.rng.pick(&vars).clone();
        }
        match ty {
            Ty::Int => self.int_lit(),
            Ty::Float => (*self.rng.pick(&[
                "0.5",
                "1.25",
                "2.0",
                "0.1",
                "3.75",
                "100.0",
                "0.0",
                "1234.5678",
                "0.3",
                "1000000.0",
            ]))
            .to_string(),
            Ty::Str => (*self.rng.pick(&[
                "\"\"",
                "\"a\"",
                "\"hello\"",
                "\"héllo\"",
                "\"k1\"",
                "\"x y\"",
                "\"añejo\"",
                "`tab\\tend`",
                "\"42\"",
                "\"-7\"",
                "\"3.5\"",
                "\"\\$\"",
            ]))
            .to_string(),
            Ty::Bool => (*self.rng.pick(&["true", "false"])).to_string(),
            Ty::Arr => {
                let n = self.rng.below(4);
                let items: Vec<String> = (0..n).map(|_| self.int_lit()).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::Obj => {
                let n = self.int_lit();
                let s = self.leaf(Ty::Str);
                format!("{{n: {n}, s: {s}}}")
            }
            Ty::IntFn => "lambda |p| -> p + 1".into(),
        }
    }

    fn int_lit(&mut self) -> String {
        match self.rng.below(20) {
            0 => (*self.rng.pick(&[
                "9223372036854775807",
                "4611686018427387904",
                "3037000500",
                "(-9223372036854775807 - 1)",
                "1000000007",
            ]))
            .to_string(),
            1 => format!("(-{})", self.rng.below(50)),
            _ => self.rng.below(20).to_string(),
        }
    }

    fn int_expr(&mut self, d: usize) -> String {
        match self.rng.below(16) {
            0..=4 => {
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                let op = self.rng.pick(&["+", "-", "*"]);
                format!("({a} {op} {b})")
            }
            5 => {
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                let op = self.rng.pick(&["/", "%"]);
                format!("({a} {op} {b})")
            }
            6 => {
                let a = self.expr(Ty::Int, d);
                let op = self.rng.pick(&["/", "%"]);
                format!("({a} {op} {})", 1 + self.rng.below(9))
            }
            7 => format!("(-{})", self.expr(Ty::Int, d)),
            8 => {
                let ty = *self.rng.pick(&[Ty::Str, Ty::Arr, Ty::Obj]);
                format!("len({})", self.expr(ty, d))
            }
            9 => {
                let arrs = self.vars_of(Ty::Arr);
                match arrs.first().cloned() {
                    Some(a) => {
                        let i = self.index_for(&a);
                        if self.rng.chance(25) {
                            format!("{a}[{i}]")
                        } else {
                            format!("(if len({a}) > 0 then {a}[{i}] else -1)")
                        }
                    }
                    None => format!("[7, 8, 9][{}]", self.rng.below(5) as i64 - 2),
                }
            }
            10 => format!("{}.n", self.expr(Ty::Obj, d)),
            11 => format!("int({})", self.expr(Ty::Float, d)),
            12 => {
                let f = self.rng.pick(&["abs", "min", "max", "sbt"]);
                if *f == "abs" {
                    format!("abs({})", self.expr(Ty::Int, d))
                } else {
                    let a = self.expr(Ty::Int, d);
                    let b = self.expr(Ty::Int, d);
                    format!("{f}({a}, {b})")
                }
            }
            13 => format!("int({})", self.expr(Ty::Bool, d)),
            14 => {
                let e = self.expr(Ty::Int, d);
                let b = self.rng.pick(&["", ", 16", ", null"]);
                format!("parse_int(str({e}){b})")
            }
            _ => self.leaf(Ty::Int),
        }
    }

    fn float_expr(&mut self, d: usize) -> String {
        match self.rng.below(9) {
            0..=3 => {
                let a = self.expr(Ty::Float, d);
                let other = if self.rng.chance(50) {
                    Ty::Int
                } else {
                    Ty::Float
                };
                let b = self.expr(other, d);
                let op = self.rng.pick(&["+", "-", "*", "/", "%"]);
                if self.rng.chance(50) {
                    format!("({a} {op} {b})")
                } else {
                    format!("({b} {op} {a})")
                }
            }
            4 => format!("float({})", self.expr(Ty::Int, d)),
            5 => {
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                format!("div({a}, {b})")
            }
            6 => format!("sqrt(abs({}))", self.expr(Ty::Float, d)),
            7 => format!("(-{})", self.expr(Ty::Float, d)),
            _ => {
                let a = self.expr(Ty::Float, d);
                let b = self.expr(Ty::Int, d);
                let f = self.rng.pick(&["min", "max"]);
                format!("{f}({a}, {b})")
            }
        }
    }

    fn str_expr(&mut self, d: usize) -> String {
        match self.rng.below(10) {
            0..=2 => {
                let a = self.expr(Ty::Str, d);
                let ty = *self.rng.pick(&VALUE_TYPES);
                let b = self.expr(ty, d);
                if self.rng.chance(50) {
                    format!("({a} + {b})")
                } else {
                    format!("({b} + {a})")
                }
            }
            3 => {
                let ta = *self.rng.pick(&VALUE_TYPES);
                let tb = *self.rng.pick(&VALUE_TYPES);
                let a = self.expr(ta, d);
                let b = self.expr(tb, d);
                format!("\"<${{{a}}}|${{{b}}}>\"")
            }
            4 => {
                let ty = *self.rng.pick(&VALUE_TYPES);
                format!("str({})", self.expr(ty, d))
            }
            5 => {
                let s = self.expr(Ty::Str, d);
                let i = self.expr(Ty::Int, d);
                if self.rng.chance(15) {
                    format!("{s}[{i}]")
                } else {
                    format!("(\"{{\" + {s} + \"}}\")[({i}) % 2]")
                }
            }
            6 => {
                let s = self.expr(Ty::Str, d);
                let a = self.rng.below(5) as i64 - 2;
                let b = self.rng.below(7) as i64 - 3;
                let step = self.rng.pick(&["", ":1", ":-1", ":2"]);
                format!("{s}[{a}:{b}{step}]")
            }
            7 => {
                let ty = *self
                    .rng
                    .pick(&[Ty::Int, Ty::Str, Ty::Arr, Ty::Obj, Ty::Float]);
                format!("type({})", self.expr(ty, d))
            }
            8 => format!("{}.s", self.expr(Ty::Obj, d)),
            _ => self.leaf(Ty::Str),
        }
    }

    fn bool_expr(&mut self, d: usize) -> String {
        match self.rng.below(8) {
            0..=2 => {
                let ty = *self.rng.pick(&[Ty::Int, Ty::Int, Ty::Float, Ty::Str]);
                let a = self.expr(ty, d);
                let other = if ty == Ty::Str {
                    Ty::Str
                } else {
                    *self.rng.pick(&[Ty::Int, Ty::Float])
                };
                let b = self.expr(other, d);
                let op = self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                format!("({a} {op} {b})")
            }
            3 => {
                let a = self.expr(Ty::Bool, d);
                let b = self.expr(Ty::Bool, d);
                let op = self.rng.pick(&["&&", "||", "and", "or"]);
                format!("({a} {op} {b})")
            }
            4 => format!("(!{})", self.expr(Ty::Bool, d)),
            5 => {
                let ty = *self.rng.pick(&VALUE_TYPES);
                let a = self.expr(ty, d);
                let b = self.expr(ty, d);
                let op = self.rng.pick(&["==", "!=", "is", "is not"]);
                format!("({a} {op} {b})")
            }
            6 => {
                let ty = *self.rng.pick(&VALUE_TYPES);
                format!("bool({})", self.expr(ty, d))
            }
            _ => {
                let o = self.expr(Ty::Obj, d);
                let k = self.rng.pick(&["\"n\"", "\"s\"", "\"z\""]);
                format!("has_key({o}, {k})")
            }
        }
    }

    fn arr_expr(&mut self, d: usize) -> String {
        match self.rng.below(7) {
            0 | 1 => {
                let n = self.rng.below(5);
                let items: Vec<String> = (0..n).map(|_| self.expr(Ty::Int, d)).collect();
                format!("[{}]", items.join(", "))
            }
            2 => {
                let a = self.expr(Ty::Arr, d);
                let e = self.expr(Ty::Int, d);
                format!("push({a}, {e})")
            }
            3 => {
                let a = self.expr(Ty::Arr, d);
                let lo = self.rng.below(4) as i64 - 1;
                let rest = self.rng.pick(&[":", "::-1", "::2"]);
                format!("{a}[{lo}{rest}]")
            }
            4 => format!("pop({}).array", self.expr(Ty::Arr, d)),
            5 => {
                let a = self.expr(Ty::Arr, d);
                let i = self.rng.below(3);
                let e = self.expr(Ty::Int, d);
                format!("insert({a}, {i}, {e})")
            }
            _ => self.leaf(Ty::Arr),
        }
    }

    fn obj_expr(&mut self, d: usize) -> String {
        if self.rng.chance(50) {
            return self.leaf(Ty::Obj);
        }
        let n = self.expr(Ty::Int, d);
        let s = self.expr(Ty::Str, d);
        if self.rng.chance(30) {
            // Duplicate keys keep the first position and the last value (§3.17).
            let n2 = self.expr(Ty::Int, d);
            format!("{{s: {s}, n: {n}, s: \"k1\", n: {n2}}}")
        } else {
            format!("{{n: {n}, s: {s}}}")
        }
    }
}
