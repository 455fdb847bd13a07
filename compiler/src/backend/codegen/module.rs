//! The LLVM module of a program: the value type, runtime declarations (from the runtime's ABI
//! table), globals for constants, module globals, function ids and module-initialised flags,
//! one LLVM function per bytecode function, the start function and `main`.

use super::debuginfo::ModuleDebug;
use super::function::FnEmitter;
use super::profile::Counters;
use super::{CodegenError, CodegenOptions};
use crate::backend::ir::{Const, Function, InstKind, Type};
use crate::backend::opt;
use crate::bytecode::{blocks, Constant, Program};
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::TargetMachine;
use inkwell::types::{
    BasicMetadataTypeEnum, BasicTypeEnum, FunctionType, IntType, PointerType, StructType,
};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, GlobalValue, IntValue, PointerValue};
use inkwell::AddressSpace;
use solvra_rt::abi::{self, AbiType};
use solvra_rt::builtins::table::{BuiltinId, Visibility};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

type R<T> = Result<T, CodegenError>;

/// LLVM's `fastcc` calling convention number.
pub(super) const FAST_CC: u32 = 8;

fn llvm(e: inkwell::builder::BuilderError) -> CodegenError {
    CodegenError(format!("LLVM builder: {e}"))
}

/// Everything a function emitter needs from the module.
pub(super) struct Ctx<'ctx> {
    pub context: &'ctx Context,
    pub module: Module<'ctx>,
    pub builder: Builder<'ctx>,
    /// The runtime's 16-byte value: `{ i8 tag, i64 bits }`.
    pub value_ty: StructType<'ctx>,
    pub usize_ty: IntType<'ctx>,
    pub ptr_ty: PointerType<'ctx>,
    /// The LLVM function of each bytecode function.
    pub functions: Vec<FunctionValue<'ctx>>,
    /// The LLVM function of each specialised clone (`opt::Clone`), by clone number.
    pub clones: Vec<FunctionValue<'ctx>>,
    consts: GlobalValue<'ctx>,
    globals: Vec<GlobalValue<'ctx>>,
    fn_ids: GlobalValue<'ctx>,
    module_done: GlobalValue<'ctx>,
    texts: RefCell<HashMap<String, (PointerValue<'ctx>, u64)>>,
    program: &'ctx Program,
    embedding: &'ctx Embedding<'ctx>,
    /// Debug information, with `-g`.
    pub debug: Option<ModuleDebug<'ctx>>,
    /// `CodegenOptions::fuel`.
    pub fuel: Option<u64>,
    /// With the cost meter: what entering each pc of each function costs
    /// (`bytecode::blocks::costs`).
    pub fuel_costs: Vec<Vec<u32>>,
    /// The block counters of `build --profile`.
    pub profile: Option<Counters<'ctx>>,
    /// `CodegenOptions::profile_use`.
    pub profile_use: Option<&'ctx super::ProfileCounts>,
    /// `CodegenOptions::trace_calls`.
    pub trace_calls: bool,
    /// The value slots of the function being emitted and its scratch slots (`call`).
    pub staging: RefCell<Staging<'ctx>>,
}

/// Runtime calls get value pointers, which would make every value's `alloca` escape and keep
/// it in memory. Instead `Ctx::call` copies a value slot into a scratch slot for the call and
/// back after it, so the value slots are only loaded and stored and LLVM keeps them in
/// registers (SROA), where the inline paths' tag checks fold. The conservative stack scan
/// sees registers too (runtime-lib `heap/stack.rs`).
#[derive(Default)]
pub(super) struct Staging<'ctx> {
    pub slots: HashSet<PointerValue<'ctx>>,
    /// One per pointer argument a runtime function takes, in the function's entry block.
    pub scratch: Vec<PointerValue<'ctx>>,
}

/// What `Ctx::staged_call` calls: a declared function, or a native entry read at run time.
#[derive(Clone, Copy)]
enum Callee<'ctx> {
    Function(FunctionValue<'ctx>),
    Entry(FunctionType<'ctx>, PointerValue<'ctx>),
}

impl Callee<'_> {
    fn name(&self) -> String {
        match self {
            Callee::Function(f) => f.get_name().to_string_lossy().into_owned(),
            Callee::Entry(..) => "a function value's entry".to_string(),
        }
    }
}

