//! DWARF for `solvrac build -g` through LLVM's debug-info builder (docs/DEBUGGING.md).
//!
//! Each source module is a compile unit (named by the module's path as the frontend loaded it,
//! relative to the compilation directory `DebugInfo::dir`); each SolvraScript function a subprogram with its own name (`<top level>` for a
//! module's body, `<lambda>` for anonymous functions, as stack traces name them); every
//! instruction carries the source line of the bytecode it came from, so the line table maps
//! machine code to `file:line`. Parameters and named locals are variables of the type
//! `SolvraValue` (a tag and a 64-bit payload, the runtime's value layout) declared on their
//! stack slots, which hold them for the whole function at -O0; `runtime-lib/gdb/solvra.py`
//! prints them as the program would. Functions keep frame pointers so debuggers and profilers
//! walk the stack without unwind tables.
//!
//! The compile units say they are C: gdb then reads `print x`, `&x` and casts in the one
//! expression syntax that suits a slot of C structs.

use super::module::Ctx;
use super::CodegenError;
use crate::bytecode::Program;
use inkwell::attributes::AttributeLoc;
use inkwell::basic_block::BasicBlock;
use inkwell::debug_info::{
    debug_metadata_version, AsDIScope, DICompileUnit, DIFile, DIFlags, DIFlagsConstants,
    DISubprogram, DIType, DWARFEmissionKind, DWARFSourceLanguage, DebugInfoBuilder,
};
use inkwell::module::{FlagBehavior, Linkage, Module};
use inkwell::values::{AsValueRef, FunctionValue, PointerValue};
use solvra_rt::Tag;

type R<T> = Result<T, CodegenError>;

/// What `-g` needs besides the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugInfo {
    /// The compilation directory: relative module paths are relative to it (`build` passes
    /// the working directory, which the frontend's module paths start from).
    pub dir: String,
}

/// DW_ATE_signed, DW_ATE_unsigned, DW_ATE_float.
const ATE_SIGNED: u32 = 0x05;
const ATE_UNSIGNED: u32 = 0x08;
const ATE_FLOAT: u32 = 0x04;

/// One compile unit: a source module.
struct Unit<'ctx> {
    builder: DebugInfoBuilder<'ctx>,
    cu: DICompileUnit<'ctx>,
    value: DIType<'ctx>,
}

/// The debug information of a whole LLVM module.
pub(super) struct ModuleDebug<'ctx> {
    units: Vec<Unit<'ctx>>,
}

/// The debug information of one function being emitted.
pub(super) struct FnDebug<'ctx> {
    scope: DISubprogram<'ctx>,
    /// The compile unit (the function's module).
    unit: usize,
    /// The line of the function's first instruction, for code that has no line of its own.
    line: u32,
}

