//! GC torture: random object graphs mutated over many rounds, with the collector running at
//! every allocation (stress mode) or very often, and every reachable value checked against a
//! shadow model after every round.
//!
//! The program's "variables" are a vector of value slots registered as a root source, like an
//! interpreter's stack. Each step picks an operation at random: new strings (ASCII and not),
//! concatenation, typed int/float arrays, mixed and nested arrays, pushes and element writes
//! (also through a nested array), objects with fields drawn from a pool of keys in random order
//! (many shapes) and deletions by storing `null`, closures with captured cells and writes to
//! those cells, copies between slots, and bursts of garbage. The shadow model mirrors every
//! operation in plain Rust data (arrays with value semantics, objects and cells by reference),
//! and `check` walks each slot's value and its model side by side.
//!
//! Sizes: `GC_TORTURE_ROUNDS=N` overrides the number of rounds (valgrind runs use fewer).

use solvra_rt::function::{self, FnId, FnInfo};
use solvra_rt::heap::{self, HeapConfig, RootSource};
use solvra_rt::value::{Tag, Value};
use solvra_rt::{array, object, ops, string};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

// --- a small deterministic PRNG (no dev-dependencies in this crate) ------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

// --- the shadow model ---------------------------------------------------------------------

type Fields = Rc<RefCell<Vec<(Rc<str>, M)>>>;

#[derive(Clone, Debug)]
enum M {
    Null,
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// Arrays are values: `Rc::make_mut` copies on write, like the shared bit.
    Arr(Rc<Vec<M>>),
    /// Objects and cells are references.
    Obj(Fields),
    Cell(Rc<RefCell<M>>),
    Func(FnId, Vec<Rc<RefCell<M>>>),
}

impl M {
    fn identity(&self) -> usize {
        match self {
            M::Arr(a) => Rc::as_ptr(a) as usize,
            M::Obj(o) => Rc::as_ptr(o) as usize,
            M::Cell(c) => Rc::as_ptr(c) as usize,
            _ => 0,
        }
    }
}

/// Checks that `real` holds what `model` says, walking containers with an explicit stack.
fn check(real: Value, model: &M, what: &str) {
    let mut work = vec![(real, model.clone(), what.to_string())];
    let mut seen: HashSet<(u64, usize)> = HashSet::new();
    while let Some((v, m, path)) = work.pop() {
        let id = m.identity();
        if id != 0 && !seen.insert((v.bits, id)) {
            continue;
        }
        match &m {
            M::Null => assert_eq!(v.tag, Tag::Null, "{path}"),
            M::Int(i) => {
                assert_eq!(v.tag, Tag::Int, "{path}");
                assert_eq!(v.as_int(), *i, "{path}");
            }
            M::Float(f) => {
                assert_eq!(v.tag, Tag::Float, "{path}");
                assert_eq!(v.as_float().to_bits(), f.to_bits(), "{path}");
            }
            M::Str(s) => {
                assert_eq!(v.tag, Tag::Str, "{path}");
                assert_eq!(string::as_str(v), &**s, "{path}");
                assert_eq!(string::char_len(v), s.chars().count(), "{path}");
            }
            M::Arr(items) => {
                assert_eq!(v.tag, Tag::Array, "{path}");
                let a = array::obj(v);
                assert_eq!(a.len(), items.len(), "{path}: length");
                for (i, item) in items.iter().enumerate() {
                    work.push((a.get(i), item.clone(), format!("{path}[{i}]")));
                }
            }
            M::Obj(fields) => {
                assert_eq!(v.tag, Tag::Object, "{path}");
                let o = object::obj(v);
                let fields = fields.borrow();
                let keys: Vec<&str> = o.keys().iter().map(|k| &**k).collect();
                let want: Vec<&str> = fields.iter().map(|(k, _)| &**k).collect();
                assert_eq!(keys, want, "{path}: keys");
                for (k, fm) in fields.iter() {
                    work.push((o.get(k), fm.clone(), format!("{path}.{k}")));
                }
            }
            M::Cell(c) => {
                assert_eq!(v.tag, Tag::Cell, "{path}");
                work.push((
                    function::cell_get(v),
                    c.borrow().clone(),
                    format!("{path}.cell"),
                ));
            }
            M::Func(id, cells) => {
                assert_eq!(v.tag, Tag::Function, "{path}");
                let f = function::obj(v);
                match f.callee {
                    function::Callee::User(got) => assert_eq!(got, *id, "{path}"),
                    function::Callee::Builtin(_) => panic!("{path}: a builtin"),
                }
                assert_eq!(f.cells.len(), cells.len(), "{path}: cells");
                for (i, c) in cells.iter().enumerate() {
                    work.push((f.cells[i], M::Cell(c.clone()), format!("{path}.cells[{i}]")));
                }
            }
        }
    }
}