impl<'ctx> Ctx<'ctx> {
    /// Declares (once) and calls runtime function `name`; returns its `i32` result, if any.
    pub fn call(
        &self,
        name: &str,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<Option<IntValue<'ctx>>> {
        self.staged_call(Callee::Function(self.runtime(name)?), args)
    }

    /// Calls a compiled SolvraScript function (`NativeFn`) of this module; returns its status.
    pub fn call_function(
        &self,
        f: FunctionValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<IntValue<'ctx>> {
        Ok(self
            .staged_call(Callee::Function(f), args)?
            .expect("a status"))
    }

    /// Calls the `NativeFn` at `entry` (a function value's native entry); returns its status.
    pub fn call_entry(
        &self,
        entry: PointerValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<IntValue<'ctx>> {
        let ptr = self.ptr_ty.into();
        let native = self
            .context
            .i32_type()
            .fn_type(&[ptr, ptr, self.usize_ty.into(), ptr], false);
        Ok(self
            .staged_call(Callee::Entry(native, entry), args)?
            .expect("a status"))
    }

    /// Whether bytecode function `i` is compiled into this module (hosted code defines only
    /// the functions it was asked for).
    pub fn defines(&self, i: u32) -> bool {
        defines(self.embedding, i)
    }

    /// A call whose value-slot arguments go through scratch slots (`Staging`).
    fn staged_call(
        &self,
        callee: Callee<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<Option<IntValue<'ctx>>> {
        let staging = self.staging.borrow();
        // (value slot, its scratch slot); a slot passed twice shares one scratch slot, so the
        // runtime sees the aliasing it would have seen.
        let mut staged: Vec<(PointerValue<'ctx>, PointerValue<'ctx>)> = Vec::new();
        let mut staged_args = Vec::with_capacity(args.len());
        for arg in args {
            let slot = match arg {
                BasicMetadataValueEnum::PointerValue(p) if staging.slots.contains(p) => *p,
                _ => {
                    staged_args.push(*arg);
                    continue;
                }
            };
            let scratch = match staged.iter().find(|(s, _)| *s == slot) {
                Some(&(_, scratch)) => scratch,
                None => {
                    let scratch = *staging.scratch.get(staged.len()).ok_or_else(|| {
                        CodegenError(format!(
                            "{}: more value arguments than scratch slots",
                            callee.name()
                        ))
                    })?;
                    self.copy(scratch, slot)?;
                    staged.push((slot, scratch));
                    scratch
                }
            };
            staged_args.push(scratch.into());
        }
        let call = match callee {
            Callee::Function(f) => self.builder.build_call(f, &staged_args, ""),
            Callee::Entry(ty, entry) => {
                self.builder
                    .build_indirect_call(ty, entry, &staged_args, "entry.call")
            }
        }
        .map_err(llvm)?;
        for (slot, scratch) in staged {
            self.copy(slot, scratch)?;
        }
        Ok(call
            .try_as_basic_value()
            .basic()
            .map(|v| v.into_int_value()))
    }

