//! `match` (§3.13): arms tried in order against a scrutinee kept in a hidden local.
//!
//! Each pattern test reads the value it examines from a local slot and jumps to the arm's
//! failure label with an empty operand stack, so all failure paths join at one stack depth.

use super::Emitter;
use crate::bytecode::Op;
use crate::frontend::ast::*;

impl<'a, 'c> Emitter<'a, 'c> {
    pub(super) fn match_expr(&mut self, scrutinee: &'a Expr, arms: &'a [Arm]) {
        self.expr(scrutinee);
        let subject = self.temp();
        self.emit(Op::StoreLocal { slot: subject });
        let mut ends = Vec::new();
        for arm in arms {
            let saved = self.f.next_slot;
            self.declare_pattern(&arm.pattern);
            let mut fails = Vec::new();
            self.pattern(&arm.pattern, subject, &mut fails);
            if let Some(guard) = &arm.guard {
                self.expr(guard);
                fails.push(self.emit(Op::JumpIfFalse { offset: 0 }));
            }
            self.expr(&arm.body);
            ends.push(self.emit(Op::Jump { offset: 0 }));
            for at in fails {
                self.patch(at);
            }
            self.f.next_slot = saved;
        }
        self.emit(Op::NoMatch);
        for at in ends {
            self.patch(at);
        }
    }

    /// Slots (and cells) for the variables a pattern binds.
    fn declare_pattern(&mut self, p: &'a Pattern) {
        match &p.kind {
            PatternKind::Bind(b) => {
                let id = self.binding_of(b.id);
                self.declare_local(id);
            }
            PatternKind::List(items) => items.iter().for_each(|i| self.declare_pattern(i)),
            PatternKind::Object(fields) => fields.iter().for_each(|(_, p)| self.declare_pattern(p)),
            _ => {}
        }
    }

    /// Tests the value in local `slot` against `p`, binding its variables; every failure jumps
    /// are pushed to `fails`.
    fn pattern(&mut self, p: &'a Pattern, slot: u16, fails: &mut Vec<usize>) {
        let literal = |e: &mut Self| -> bool {
            match &p.kind {
                PatternKind::Int(v) => e.push_int(*v),
                PatternKind::Float(v) => e.push_float(*v),
                PatternKind::Str(s) => e.push_str(s),
                PatternKind::Bool(true) => {
                    e.emit(Op::True);
                }
                PatternKind::Bool(false) => {
                    e.emit(Op::False);
                }
                PatternKind::Null => {
                    e.emit(Op::Null);
                }
                _ => return false,
            }
            true
        };
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Bind(b) => {
                self.emit(Op::LoadLocal { slot });
                self.emit(Op::Share);
                let id = self.binding_of(b.id);
                let loc = self.loc(id);
                self.init(loc);
            }
            PatternKind::List(items) => {
                self.emit(Op::LoadLocal { slot });
                self.emit(Op::IsArrayLen {
                    len: items.len() as u32,
                });
                fails.push(self.emit(Op::JumpIfFalse { offset: 0 }));
                for (i, item) in items.iter().enumerate() {
                    if matches!(item.kind, PatternKind::Wildcard) {
                        continue;
                    }
                    let elem = self.temp();
                    self.emit(Op::LoadLocal { slot });
                    self.push_int(i as i64);
                    self.emit(Op::IndexGet);
                    self.emit(Op::StoreLocal { slot: elem });
                    self.pattern(item, elem, fails);
                }
            }
            PatternKind::Object(fields) => {
                self.emit(Op::LoadLocal { slot });
                self.emit(Op::IsObject);
                fails.push(self.emit(Op::JumpIfFalse { offset: 0 }));
                for (key, sub) in fields {
                    let key = self.str_const(&key.name);
                    self.emit(Op::LoadLocal { slot });
                    self.emit(Op::HasField { key });
                    fails.push(self.emit(Op::JumpIfFalse { offset: 0 }));
                    let field = self.temp();
                    self.emit(Op::LoadLocal { slot });
                    self.emit(Op::MemberGet { key });
                    self.emit(Op::StoreLocal { slot: field });
                    self.pattern(sub, field, fails);
                }
            }
            _ => {
                self.emit(Op::LoadLocal { slot });
                literal(self);
                self.emit(Op::Eq);
                fails.push(self.emit(Op::JumpIfFalse { offset: 0 }));
            }
        }
    }
}