// --- the rooted slots ---------------------------------------------------------------------

struct Slots(RefCell<Vec<Value>>);

impl RootSource for Slots {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        self.0.borrow().iter().for_each(|v| visit(*v));
    }
}

const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "id",
    "name",
    "next",
    "prev",
    "left",
    "right",
    "value",
    "items",
    "x",
    "y",
    "z",
    "w",
    "k0",
    "k1",
    "k2",
    "k3",
    "k4",
    "k5",
    "k6",
    "k7",
    "k8",
    "k9",
    "long_field_name_one",
    "long_field_name_two",
    "ünïcödé",
    "日本",
    "tag",
    "kind",
    "count",
    "total",
    "parent",
    "child",
];

const PIECES: &[&str] = &[
    "a",
    "bc",
    "xyz",
    " ",
    "é",
    "日本語",
    "🦀",
    "-",
    "0",
    "hello",
];

struct Torture {
    rng: Rng,
    slots: Box<Slots>,
    model: Vec<M>,
    fns: Vec<FnId>,
}

impl Torture {
    fn new(seed: u64, n: usize) -> Torture {
        let fns = (0..3)
            .map(|i| {
                function::register(FnInfo {
                    name: Some(format!("f{i}")),
                    params: 0,
                    required: 0,
                    self_first: false,
                    is_async: false,
                    code: i,
                })
            })
            .collect();
        Torture {
            rng: Rng(seed | 1),
            slots: Box::new(Slots(RefCell::new(vec![Value::NULL; n]))),
            model: vec![M::Null; n],
            fns,
        }
    }

    fn get(&self, i: usize) -> Value {
        self.slots.0.borrow()[i]
    }

    fn set(&mut self, i: usize, v: Value, m: M) {
        self.slots.0.borrow_mut()[i] = v;
        self.model[i] = m;
    }

    fn slot(&mut self) -> usize {
        let n = self.model.len();
        self.rng.below(n)
    }

    fn text(&mut self) -> String {
        let n = self.rng.below(6);
        (0..n)
            .map(|_| PIECES[self.rng.below(PIECES.len())])
            .collect()
    }

    /// A value to store somewhere: a fresh scalar or string, or another slot's value (which is
    /// now stored in a second place, so it is shared).
    fn item(&mut self) -> (Value, M) {
        match self.rng.below(10) {
            0 => (Value::NULL, M::Null),
            1 | 2 => {
                let i = self.rng.below(1000) as i64 - 500;
                (Value::int(i), M::Int(i))
            }
            3 => {
                let f = self.rng.below(1000) as f64 / 8.0 - 20.0;
                (Value::float(f), M::Float(f))
            }
            4 => {
                let t = self.text();
                (string::new(&t).unwrap(), M::Str(t.into()))
            }
            _ => {
                let j = self.slot();
                let v = self.get(j);
                array::share(v);
                (v, self.model[j].clone())
            }
        }
    }