    /// The declaration of a runtime function, derived from the runtime's ABI table.
    pub fn runtime(&self, name: &str) -> R<FunctionValue<'ctx>> {
        if let Some(f) = self.module.get_function(name) {
            return Ok(f);
        }
        let entry = abi::find(name)
            .ok_or_else(|| CodegenError(format!("the runtime has no ABI function {name}")))?;
        let ty = |t: AbiType| -> Option<BasicMetadataTypeEnum<'ctx>> {
            match t {
                AbiType::I64 => Some(self.context.i64_type().into()),
                AbiType::F64 => Some(self.context.f64_type().into()),
                AbiType::Usize => Some(self.usize_ty.into()),
                AbiType::Ptr => Some(self.ptr_ty.into()),
                AbiType::I32 => Some(self.context.i32_type().into()),
                AbiType::Void => None,
            }
        };
        let params: Vec<BasicMetadataTypeEnum> =
            entry.params.iter().filter_map(|&p| ty(p)).collect();
        let fn_ty = match entry.ret {
            AbiType::Void => self.context.void_type().fn_type(&params, false),
            AbiType::I32 => self.context.i32_type().fn_type(&params, false),
            AbiType::I64 => self.context.i64_type().fn_type(&params, false),
            AbiType::Usize => self.usize_ty.fn_type(&params, false),
            AbiType::F64 => self.context.f64_type().fn_type(&params, false),
            AbiType::Ptr => self.ptr_ty.fn_type(&params, false),
        };
        Ok(self
            .module
            .add_function(name, fn_ty, Some(Linkage::External)))
    }

    /// The LLVM type of an unboxed IR type (`dyn`: the value struct).
    pub fn scalar_ty(&self, t: Type) -> BasicTypeEnum<'ctx> {
        match t {
            Type::Int => self.context.i64_type().into(),
            Type::Float => self.context.f64_type().into(),
            Type::Bool => self.context.bool_type().into(),
            Type::Dyn => self.value_ty.into(),
        }
    }

    /// What a clone returns: its result and whether a runtime error is pending instead.
    pub fn clone_ret_ty(&self, ret: Type) -> StructType<'ctx> {
        self.context.struct_type(
            &[self.scalar_ty(ret), self.context.bool_type().into()],
            false,
        )
    }

    /// A new member access site's inline cache, two zeroed words: `solvra_rt::object::SiteCache`
    /// (a shape pointer and a slot) or, for a field of an object literal,
    /// `object::TransitionCache` (two shape pointers).
    pub fn site_cache(&self) -> PointerValue<'ctx> {
        let ty = self
            .context
            .struct_type(&[self.ptr_ty.into(), self.usize_ty.into()], false);
        let g = self.module.add_global(ty, None, "svs.ic");
        g.set_initializer(&ty.const_zero());
        g.set_linkage(Linkage::Private);
        g.as_pointer_value()
    }

    /// Copies a value between two slots.
    pub fn copy(&self, dst: PointerValue<'ctx>, src: PointerValue<'ctx>) -> R<()> {
        let v = self
            .builder
            .build_load(self.value_ty, src, "copy")
            .map_err(llvm)?;
        self.builder.build_store(dst, v).map_err(llvm)?;
        Ok(())
    }

    /// Element `i` of an array of values.
    pub fn value_at(&self, base: PointerValue<'ctx>, i: u64) -> R<PointerValue<'ctx>> {
        // SAFETY (LLVM): the index is within the array the caller allocated.
        unsafe {
            self.builder
                .build_in_bounds_gep(
                    self.value_ty,
                    base,
                    &[self.usize_ty.const_int(i, false)],
                    "at",
                )
                .map_err(llvm)
        }
    }

    fn const_value(&self, tag: u64, bits: u64) -> inkwell::values::StructValue<'ctx> {
        self.value_ty.const_named_struct(&[
            self.context.i8_type().const_int(tag, false).into(),
            self.context.i64_type().const_int(bits, false).into(),
        ])
    }

    /// Stores a constant: inline for null, bools and numbers; strings come from the constant
    /// table the start function fills.
    pub fn store_const(&self, dst: PointerValue<'ctx>, c: Const) -> R<()> {
        use solvra_rt::Tag;
        let v = match c {
            Const::Null => self.const_value(Tag::Null as u64, 0),
            Const::Bool(b) => self.const_value(Tag::Bool as u64, b as u64),
            Const::Int(i) => self.const_value(Tag::Int as u64, i as u64),
            Const::Float(f) => self.const_value(Tag::Float as u64, f.to_bits()),
            Const::Str(k) => {
                let src = self.value_at(self.consts.as_pointer_value(), k as u64)?;
                return self.copy(dst, src);
            }
        };
        self.builder.build_store(dst, v).map_err(llvm)?;
        Ok(())
    }

    /// Global slot `index` of module `module`.
    pub fn global(&self, module: u32, index: u32) -> R<PointerValue<'ctx>> {
        if let Some(addr) = match self.embedding.globals {
            Globals::At(at) => at(module, index),
            _ => None,
        } {
            return Ok(self
                .usize_ty
                .const_int(addr, false)
                .const_to_pointer(self.ptr_ty));
        }
        self.value_at(
            self.globals[module as usize].as_pointer_value(),
            index as u64,
        )
    }

    /// The runtime function-table id of bytecode function `f`, as registered at start.
    pub fn fn_id(&self, f: u32) -> R<IntValue<'ctx>> {
        let i32t = self.context.i32_type();
        if let Some(h) = self.embedding.hosted {
            return Ok(i32t.const_int(h.fn_ids[f as usize] as u64, false));
        }
        // SAFETY (LLVM): `f` indexes the id table, which has one entry per function.
        let p = unsafe {
            self.builder
                .build_in_bounds_gep(
                    i32t,
                    self.fn_ids.as_pointer_value(),
                    &[self.usize_ty.const_int(f as u64, false)],
                    "id",
                )
                .map_err(llvm)?
        };
        Ok(self
            .builder
            .build_load(i32t, p, "fn_id")
            .map_err(llvm)?
            .into_int_value())
    }

    /// The "has run" flag of module `m`.
    pub fn module_done(&self, m: u32) -> R<PointerValue<'ctx>> {
        let i8t = self.context.i8_type();
        // SAFETY (LLVM): `m` indexes the flag table, which has one entry per module.
        unsafe {
            self.builder
                .build_in_bounds_gep(
                    i8t,
                    self.module_done.as_pointer_value(),
                    &[self.usize_ty.const_int(m as u64, false)],
                    "done",
                )
                .map_err(llvm)
        }
    }

    /// A UTF-8 text constant: pointer and length.
    pub fn text(&self, s: &str) -> R<(PointerValue<'ctx>, u64)> {
        if let Some(&t) = self.texts.borrow().get(s) {
            return Ok(t);
        }
        let bytes = self.context.const_string(s.as_bytes(), false);
        let g = self.module.add_global(bytes.get_type(), None, "svs.text");
        g.set_initializer(&bytes);
        g.set_constant(true);
        g.set_linkage(Linkage::Private);
        let t = (g.as_pointer_value(), s.len() as u64);
        self.texts.borrow_mut().insert(s.to_string(), t);
        Ok(t)
    }

    /// The text of string constant `k` of the program.
    pub fn const_text(&self, k: u32) -> R<(PointerValue<'ctx>, u64)> {
        match self.program.constants.get(k as usize) {
            Some(Constant::Str(s)) => self.text(s),
            _ => Err(CodegenError(format!("constant {k} is not a string"))),
        }
    }
}

