//! Inline fast paths into arrays and objects: `a[i]`, `a[i] = v`, `x = push(x, v)`, `o.k`,
//! `o.k = v` and the method lookup of `o.k(…)` read and write the runtime's heap layouts
//! directly (runtime-lib `cvec.rs`, `array::Storage`, `object::ObjectObj`; docs/MEMORY_MODEL.md,
//! "Layouts compiled code reads") in the common case, and call the runtime for everything
//! else: other types, indexes out of range or negative, shared arrays, element kinds that
//! change the storage, a shape the site's cache has not seen. Both paths leave the same
//! result, so only speed depends on which runs.

use super::{llvm, FnEmitter, R};
use crate::backend::ir::{self, InstKind, Value};
use inkwell::basic_block::BasicBlock;
use inkwell::values::{BasicMetadataValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;
use solvra_rt::heap::{FLAG_SHARED, PAYLOAD_OFFSET};
use solvra_rt::{array, Tag};
use std::collections::HashMap;

/// How many fields each `new_object` of `func` gets from `init_field`s: the runtime makes the
/// object with that many slots inside it (`object::with_capacity`).
pub(super) fn literal_sizes(func: &ir::Function) -> HashMap<Value, usize> {
    let mut sizes = HashMap::new();
    for inst in &func.insts {
        if let InstKind::InitField { object, .. } = inst.kind {
            *sizes.entry(object).or_insert(0) += 1;
        }
    }
    sizes
}

/// Where the runtime call and the end of one fast path are.
pub(super) struct Paths<'ctx> {
    pub(super) slow: BasicBlock<'ctx>,
    pub(super) done: BasicBlock<'ctx>,
}

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// `out = container[index]`.
    pub(super) fn index_get(
        &self,
        out: PointerValue<'ctx>,
        container: PointerValue<'ctx>,
        index: PointerValue<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let paths = self.paths("index")?;
        let (tc, xc) = self.tag_bits(container)?;
        let (ti, xi) = self.tag_bits(index)?;
        let ok = self.both(
            self.tag_is(tc, Tag::Array, "is.array")?,
            self.tag_is(ti, Tag::Int, "int.index")?,
        )?;
        self.guard(ok, &paths, "array")?;
        let (kind, data, i) = self.element(xc, xi, &paths)?;
        let [ints, floats, values, bools] = self.switch_kind(kind, &paths, "get")?;
        bl.position_at_end(bools);
        let at = self.gep(cx.context.i8_type(), data, i)?;
        let byte = bl
            .build_load(cx.context.i8_type(), at, "item")
            .map_err(llvm)?
            .into_int_value();
        let bits = bl
            .build_int_z_extend(byte, cx.context.i64_type(), "bool")
            .map_err(llvm)?;
        self.store_tag_bits(out, Tag::Bool, bits)?;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        for (block, tag) in [(ints, Tag::Int), (floats, Tag::Float)] {
            bl.position_at_end(block);
            let at = self.gep(cx.context.i64_type(), data, i)?;
            let bits = bl
                .build_load(cx.context.i64_type(), at, "item")
                .map_err(llvm)?
                .into_int_value();
            self.store_tag_bits(out, tag, bits)?;
            bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        }
        // A nested array read from a shared one must be shared too (`ops::index_get`): left to
        // the runtime.
        bl.position_at_end(values);
        let at = self.gep(cx.value_ty, data, i)?;
        let (item_tag, _) = self.tag_bits(at)?;
        let not_array = self.tag_is_not(item_tag, Tag::Array)?;
        self.guard(not_array, &paths, "plain.item")?;
        cx.copy(out, at)?;
        self.finish(
            &paths,
            "solvra_index_get",
            &[out.into(), container.into(), index.into()],
        )
    }

    /// `place[index] = value` where `place` (the result slot) already holds the container and
    /// `value` has been shared.
    pub(super) fn index_set(
        &self,
        place: PointerValue<'ctx>,
        index: PointerValue<'ctx>,
        value: PointerValue<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let paths = self.paths("index.set")?;
        let (tc, xc) = self.tag_bits(place)?;
        let (ti, xi) = self.tag_bits(index)?;
        let (tv, xv) = self.tag_bits(value)?;
        let ok = self.both(
            self.tag_is(tc, Tag::Array, "is.array")?,
            self.tag_is(ti, Tag::Int, "int.index")?,
        )?;
        self.guard(ok, &paths, "array")?;
        self.guard_unshared(xc, &paths)?;
        let (kind, data, i) = self.element(xc, xi, &paths)?;
        let [ints, floats, values, bools] = self.switch_kind(kind, &paths, "set")?;
        bl.position_at_end(bools);
        self.store_bool(tv, xv, data, i, &paths)?;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        for (block, tag) in [(ints, Tag::Int), (floats, Tag::Float)] {
            bl.position_at_end(block);
            self.guard(self.tag_is(tv, tag, "same.kind")?, &paths, "store")?;
            let at = self.gep(cx.context.i64_type(), data, i)?;
            bl.build_store(at, xv).map_err(llvm)?;
            bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        }
        bl.position_at_end(values);
        let at = self.gep(cx.value_ty, data, i)?;
        cx.copy(at, value)?;
        self.finish(
            &paths,
            "solvra_index_set",
            &[place.into(), index.into(), value.into()],
        )
    }

    /// `out = push(array, value)` for `x = push(x, v)`: appended in place when the array is
    /// unshared, has room and keeps its element kind.
    pub(super) fn append(
        &self,
        out: PointerValue<'ctx>,
        arr: PointerValue<'ctx>,
        value: PointerValue<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let paths = self.paths("push")?;
        let (ta, xa) = self.tag_bits(arr)?;
        let (tv, xv) = self.tag_bits(value)?;
        self.guard(self.tag_is(ta, Tag::Array, "is.array")?, &paths, "array")?;
        self.guard_unshared(xa, &paths)?;
        let payload = self.payload(xa)?;
        let kind = self.load_int(cx.context.i8_type(), payload, 0, "kind")?;
        let data = self.load_ptr(payload, 1, "data")?;
        let len = self.load_int(cx.usize_ty, payload, 2, "len")?;
        let cap = self.load_int(cx.usize_ty, payload, 3, "cap")?;
        let room = bl
            .build_int_compare(IntPredicate::ULT, len, cap, "room")
            .map_err(llvm)?;
        self.guard(room, &paths, "room")?;
        let [ints, floats, values, bools] = self.switch_kind(kind, &paths, "push")?;
        let stored = cx.context.append_basic_block(self.llfn, "push.stored");
        bl.position_at_end(bools);
        self.store_bool(tv, xv, data, len, &paths)?;
        bl.build_unconditional_branch(stored).map_err(llvm)?;
        for (block, tag) in [(ints, Tag::Int), (floats, Tag::Float)] {
            bl.position_at_end(block);
            self.guard(self.tag_is(tv, tag, "same.kind")?, &paths, "store")?;
            let at = self.gep(cx.context.i64_type(), data, len)?;
            bl.build_store(at, xv).map_err(llvm)?;
            bl.build_unconditional_branch(stored).map_err(llvm)?;
        }
        // An array pushed into another is shared (`array::push_in_place`): left to the runtime.
        bl.position_at_end(values);
        self.guard(self.tag_is_not(tv, Tag::Array)?, &paths, "plain.item")?;
        let at = self.gep(cx.value_ty, data, len)?;
        cx.copy(at, value)?;
        bl.build_unconditional_branch(stored).map_err(llvm)?;
        bl.position_at_end(stored);
        let one = cx.usize_ty.const_int(1, false);
        let grown = bl.build_int_add(len, one, "len").map_err(llvm)?;
        bl.build_store(self.word(payload, 2)?, grown)
            .map_err(llvm)?;
        cx.copy(out, arr)?;
        self.finish(
            &paths,
            "solvra_append",
            &[out.into(), arr.into(), value.into()],
        )
    }

    /// `out = object.key` through the site's inline cache (`object::SiteCache`).
    pub(super) fn member_get(
        &self,
        out: PointerValue<'ctx>,
        object: PointerValue<'ctx>,
        key: (PointerValue<'ctx>, IntValue<'ctx>),
        cache: PointerValue<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let paths = self.paths("member")?;
        let (payload, slot) = self.cached(object, cache, &paths)?;
        // A key the shape does not have reads as null (§3.11.2); the cache remembers that too.
        let present = cx.context.append_basic_block(self.llfn, "member.present");
        let absent = cx.context.append_basic_block(self.llfn, "member.absent");
        bl.build_conditional_branch(self.is_slot(slot)?, present, absent)
            .map_err(llvm)?;
        bl.position_at_end(absent);
        self.store_tag_bits(out, Tag::Null, cx.context.i64_type().const_zero())?;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        bl.position_at_end(present);
        let at = self.slot_at(payload, slot)?;
        self.cx.copy(out, at)?;
        self.finish(
            &paths,
            "solvra_member_get_ic",
            &[
                out.into(),
                object.into(),
                key.0.into(),
                key.1.into(),
                cache.into(),
            ],
        )
    }

    /// `out = receiver.key` for a method call (§3.12.5), through the site's inline cache: the
    /// member must be a function, or the runtime raises the error.
    pub(super) fn get_method(
        &self,
        out: PointerValue<'ctx>,
        receiver: PointerValue<'ctx>,
        key: (PointerValue<'ctx>, IntValue<'ctx>),
        cache: PointerValue<'ctx>,
    ) -> R<()> {
        let paths = self.paths("method")?;
        let at = self.cached_slot(receiver, cache, &paths)?;
        let (tag, _) = self.tag_bits(at)?;
        self.guard(
            self.tag_is(tag, Tag::Function, "is.function")?,
            &paths,
            "callable",
        )?;
        self.cx.copy(out, at)?;
        self.finish(
            &paths,
            "solvra_get_method",
            &[
                out.into(),
                receiver.into(),
                key.0.into(),
                key.1.into(),
                cache.into(),
            ],
        )
    }

    /// `object.key = value` through the site's inline cache; `null` (which removes the field)
    /// and arrays (which must be shared) take the runtime path.
    pub(super) fn member_set(
        &self,
        object: PointerValue<'ctx>,
        key: (PointerValue<'ctx>, IntValue<'ctx>),
        value: PointerValue<'ctx>,
        cache: PointerValue<'ctx>,
    ) -> R<()> {
        let paths = self.paths("member.set")?;
        let (tv, _) = self.tag_bits(value)?;
        let plain = self.both(
            self.tag_is_not(tv, Tag::Null)?,
            self.tag_is_not(tv, Tag::Array)?,
        )?;
        self.guard(plain, &paths, "plain.value")?;
        let at = self.cached_slot(object, cache, &paths)?;
        self.cx.copy(at, value)?;
        self.finish(
            &paths,
            "solvra_member_set_ic",
            &[
                object.into(),
                key.0.into(),
                key.1.into(),
                value.into(),
                cache.into(),
            ],
        )
    }

    /// The slot of an object whose shape is the one `cache` holds; anything else goes to
    /// `paths.slow`.
    fn cached_slot(
        &self,
        object: PointerValue<'ctx>,
        cache: PointerValue<'ctx>,
        paths: &Paths<'ctx>,
    ) -> R<PointerValue<'ctx>> {
        let (payload, slot) = self.cached(object, cache, paths)?;
        self.guard(self.is_slot(slot)?, paths, "present")?;
        self.slot_at(payload, slot)
    }

    /// The payload of `object` and the slot the site's cache has for its shape (a slot or
    /// `object::MISSING_SLOT`); another type or shape goes to the slow path.
    fn cached(
        &self,
        object: PointerValue<'ctx>,
        cache: PointerValue<'ctx>,
        paths: &Paths<'ctx>,
    ) -> R<(PointerValue<'ctx>, IntValue<'ctx>)> {
        let cx = self.cx;
        let bl = &cx.builder;
        let (to, xo) = self.tag_bits(object)?;
        self.guard(self.tag_is(to, Tag::Object, "is.object")?, paths, "object")?;
        let payload = self.payload(xo)?;
        let shape = self.load_ptr(payload, 0, "shape")?;
        let cached = self.load_ptr(cache, 0, "cached.shape")?;
        let hit = bl
            .build_int_compare(IntPredicate::EQ, shape, cached, "hit")
            .map_err(llvm)?;
        self.guard(hit, paths, "hit")?;
        Ok((payload, self.load_int(cx.usize_ty, cache, 1, "slot")?))
    }

    fn is_slot(&self, slot: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let missing = slot.get_type().const_all_ones();
        self.cx
            .builder
            .build_int_compare(IntPredicate::NE, slot, missing, "is.slot")
            .map_err(llvm)
    }

    fn slot_at(&self, payload: PointerValue<'ctx>, slot: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        let slots = self.load_ptr(payload, 1, "slots")?;
        self.gep(self.cx.value_ty, slots, slot)
    }

    pub(super) fn paths(&self, name: &str) -> R<Paths<'ctx>> {
        let cx = self.cx;
        Ok(Paths {
            slow: cx
                .context
                .append_basic_block(self.llfn, &format!("{name}.slow")),
            done: cx
                .context
                .append_basic_block(self.llfn, &format!("{name}.done")),
        })
    }

    /// Continues in a new block if `cond` holds, else goes to the slow path.
    pub(super) fn guard(&self, cond: IntValue<'ctx>, paths: &Paths<'ctx>, name: &str) -> R<()> {
        let cx = self.cx;
        let next = cx.context.append_basic_block(self.llfn, name);
        let br = cx
            .builder
            .build_conditional_branch(cond, next, paths.slow)
            .map_err(llvm)?;
        self.likely(br)?;
        cx.builder.position_at_end(next);
        Ok(())
    }

    /// Ends the fast path (the current block) and emits the slow one: the runtime call.
    pub(super) fn finish(
        &self,
        paths: &Paths<'ctx>,
        runtime: &str,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<()> {
        self.finish_with(paths, || self.call_checked(runtime, args))
    }

    /// `finish` with a slow path that `slow` emits (for one that builds its arguments).
    pub(super) fn finish_with(&self, paths: &Paths<'ctx>, slow: impl FnOnce() -> R<()>) -> R<()> {
        let bl = &self.cx.builder;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        bl.position_at_end(paths.slow);
        slow()?;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        bl.position_at_end(paths.done);
        Ok(())
    }

    /// An array's storage kind, element buffer and the index `xi` once it is known to be in
    /// range (negative indexes, which count from the end, take the slow path).
    fn element(
        &self,
        array_bits: IntValue<'ctx>,
        xi: IntValue<'ctx>,
        paths: &Paths<'ctx>,
    ) -> R<(IntValue<'ctx>, PointerValue<'ctx>, IntValue<'ctx>)> {
        let cx = self.cx;
        let bl = &cx.builder;
        let payload = self.payload(array_bits)?;
        let kind = self.load_int(cx.context.i8_type(), payload, 0, "kind")?;
        let data = self.load_ptr(payload, 1, "data")?;
        let len = self.load_int(cx.usize_ty, payload, 2, "len")?;
        let i64t = cx.context.i64_type();
        let len64 = bl
            .build_int_z_extend_or_bit_cast(len, i64t, "len64")
            .map_err(llvm)?;
        let inside = bl
            .build_int_compare(IntPredicate::ULT, xi, len64, "inside")
            .map_err(llvm)?;
        self.guard(inside, paths, "inside")?;
        let i = bl
            .build_int_truncate_or_bit_cast(xi, cx.usize_ty, "i")
            .map_err(llvm)?;
        Ok((kind, data, i))
    }

    /// Branches on an array's storage kind: blocks for ints, floats, values and bools, in that
    /// order.
    fn switch_kind(
        &self,
        kind: IntValue<'ctx>,
        paths: &Paths<'ctx>,
        name: &str,
    ) -> R<[BasicBlock<'ctx>; 4]> {
        let cx = self.cx;
        let kinds = [
            (array::STORAGE_INTS, "ints"),
            (array::STORAGE_FLOATS, "floats"),
            (array::STORAGE_VALUES, "values"),
            (array::STORAGE_BOOLS, "bools"),
        ];
        let blocks = kinds.map(|(_, k)| {
            cx.context
                .append_basic_block(self.llfn, &format!("{name}.{k}"))
        });
        let i8t = cx.context.i8_type();
        let cases: Vec<_> = kinds
            .iter()
            .zip(blocks)
            .map(|((kind, _), block)| (i8t.const_int(*kind as u64, false), block))
            .collect();
        cx.builder
            .build_switch(kind, paths.slow, &cases)
            .map_err(llvm)?;
        Ok(blocks)
    }

    /// Stores a bool value (tag `tv`, payload `xv`) as byte `i` of bool storage; another type
    /// goes to the slow path (which makes the storage general).
    fn store_bool(
        &self,
        tv: IntValue<'ctx>,
        xv: IntValue<'ctx>,
        data: PointerValue<'ctx>,
        i: IntValue<'ctx>,
        paths: &Paths<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        self.guard(self.tag_is(tv, Tag::Bool, "same.kind")?, paths, "store")?;
        let at = self.gep(cx.context.i8_type(), data, i)?;
        let byte = bl
            .build_int_truncate(xv, cx.context.i8_type(), "byte")
            .map_err(llvm)?;
        bl.build_store(at, byte).map_err(llvm)?;
        Ok(())
    }

    /// Goes to the slow path if the array's header has `FLAG_SHARED` (it must be copied first).
    fn guard_unshared(&self, array_bits: IntValue<'ctx>, paths: &Paths<'ctx>) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let header = self.heap_ptr(array_bits)?;
        let flags_at = self.byte_offset(header, 2)?;
        let i8t = cx.context.i8_type();
        let flags = bl
            .build_load(i8t, flags_at, "flags")
            .map_err(llvm)?
            .into_int_value();
        let shared = bl
            .build_and(flags, i8t.const_int(FLAG_SHARED as u64, false), "shared")
            .map_err(llvm)?;
        let unshared = bl
            .build_int_compare(IntPredicate::EQ, shared, i8t.const_zero(), "unshared")
            .map_err(llvm)?;
        self.guard(unshared, paths, "unshared")
    }

    fn heap_ptr(&self, bits: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        let cx = self.cx;
        cx.builder
            .build_int_to_ptr(bits, cx.ptr_ty, "obj")
            .map_err(llvm)
    }

    pub(super) fn payload(&self, bits: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        self.byte_offset(self.heap_ptr(bits)?, PAYLOAD_OFFSET)
    }

    fn byte_offset(&self, p: PointerValue<'ctx>, bytes: u64) -> R<PointerValue<'ctx>> {
        let cx = self.cx;
        let off = cx.usize_ty.const_int(bytes, false);
        // SAFETY (LLVM): the offsets stay inside the heap object (its header and payload).
        unsafe {
            cx.builder
                .build_in_bounds_gep(cx.context.i8_type(), p, &[off], "at")
                .map_err(llvm)
        }
    }

    /// The address of pointer-sized word `n` of a structure.
    fn word(&self, p: PointerValue<'ctx>, n: u64) -> R<PointerValue<'ctx>> {
        self.gep(self.cx.usize_ty, p, self.cx.usize_ty.const_int(n, false))
    }

    pub(super) fn gep<T: inkwell::types::BasicType<'ctx>>(
        &self,
        ty: T,
        p: PointerValue<'ctx>,
        i: IntValue<'ctx>,
    ) -> R<PointerValue<'ctx>> {
        // SAFETY (LLVM): callers index within the buffer (checked against its length).
        unsafe {
            self.cx
                .builder
                .build_in_bounds_gep(ty, p, &[i], "elem")
                .map_err(llvm)
        }
    }

    pub(super) fn load_int(
        &self,
        ty: inkwell::types::IntType<'ctx>,
        p: PointerValue<'ctx>,
        word: u64,
        name: &str,
    ) -> R<IntValue<'ctx>> {
        let at = self.word(p, word)?;
        Ok(self
            .cx
            .builder
            .build_load(ty, at, name)
            .map_err(llvm)?
            .into_int_value())
    }

    pub(super) fn load_ptr(
        &self,
        p: PointerValue<'ctx>,
        word: u64,
        name: &str,
    ) -> R<PointerValue<'ctx>> {
        let at = self.word(p, word)?;
        Ok(self
            .cx
            .builder
            .build_load(self.cx.ptr_ty, at, name)
            .map_err(llvm)?
            .into_pointer_value())
    }

    fn both(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.cx.builder.build_and(a, b, "both").map_err(llvm)
    }

    pub(super) fn tag_is_not(&self, tag: IntValue<'ctx>, not: Tag) -> R<IntValue<'ctx>> {
        let cx = self.cx;
        let not = cx.context.i8_type().const_int(not as u64, false);
        cx.builder
            .build_int_compare(IntPredicate::NE, tag, not, "tag.ne")
            .map_err(llvm)
    }
}