    fn step(&mut self) {
        let i = self.slot();
        match self.rng.below(18) {
            0 => {
                let t = self.text();
                let v = string::new(&t).unwrap();
                self.set(i, v, M::Str(t.into()));
            }
            1 => {
                // Concatenation of two strings, or a string and an int.
                let (j, k) = (self.slot(), self.slot());
                if let (M::Str(a), M::Str(b)) = (&self.model[j], &self.model[k]) {
                    let text = format!("{a}{b}");
                    let v = ops::add(self.get(j), self.get(k)).unwrap();
                    self.set(i, v, M::Str(text.into()));
                } else if let (M::Str(a), M::Int(b)) = (&self.model[j], &self.model[k]) {
                    let text = format!("{a}{b}");
                    let v = ops::add(self.get(j), self.get(k)).unwrap();
                    self.set(i, v, M::Str(text.into()));
                }
            }
            2 => {
                let n = self.rng.below(20);
                let ints: Vec<i64> = (0..n).map(|_| self.rng.below(1 << 20) as i64).collect();
                let v = array::from_values(ints.iter().map(|&x| Value::int(x)).collect()).unwrap();
                self.set(
                    i,
                    v,
                    M::Arr(Rc::new(ints.into_iter().map(M::Int).collect())),
                );
            }
            3 => {
                let n = 1 + self.rng.below(20);
                let fs: Vec<f64> = (0..n).map(|_| self.rng.below(1000) as f64 * 0.25).collect();
                let v = array::from_values(fs.iter().map(|&x| Value::float(x)).collect()).unwrap();
                self.set(
                    i,
                    v,
                    M::Arr(Rc::new(fs.into_iter().map(M::Float).collect())),
                );
            }
            4 | 5 => {
                // A mixed (often nested) array. The items are kept in a local array on the
                // stack while later items are allocated.
                let n = self.rng.below(8);
                let mut vals = [Value::NULL; 8];
                let mut models = Vec::new();
                for slot in vals.iter_mut().take(n) {
                    let (v, m) = self.item();
                    *slot = v;
                    models.push(m);
                }
                let v = array::from_values(vals[..n].to_vec()).unwrap();
                self.set(i, v, M::Arr(Rc::new(models)));
            }
            6 | 7 => {
                // Push onto an array in place (copying first if shared).
                if let M::Arr(items) = &self.model[i] {
                    if items.len() < 64 {
                        let (item, m) = if self.rng.chance(50) {
                            let x = self.rng.below(100) as i64;
                            (Value::int(x), M::Int(x))
                        } else {
                            self.item()
                        };
                        let target = self.get(i);
                        if item.bits == target.bits {
                            return; // would store the array in itself
                        }
                        let unique = array::make_unique(target).unwrap();
                        array::push_in_place(unique, item);
                        let mut model = self.model[i].clone();
                        if let M::Arr(items) = &mut model {
                            Rc::make_mut(items).push(m);
                        }
                        self.set(i, unique, model);
                    }
                }
            }
            8 => {
                // Element write, possibly changing typed storage to general storage.
                if let M::Arr(items) = &self.model[i] {
                    if !items.is_empty() {
                        let k = self.rng.below(items.len());
                        let (item, m) = self.item();
                        let target = self.get(i);
                        if item.bits == target.bits {
                            return;
                        }
                        let v = ops::index_set(target, Value::int(k as i64), item).unwrap();
                        let mut model = self.model[i].clone();
                        if let M::Arr(items) = &mut model {
                            Rc::make_mut(items)[k] = m;
                        }
                        self.set(i, v, model);
                    }
                }
            }
            9 => {
                // `a[k][m] = item` through a nested array.
                if let M::Arr(items) = &self.model[i] {
                    let inner_at: Vec<usize> = items
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| matches!(m, M::Arr(a) if !a.is_empty()))
                        .map(|(k, _)| k)
                        .collect();
                    if inner_at.is_empty() {
                        return;
                    }
                    let k = inner_at[self.rng.below(inner_at.len())];
                    let inner_len = match &items[k] {
                        M::Arr(a) => a.len(),
                        _ => unreachable!(),
                    };
                    let m_at = self.rng.below(inner_len);
                    let x = self.rng.below(1000) as i64;
                    let outer = self.get(i);
                    let inner = ops::index_get(outer, Value::int(k as i64)).unwrap();
                    let inner2 =
                        ops::index_set(inner, Value::int(m_at as i64), Value::int(x)).unwrap();
                    let outer2 = ops::index_set(outer, Value::int(k as i64), inner2).unwrap();
                    let mut model = self.model[i].clone();
                    if let M::Arr(items) = &mut model {
                        if let M::Arr(inner) = &mut Rc::make_mut(items)[k] {
                            Rc::make_mut(inner)[m_at] = M::Int(x);
                        }
                    }
                    self.set(i, outer2, model);
                }
            }
            10 | 11 => {
                // A new object: random keys in random order (many shapes).
                let o = object::new_empty().unwrap();
                let fields = Rc::new(RefCell::new(Vec::<(Rc<str>, M)>::new()));
                // Store it first, so it is rooted while its fields are allocated.
                self.set(i, o, M::Obj(fields.clone()));
                for _ in 0..self.rng.below(10) {
                    let key = KEYS[self.rng.below(KEYS.len())];
                    let (v, m) = self.item();
                    let o = self.get(i);
                    object::obj(o).set(key, v);
                    obj_model_set(&fields, key, m);
                }
            }
            12 | 13 => {
                // Field write or deletion (storing null) on an existing object.
                if let M::Obj(fields) = self.model[i].clone() {
                    let key = KEYS[self.rng.below(KEYS.len())];
                    let (v, m) = if self.rng.chance(30) {
                        (Value::NULL, M::Null)
                    } else {
                        self.item()
                    };
                    ops::member_set(self.get(i), key, v).unwrap();
                    obj_model_set(&fields, key, m);
                }
            }
            14 => {
                // Copy between slots: the value is now in a second place.
                let j = self.slot();
                let v = self.get(j);
                array::share(v);
                let m = self.model[j].clone();
                self.set(i, v, m);
            }
            15 => {
                // A closure capturing fresh cells.
                let n = self.rng.below(4);
                let mut models = Vec::new();
                // On the stack, where the collector sees the cells until the closure holds them.
                let mut vals = [Value::NULL; 4];
                for slot in vals.iter_mut().take(n) {
                    let (v, m) = self.item();
                    *slot = function::new_cell(v).unwrap();
                    models.push(Rc::new(RefCell::new(m)));
                }
                let id = self.fns[self.rng.below(self.fns.len())];
                let f = function::new_user(id, &vals[..n]).unwrap();
                self.set(i, f, M::Func(id, models));
            }
            16 => {
                // Write into a captured cell (seen by every holder of the closure).
                if let M::Func(_, cells) = self.model[i].clone() {
                    if !cells.is_empty() {
                        let k = self.rng.below(cells.len());
                        let (v, m) = self.item();
                        let cell = function::obj(self.get(i)).cells[k];
                        function::cell_set(cell, v);
                        *cells[k].borrow_mut() = m;
                    }
                }
            }
            _ => {
                // Garbage, or a slot cleared.
                if self.rng.chance(50) {
                    self.set(i, Value::NULL, M::Null);
                } else {
                    for g in 0..self.rng.below(20) {
                        let _ = string::new(&format!("garbage {g}")).unwrap();
                        let _ = array::from_values(vec![Value::int(g as i64); g]).unwrap();
                    }
                }
            }
        }
    }

    fn verify(&self, round: usize) {
        for (i, m) in self.model.iter().enumerate() {
            check(self.get(i), m, &format!("round {round} slot {i}"));
        }
    }
}