/// Where a global slot lives when the code generator does not own it: the address of slot
/// `index` of module `module`, or `None` for the module's own array.
pub type GlobalAddr<'a> = &'a dyn Fn(u32, u32) -> Option<u64>;

/// How a program's module meets the code around it.
#[derive(Clone, Copy, Default)]
pub struct Embedding<'a> {
    /// The exported name of the start function, for the JIT to look up and run; `None` makes
    /// it private and adds a C `main` (an executable).
    pub start: Option<&'a str>,
    /// Where the modules' global slots live.
    pub globals: Globals<'a>,
    /// Code for a host that already registered the program's functions: the interpreter,
    /// whose hot functions the JIT compiles.
    pub hosted: Option<Hosted<'a>>,
    /// The program's IR, prepared once for many modules (`opt::prepare_program`; the JIT's
    /// hot functions): used when its scope is this module's, else the IR is made afresh.
    pub ir: Option<&'a opt::Prepared>,
}

/// See `Embedding::globals`. Slots outside the module are rooted by their owner.
#[derive(Clone, Copy, Default)]
pub enum Globals<'a> {
    /// Each module has its own array, rooted by the start function.
    #[default]
    Own,
    /// Slots at fixed addresses (a REPL session's store); `None` leaves a slot to the
    /// module's own array.
    At(GlobalAddr<'a>),
    /// Every module's array is the external symbol `global_symbol(M)`, which the JIT defines
    /// (the interpreter's arrays): the code holds no address of one run, so it can be cached.
    Symbols,
}

/// Whether code for `embedding` defines bytecode function `i` (see `Embedding::hosted`).
fn defines(embedding: &Embedding, i: u32) -> bool {
    embedding.hosted.is_none_or(|h| h.only.contains(&i))
}

/// The symbol of module `m`'s global array under `Globals::Symbols`.
pub fn global_symbol(m: u32) -> String {
    format!("svs_globals_{m}")
}

/// See `Embedding::hosted`.
#[derive(Clone, Copy)]
pub struct Hosted<'a> {
    /// The function-table id of every function of the program.
    pub fn_ids: &'a [u32],
    /// The functions to compile, each exported as `START_fnN` (N its index). The start
    /// function then only prepares the module's constants: nothing is registered or run.
    pub only: &'a [u32],
}

/// The exported name of function `f` of a hosted module whose start function is `start`.
pub fn hosted_name(start: &str, f: u32) -> String {
    format!("{start}_fn{f}")
}