impl<'ctx> ModuleDebug<'ctx> {
    /// Compile units and the value type for every module of `program`.
    pub(super) fn new(
        module: &Module<'ctx>,
        program: &Program,
        info: &DebugInfo,
        optimized: bool,
    ) -> R<ModuleDebug<'ctx>> {
        let context = module.get_context();
        let i32t = context.i32_type();
        module.add_basic_value_flag(
            "Debug Info Version",
            FlagBehavior::Warning,
            i32t.const_int(debug_metadata_version() as u64, false),
        );
        module.add_basic_value_flag(
            "Dwarf Version",
            FlagBehavior::Warning,
            i32t.const_int(4, false),
        );
        // inkwell's declare functions insert debug records, LLVM 19's new format.
        // SAFETY: a valid module; switching the format of a module without debug info yet.
        unsafe { inkwell::llvm_sys::core::LLVMSetIsNewDbgInfoFormat(module.as_mut_ptr(), 1) };
        let producer = concat!("solvrac ", env!("CARGO_PKG_VERSION"));
        let mut units = Vec::new();
        for m in &program.modules {
            let (builder, cu) = module.create_debug_info_builder(
                true,
                DWARFSourceLanguage::C,
                &m.name,
                &info.dir,
                producer,
                optimized,
                "",
                0,
                "",
                DWARFEmissionKind::Full,
                0,
                false,
                false,
                "",
                "",
            );
            let value = value_type(&builder, cu.get_file())?;
            units.push(Unit { builder, cu, value });
        }
        Ok(ModuleDebug { units })
    }

    /// Gives function `index` its subprogram and frame pointers, and positions the builder's
    /// debug location at the function's first line.
    pub(super) fn function(
        &self,
        cx: &Ctx<'ctx>,
        program: &Program,
        index: u32,
        llfn: FunctionValue<'ctx>,
    ) -> FnDebug<'ctx> {
        let code = &program.functions[index as usize];
        let unit = &self.units[code.module as usize];
        let file = unit.cu.get_file();
        let name = if program.modules[code.module as usize].init == index {
            "<top level>"
        } else {
            code.display_name()
        };
        let line = code.lines.first().map_or(1, |&(_, l)| l.max(1));
        let params: Vec<DIType> = (0..code.params).map(|_| unit.value).collect();
        let ty =
            unit.builder
                .create_subroutine_type(file, Some(unit.value), &params, DIFlags::ZERO);
        // No linkage name of its own: gdb would show it (`svs.fn3`) instead of the name.
        let scope = unit.builder.create_function(
            unit.cu.as_debug_info_scope(),
            name,
            None,
            file,
            line,
            ty,
            llfn.get_linkage() == Linkage::Private,
            true,
            line,
            DIFlags::ZERO,
            false,
        );
        llfn.set_subprogram(scope);
        llfn.add_attribute(
            AttributeLoc::Function,
            cx.context.create_string_attribute("frame-pointer", "all"),
        );
        let f = FnDebug {
            scope,
            unit: code.module as usize,
            line,
        };
        f.at(cx, 0);
        f
    }

    /// Declares the function's parameters and named locals on their slots (at the end of
    /// `entry`, where the slots are allocated).
    pub(super) fn declare_locals(
        &self,
        cx: &Ctx<'ctx>,
        program: &Program,
        index: u32,
        f: &FnDebug<'ctx>,
        slots: &[PointerValue<'ctx>],
        entry: BasicBlock<'ctx>,
    ) {
        let code = &program.functions[index as usize];
        let unit = &self.units[code.module as usize];
        let file = unit.cu.get_file();
        let scope = f.scope.as_debug_info_scope();
        let loc = unit
            .builder
            .create_debug_location(cx.context, f.line, 0, scope, None);
        for (slot, name) in &code.local_names {
            let Some(&storage) = slots.get(*slot as usize) else {
                continue; // the verifier rejects such names; nothing to describe
            };
            let var = if *slot < code.params {
                unit.builder.create_parameter_variable(
                    scope,
                    name,
                    *slot as u32 + 1,
                    file,
                    f.line,
                    unit.value,
                    true,
                    DIFlags::ZERO,
                )
            } else {
                unit.builder.create_auto_variable(
                    scope,
                    name,
                    file,
                    f.line,
                    unit.value,
                    true,
                    DIFlags::ZERO,
                    0,
                )
            };
            let expr = unit.builder.create_expression(Vec::new());
            // Not inkwell's `insert_declare_at_end`: under LLVM 19 it wraps the debug record
            // it gets back as an instruction, which it is not.
            // SAFETY: every handle is valid and belongs to this module and its DIBuilder.
            unsafe {
                inkwell::llvm_sys::debuginfo::LLVMDIBuilderInsertDeclareRecordAtEnd(
                    unit.builder.as_mut_ptr(),
                    storage.as_value_ref(),
                    var.as_mut_ptr(),
                    expr.as_mut_ptr(),
                    loc.as_mut_ptr(),
                    entry.as_mut_ptr(),
                );
            }
        }
    }

    /// Keeps the runtime's helpers for debuggers (`solvra_dump`) in the executable, which the
    /// linker would otherwise drop as unreferenced: the start function stores its address.
    pub(super) fn keep_helpers(&self, cx: &Ctx<'ctx>) -> R<()> {
        let dump = cx.runtime("solvra_dump")?;
        let keep = cx.module.add_global(cx.ptr_ty, None, "svs.debug_helpers");
        keep.set_initializer(&cx.ptr_ty.const_null());
        keep.set_linkage(Linkage::Private);
        let store = cx
            .builder
            .build_store(
                keep.as_pointer_value(),
                dump.as_global_value().as_pointer_value(),
            )
            .map_err(|e| CodegenError(format!("LLVM builder: {e}")))?;
        store
            .set_volatile(true)
            .map_err(|e| CodegenError(format!("LLVM builder: {e}")))?;
        Ok(())
    }

    /// Resolves the compile units; the module is complete.
    pub(super) fn finalize(&self) {
        for u in &self.units {
            u.builder.finalize();
        }
    }
}

impl<'ctx> FnDebug<'ctx> {
    /// Makes the instructions emitted next belong to `line` (0: the function's first line).
    pub(super) fn at(&self, cx: &Ctx<'ctx>, line: u32) {
        let line = if line == 0 { self.line } else { line };
        let unit = &cx.debug.as_ref().expect("a -g module").units[self.unit];
        let loc = unit.builder.create_debug_location(
            cx.context,
            line,
            0,
            self.scope.as_debug_info_scope(),
            None,
        );
        cx.builder.set_current_debug_location(loc);
    }
}

/// `struct SolvraValue { enum SolvraTag tag; union { long long int; double float; } payload; }`,
/// laid out as `solvra_rt::Value`: the tag byte at offset 0, the payload at offset 8.
fn value_type<'ctx>(b: &DebugInfoBuilder<'ctx>, file: DIFile<'ctx>) -> R<DIType<'ctx>> {
    let basic = |name: &str, bits: u64, enc: u32| {
        b.create_basic_type(name, bits, enc, DIFlags::ZERO)
            .map(|t| t.as_type())
            .map_err(|e| CodegenError(format!("debug info: {e}")))
    };
    let u8t = basic("unsigned char", 8, ATE_UNSIGNED)?;
    let i64t = basic("long long", 64, ATE_SIGNED)?;
    let f64t = basic("double", 64, ATE_FLOAT)?;
    let scope = file.as_debug_info_scope();
    let tags: Vec<_> = (0..=u8::MAX)
        .filter_map(Tag::from_u8)
        .map(|t| b.create_enumerator(t.type_name(), t as i64, true))
        .collect();
    let tag = b
        .create_enumeration_type(scope, "SolvraTag", file, 0, 8, 8, &tags, u8t)
        .as_type();
    let member = |name: &str, bits: u64, offset: u64, ty: DIType<'ctx>| {
        b.create_member_type(scope, name, file, 0, bits, 0, offset, DIFlags::ZERO, ty)
            .as_type()
    };
    let payload = b
        .create_union_type(
            scope,
            "SolvraPayload",
            file,
            0,
            64,
            64,
            DIFlags::ZERO,
            &[member("int", 64, 0, i64t), member("float", 64, 0, f64t)],
            0,
            "",
        )
        .as_type();
    Ok(b.create_struct_type(
        scope,
        "SolvraValue",
        file,
        0,
        128,
        64,
        DIFlags::ZERO,
        None,
        &[member("tag", 8, 0, tag), member("payload", 64, 64, payload)],
        0,
        None,
        "",
    )
    .as_type())
}