fn obj_model_set(fields: &Fields, key: &str, m: M) {
    let mut f = fields.borrow_mut();
    let at = f.iter().position(|(k, _)| &**k == key);
    match (at, matches!(m, M::Null)) {
        (Some(p), false) => f[p].1 = m,
        (None, false) => f.push((key.into(), m)),
        (Some(p), true) => {
            f.remove(p);
        }
        (None, true) => {}
    }
}

fn stress_env() -> bool {
    std::env::var("SOLVRA_GC_STRESS").map_or(false, |v| v == "1")
}

fn rounds(default: usize) -> usize {
    std::env::var("GC_TORTURE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn torture(seed: u64, rounds: usize, steps: usize) {
    let mut t = Torture::new(seed, 64);
    let _guard = heap::add_root(&*t.slots as &dyn RootSource as *const dyn RootSource);
    for round in 0..rounds {
        for _ in 0..steps {
            t.step();
        }
        if round % 7 == 0 {
            heap::collect();
        }
        t.verify(round);
    }
    // Everything is still intact after one more full collection.
    heap::collect();
    t.verify(rounds);
    let info = heap::info();
    let stats = heap::stats();
    eprintln!(
        "torture seed {seed:#x}: {rounds} rounds x {steps} steps, {} collections (max pause {:?}), \
         {} objects / {} bytes live at the end, {} freed",
        stats.collections, stats.max_pause, info.objects, info.bytes, stats.freed_objects
    );
}

#[test]
fn torture_under_stress_mode() {
    heap::with_stack_base(|| {
        heap::set_stress(true);
        torture(0x5EED_0001, rounds(200), 25);
        let stats = heap::stats();
        assert!(stats.collections > 1000, "{}", stats.collections);
        heap::set_stress(false);
    })
}

#[test]
fn torture_with_frequent_collections() {
    heap::with_stack_base(|| {
        heap::configure(HeapConfig {
            initial_threshold: 64 << 10,
            ..HeapConfig::default()
        });
        torture(0x5EED_0002, rounds(1000), 60);
        assert!(heap::stats().collections > 10);
    })
}

/// Builds an object graph held only by locals of this frame (no root source).
#[inline(never)]
fn stack_only_graph() {
    let list = array::from_values(vec![]).unwrap();
    for i in 0..200 {
        let o = object::new_empty().unwrap();
        let name = string::new(&format!("node {i}")).unwrap();
        object::obj(o).set("name", name);
        let cell = function::new_cell(Value::int(i)).unwrap();
        object::obj(o).set("cell", cell);
        array::push_in_place(list, o);
    }
    // Lots of garbage and full collections while the graph is reachable only from here.
    for round in 0..20 {
        for g in 0..500 {
            let _ = string::new(&format!("garbage {round} {g}")).unwrap();
        }
        heap::collect();
    }
    for i in 0..200 {
        let o = array::obj(list).get(i);
        assert_eq!(
            string::as_str(object::obj(o).get("name")),
            format!("node {i}")
        );
        assert_eq!(
            function::cell_get(object::obj(o).get("cell")).as_int(),
            i as i64
        );
    }
    // SAFETY: reads a local, keeping `list` in this frame until here.
    unsafe { std::ptr::read_volatile(&list) };
}

#[test]
fn a_value_reachable_only_from_a_native_frame_survives_collect() {
    heap::with_stack_base(stack_only_graph);
}

#[test]
fn the_heap_limit_error_is_raised_and_recoverable() {
    heap::with_stack_base(|| {
        let slots = Box::new(Slots(RefCell::new(Vec::new())));
        let _guard = heap::add_root(&*slots as &dyn RootSource as *const dyn RootSource);
        // Under SOLVRA_GC_STRESS=1 every allocation collects: keep the heap small then.
        let max = if stress_env() { 256 << 10 } else { 2 << 20 };
        let message = format!("out of memory: heap limit {max} bytes exceeded");
        heap::set_max_heap(Some(max));
        // Grow a string by concatenation (each step allocates) until the limit is hit.
        let mut s = string::new("x").unwrap();
        slots.0.borrow_mut().push(s);
        let err = loop {
            match ops::add(s, s) {
                Ok(v) => {
                    slots.0.borrow_mut()[0] = v;
                    s = v;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(err.message, message);
        let before = string::char_len(s);
        assert!(before >= max / 4, "{before}");
        // The program goes on: drop the big string, and allocation works again.
        slots.0.borrow_mut().clear();
        s = Value::NULL;
        let mut kept = Vec::new();
        for i in 0..1000 {
            let v = string::new(&format!("after {i}")).unwrap();
            slots.0.borrow_mut().push(v);
            kept.push(i);
        }
        assert_eq!(string::as_str(slots.0.borrow()[999]), "after 999");
        // Objects and arrays hit the same limit with the same message.
        let mut err = None;
        for i in 0..1_000_000 {
            let o = match object::new_empty() {
                Ok(o) => o,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            };
            slots.0.borrow_mut().push(o);
            let a = match array::from_values(vec![Value::int(i); 16]) {
                Ok(a) => a,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            };
            object::obj(o).set("a", a);
        }
        assert_eq!(err.expect("the limit is reached").message, message);
        slots.0.borrow_mut().truncate(10);
        heap::set_max_heap(None);
        let o = object::new_empty().unwrap();
        object::obj(o).set("ok", Value::TRUE);
        assert!(object::obj(o).get("ok").as_bool());
        assert!(s.is_null());
    })
}

const DEEP: usize = 100_000;

/// A linked list of objects, a chain of nested arrays and a chain of cells, each `DEEP` long,
/// reachable only from the slots.
#[inline(never)]
fn build_deep(slots: &Slots) {
    for i in 0..DEEP {
        let o = object::new_empty().unwrap();
        let prev = slots.0.borrow()[0];
        object::obj(o).set("next", prev);
        object::obj(o).set("i", Value::int(i as i64));
        slots.0.borrow_mut()[0] = o;
        let prev = slots.0.borrow()[1];
        array::share(prev);
        let a = array::from_values(vec![Value::int(i as i64), prev]).unwrap();
        slots.0.borrow_mut()[1] = a;
        let prev = slots.0.borrow()[2];
        let c = function::new_cell(prev).unwrap();
        slots.0.borrow_mut()[2] = c;
    }
}

#[inline(never)]
fn verify_deep(slots: &Slots) {
    let mut cur = slots.0.borrow()[0];
    let mut n = 0;
    while !cur.is_null() {
        assert_eq!(object::obj(cur).get("i").as_int(), (DEEP - 1 - n) as i64);
        cur = object::obj(cur).get("next");
        n += 1;
    }
    assert_eq!(n, DEEP);
    let mut cur = slots.0.borrow()[1];
    let mut n = 0;
    while cur.tag == Tag::Array {
        cur = array::obj(cur).get(1);
        n += 1;
    }
    assert_eq!(n, DEEP);
    let mut cur = slots.0.borrow()[2];
    let mut n = 0;
    while cur.tag == Tag::Cell {
        cur = function::cell_get(cur);
        n += 1;
    }
    assert_eq!(n, DEEP);
}

#[test]
fn collecting_100k_deep_structures_does_not_overflow_the_stack() {
    // A thread with a modest stack (recursing per level would need several MiB): marking and
    // freeing must not recurse.
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            heap::with_stack_base(|| {
                // This test is about depth: 300 000 stress collections would only cost time.
                heap::set_stress(false);
                let slots = Box::new(Slots(RefCell::new(vec![Value::NULL; 3])));
                let _guard = heap::add_root(&*slots as &dyn RootSource as *const dyn RootSource);
                build_deep(&slots);
                clobber();
                heap::collect();
                verify_deep(&slots);
                let objects = heap::info().objects;
                assert!(objects >= 3 * DEEP, "{objects}");
                // Drop the chains: freeing is per object too.
                for v in slots.0.borrow_mut().iter_mut() {
                    *v = Value::NULL;
                }
                clobber();
                heap::collect();
                let left = heap::info().objects;
                assert!(left < DEEP / 10, "{left} objects left");
            })
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Overwrites dead stack below the caller (128 KiB of it: debug-build frames of the
/// allocator and collector are big) so stale pointers do not retain objects.
#[inline(never)]
fn clobber() {
    let mut buf = [0usize; 16 * 1024];
    for (i, w) in buf.iter_mut().enumerate() {
        *w = i;
    }
    // SAFETY: reads a local.
    unsafe { std::ptr::read_volatile(&buf) };
}