/// Builds the whole LLVM module of a program.
pub(super) fn emit_module<'ctx>(
    context: &'ctx Context,
    program: &'ctx Program,
    tm: &TargetMachine,
    embedding: &'ctx Embedding<'ctx>,
    opts: &'ctx CodegenOptions,
) -> R<Module<'ctx>> {
    let module = context.create_module("solvra");
    module.set_triple(&tm.get_triple());
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    let debug = match &opts.debug {
        Some(info) => Some(ModuleDebug::new(
            &module,
            program,
            info,
            opts.opt_level > 0,
        )?),
        None => None,
    };
    let usize_ty = context.ptr_sized_int_type(&tm.get_target_data(), None);
    let ptr_ty = context.ptr_type(AddressSpace::default());
    let value_ty = context.struct_type(
        &[context.i8_type().into(), context.i64_type().into()],
        false,
    );
    let native_ty = context.i32_type().fn_type(
        &[ptr_ty.into(), ptr_ty.into(), usize_ty.into(), ptr_ty.into()],
        false,
    );
    // Hosted code defines only the functions it compiles; declarations of the others are never
    // referenced (calls go through the function table), so they leave no trace in the object.
    let defined = |i: u32| defines(embedding, i);
    let functions = (0..program.functions.len() as u32)
        .map(|i| match (embedding.hosted, embedding.start) {
            (Some(h), Some(start)) if h.only.contains(&i) => {
                module.add_function(&hosted_name(start, i), native_ty, None)
            }
            _ if defined(i) => {
                module.add_function(&format!("svs.fn{i}"), native_ty, Some(Linkage::Private))
            }
            _ => module.add_function(&format!("svs.fn{i}"), native_ty, Some(Linkage::External)),
        })
        .collect();
    let array_global = |ty: inkwell::types::ArrayType<'ctx>, name: &str| {
        let g = module.add_global(ty, None, name);
        g.set_initializer(&ty.const_zero());
        g.set_linkage(Linkage::Private);
        g
    };
    let consts = array_global(
        value_ty.array_type(program.constants.len().max(1) as u32),
        "svs.consts",
    );
    let fn_ids = array_global(
        context
            .i32_type()
            .array_type(program.functions.len().max(1) as u32),
        "svs.fn_ids",
    );
    let module_done = array_global(
        context
            .i8_type()
            .array_type(program.modules.len().max(1) as u32),
        "svs.module_done",
    );
    let uninit = value_ty.const_named_struct(&[
        context.i8_type().const_zero().into(),
        context.i64_type().const_int(1, false).into(),
    ]);
    let globals = program
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let n = m.globals.len().max(1);
            let ty = value_ty.array_type(n as u32);
            if let Globals::Symbols = embedding.globals {
                return module.add_global(ty, None, &global_symbol(i as u32));
            }
            let g = module.add_global(ty, None, &format!("svs.globals{i}"));
            g.set_initializer(&value_ty.const_array(&vec![uninit; n]));
            g.set_linkage(Linkage::Private);
            g
        })
        .collect();
    let compile: Vec<u32> = (0..program.functions.len() as u32)
        .filter(|&i| defined(i))
        .collect();
    let scope = opt::Scope {
        // A REPL session's globals are rebound between inputs: no fact about them lasts.
        whole_program: !matches!(embedding.globals, Globals::At(_)),
        keep_locals: opts.debug.is_some(),
    };
    let own;
    let prepared = match embedding.ir {
        Some(ir) if ir.scope() == scope => ir,
        _ => {
            own = opt::prepare_program(program, scope).map_err(|e| CodegenError(e.0))?;
            &own
        }
    };
    let optimized = prepared
        .specialize(program, &compile)
        .map_err(|e| CodegenError(format!("internal error: {e}")))?;
    // Only an executable writes a profile when it ends.
    let profile =
        (opts.profile && embedding.start.is_none()).then(|| Counters::new(&module, program));
    let mut cx = Ctx {
        context,
        module,
        builder: context.create_builder(),
        value_ty,
        usize_ty,
        ptr_ty,
        functions,
        clones: Vec::new(),
        consts,
        globals,
        fn_ids,
        module_done,
        texts: RefCell::new(HashMap::new()),
        program,
        embedding,
        debug,
        fuel: opts.fuel,
        fuel_costs: match opts.fuel {
            Some(_) => program.functions.iter().map(blocks::costs).collect(),
            None => Vec::new(),
        },
        profile,
        profile_use: opts.profile_use.as_ref(),
        trace_calls: opts.trace_calls,
        staging: RefCell::new(Staging::default()),
    };
    // Clones are called directly, with the LLVM calling convention that passes most in
    // registers; the first parameter is the call depth (`solvra_call_depth_cell`).
    for (k, c) in optimized.clones.iter().enumerate() {
        let mut params: Vec<BasicMetadataTypeEnum> = vec![context.i32_type().into()];
        params.extend(c.func.params.iter().map(|&t| {
            let t: BasicMetadataTypeEnum = cx.scalar_ty(t).into();
            t
        }));
        let ty = cx.clone_ret_ty(c.func.ret).fn_type(&params, false);
        let f = cx.module.add_function(
            &format!("svs.fn{}.clone{k}", c.base),
            ty,
            Some(Linkage::Private),
        );
        f.set_call_conventions(FAST_CC);
        cx.clones.push(f);
    }
    let mut builtins = BTreeSet::new();
    let used_builtins = |func: &Function, builtins: &mut BTreeSet<u16>| {
        builtins.extend(func.blocks.iter().flat_map(|b| &b.insts).filter_map(|&i| {
            match func.inst(i).kind {
                InstKind::Builtin(id) => Some(id),
                _ => None,
            }
        }));
    };
    for (i, func) in compile.iter().zip(&optimized.functions) {
        used_builtins(func, &mut builtins);
        FnEmitter::emit(&cx, program, *i, func, None)?;
    }
    for (k, c) in optimized.clones.iter().enumerate() {
        used_builtins(&c.func, &mut builtins);
        FnEmitter::emit(&cx, program, c.base, &c.func, Some(k as u32))?;
    }
    emit_start(&cx, &builtins)?;
    if let Some(d) = &cx.debug {
        d.finalize();
    }
    cx.module.verify().map_err(|e| {
        CodegenError(format!(
            "internal error: LLVM rejects the module: {}",
            e.to_string()
        ))
    })?;
    Ok(cx.module)
}

/// `svs.start`: the builtins the program uses, roots, string constants, function registration,
/// then the entry module; and `main`, which hands it to `solvra_aot_main`.
fn emit_start(cx: &Ctx, builtins: &BTreeSet<u16>) -> R<()> {
    let i32t = cx.context.i32_type();
    let start = match cx.embedding.start {
        Some(name) => cx.module.add_function(name, i32t.fn_type(&[], false), None),
        None => cx.module.add_function(
            "svs.start",
            i32t.fn_type(&[], false),
            Some(Linkage::Private),
        ),
    };
    let entry = cx.context.append_basic_block(start, "entry");
    let fail = cx.context.append_basic_block(start, "fail");
    let b = &cx.builder;
    b.position_at_end(entry);
    if let Some(d) = &cx.debug {
        d.keep_helpers(cx)?;
    }
    if let Some(p) = &cx.profile {
        p.start(cx)?;
    }
    if let (Some(budget), None) = (cx.fuel, cx.embedding.start) {
        let budget = cx.context.i64_type().const_int(budget, false);
        cx.call("solvra_fuel_start", &[budget.into()])?;
    }
    let usize_ = |n: u64| cx.usize_ty.const_int(n, false);
    let check = |st: IntValue| -> R<()> {
        let bad = b
            .build_int_compare(inkwell::IntPredicate::NE, st, i32t.const_zero(), "bad")
            .map_err(llvm)?;
        let ok = cx.context.append_basic_block(start, "ok");
        b.build_conditional_branch(bad, fail, ok).map_err(llvm)?;
        b.position_at_end(ok);
        Ok(())
    };
    // Each builtin is linked through its own symbol, so the program carries only the builtins
    // it names (runtime-lib/src/builtins/mod.rs, "Linking").
    for &id in builtins {
        let builtin = BuiltinId(id).get();
        if builtin.visibility == Visibility::Optional {
            continue; // never implemented: calls raise `builtin 'NAME' is not supported`
        }
        let name = format!("solvra_builtin_{}", builtin.name);
        let f = cx
            .module
            .get_global(&name)
            .unwrap_or_else(|| cx.module.add_global(cx.ptr_ty, None, &name));
        cx.call(
            "solvra_register_builtin",
            &[
                i32t.const_int(id as u64, false).into(),
                f.as_pointer_value().into(),
            ],
        )?;
    }
    // Constants and module globals hold values the collector must see.
    cx.call(
        "solvra_root_range_add",
        &[
            cx.consts.as_pointer_value().into(),
            usize_(cx.program.constants.len() as u64).into(),
        ],
    )?;
    for (i, m) in cx.program.modules.iter().enumerate() {
        let outside = match cx.embedding.globals {
            Globals::Own => false,
            Globals::At(at) => at(i as u32, 0).is_some(),
            Globals::Symbols => true,
        };
        if m.globals.is_empty() || outside {
            continue; // whoever owns the slots roots them
        }
        cx.call(
            "solvra_root_range_add",
            &[
                cx.globals[i].as_pointer_value().into(),
                usize_(m.globals.len() as u64).into(),
            ],
        )?;
    }
    for (k, c) in cx.program.constants.iter().enumerate() {
        if let Constant::Str(s) = c {
            let (p, n) = cx.text(s)?;
            let dst = cx.value_at(cx.consts.as_pointer_value(), k as u64)?;
            let st = cx
                .call(
                    "solvra_string_new",
                    &[dst.into(), p.into(), usize_(n).into()],
                )?
                .expect("status");
            check(st)?;
        }
    }
    if cx.embedding.hosted.is_some() {
        b.build_return(Some(&i32t.const_zero())).map_err(llvm)?;
        b.position_at_end(fail);
        b.build_return(Some(&i32t.const_int(1, false)))
            .map_err(llvm)?;
        return Ok(());
    }
    let main_fn = cx.program.modules[cx.program.entry as usize]
        .main
        .map(|(_, f)| f);
    for (i, f) in cx.program.functions.iter().enumerate() {
        let (np, nl) = match &f.name {
            Some(n) => cx.text(n)?,
            None => (cx.ptr_ty.const_null(), 0),
        };
        let flags = f.self_first as u64 | (f.is_async as u64) << 1;
        let addr = b
            .build_ptr_to_int(
                cx.functions[i].as_global_value().as_pointer_value(),
                cx.usize_ty,
                "entry",
            )
            .map_err(llvm)?;
        let id = cx
            .call(
                "solvra_register_function",
                &[
                    np.into(),
                    usize_(nl).into(),
                    i32t.const_int(f.params as u64, false).into(),
                    i32t.const_int(f.required as u64, false).into(),
                    i32t.const_int(flags, false).into(),
                    addr.into(),
                ],
            )?
            .expect("id");
        // SAFETY (LLVM): `i` indexes the id table.
        let slot = unsafe {
            b.build_in_bounds_gep(
                i32t,
                cx.fn_ids.as_pointer_value(),
                &[usize_(i as u64)],
                "slot",
            )
            .map_err(llvm)?
        };
        b.build_store(slot, id).map_err(llvm)?;
        if main_fn == Some(i as u32) {
            cx.call("solvra_set_main", &[id.into()])?;
        }
    }
    let entry_module = cx.program.entry;
    let done = cx.module_done(entry_module)?;
    b.build_store(done, cx.context.i8_type().const_int(1, false))
        .map_err(llvm)?;
    let init = cx.program.modules[entry_module as usize].init;
    let result = b.build_alloca(cx.value_ty, "result").map_err(llvm)?;
    let none = cx.ptr_ty.const_null();
    let st = b
        .build_call(
            cx.functions[init as usize],
            &[none.into(), none.into(), usize_(0).into(), result.into()],
            "run",
        )
        .map_err(llvm)?
        .try_as_basic_value()
        .basic()
        .expect("status")
        .into_int_value();
    check(st)?;
    b.build_return(Some(&i32t.const_zero())).map_err(llvm)?;
    b.position_at_end(fail);
    b.build_return(Some(&i32t.const_int(1, false)))
        .map_err(llvm)?;
    if cx.embedding.start.is_some() {
        return Ok(());
    }

    let main = cx.module.add_function(
        "main",
        i32t.fn_type(&[i32t.into(), cx.ptr_ty.into()], false),
        None,
    );
    let body = cx.context.append_basic_block(main, "entry");
    b.position_at_end(body);
    let code = cx
        .call(
            "solvra_aot_main",
            &[start.as_global_value().as_pointer_value().into()],
        )?
        .expect("exit code");
    b.build_return(Some(&code)).map_err(llvm)?;
    Ok(())
}
