//! Reading back the DWARF of `solvrac build -g` output (`solvrac symbolize`, docs/DEBUGGING.md):
//! which SolvraScript function and `file:line` an address belongs to.
//!
//! Works on executables and on relocatable objects of every target (ELF, either endianness,
//! 32 or 64 bits). In an object the debug sections still need their relocations (names and
//! addresses are offsets that the linker fills in), so the absolute ones are applied here, as
//! the linker would, with every section at address 0.

use gimli::{AttributeValue, EndianSlice, RunTimeEndian};
use object::{Object, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget};
use std::borrow::Cow;

/// A row of a line table: machine code from `address` on comes from `file:line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub address: u64,
    pub file: String,
    pub line: u32,
}

/// A function's code range and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionRange {
    pub name: String,
    pub low: u64,
    pub high: u64,
}

/// Where an address comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
}

/// The line tables and functions of a file's DWARF.
#[derive(Debug, Default)]
pub struct DebugData {
    /// Each sequence's rows in address order; a sequence ends at its last row's address.
    pub sequences: Vec<Vec<LineRow>>,
    pub functions: Vec<FunctionRange>,
}

impl DebugData {
    /// Reads the DWARF of an ELF executable or object.
    pub fn read(bytes: &[u8]) -> Result<DebugData, String> {
        let file = object::File::parse(bytes).map_err(|e| format!("not an object file: {e}"))?;
        let endian = if file.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let relocatable = file.kind() == object::ObjectKind::Relocatable;
        let load = |id: gimli::SectionId| -> Result<Cow<[u8]>, String> {
            let Some(section) = file.section_by_name(id.name()) else {
                return Ok(Cow::Borrowed(&[]));
            };
            let data = section
                .uncompressed_data()
                .map_err(|e| format!("{}: {e}", id.name()))?;
            if relocatable {
                relocate(&file, &section, data, file.is_little_endian())
            } else {
                Ok(data)
            }
        };
        let sections = gimli::DwarfSections::load(load)?;
        let dwarf = sections.borrow(|s| EndianSlice::new(s, endian));
        read_dwarf(&dwarf, relocatable).map_err(|e| format!("malformed DWARF: {e}"))
    }

    /// The function and line of `address`, if a line table covers it.
    pub fn lookup(&self, address: u64) -> Option<Location> {
        let row = self.sequences.iter().find_map(|rows| {
            let last = rows.last()?;
            if address < rows[0].address || address >= last.address {
                return None;
            }
            let i = rows.partition_point(|r| r.address <= address);
            Some(&rows[i - 1])
        })?;
        let function = self
            .functions
            .iter()
            .find(|f| f.low <= address && address < f.high)
            .map(|f| f.name.clone());
        Some(Location {
            function,
            file: row.file.clone(),
            line: row.line,
        })
    }
}

/// Reads every unit. In an executable, code the linker discarded keeps its rows and functions
/// at address 0; they are left out (in an object, 0 is where a section starts).
fn read_dwarf(
    dwarf: &gimli::Dwarf<EndianSlice<RunTimeEndian>>,
    relocatable: bool,
) -> gimli::Result<DebugData> {
    let mut data = DebugData::default();
    let mut headers = dwarf.units();
    while let Some(header) = headers.next()? {
        let unit = dwarf.unit(header)?;
        let mut entries = unit.entries();
        while let Some(entry) = entries.next_dfs()? {
            if entry.tag() != gimli::DW_TAG_subprogram {
                continue;
            }
            let (Some(name), Some(low)) = (
                entry.attr_value(gimli::DW_AT_name),
                entry.attr_value(gimli::DW_AT_low_pc),
            ) else {
                continue; // a declaration
            };
            let Some(low) = dwarf
                .attr_address(&unit, low)?
                .filter(|&a| relocatable || a != 0)
            else {
                continue;
            };
            let high = match entry.attr_value(gimli::DW_AT_high_pc) {
                Some(AttributeValue::Udata(len)) => low + len,
                Some(v) => dwarf.attr_address(&unit, v)?.unwrap_or(low),
                None => low,
            };
            let name = dwarf.attr_string(&unit, name)?.to_string_lossy();
            data.functions.push(FunctionRange {
                name: name.into_owned(),
                low,
                high,
            });
        }
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let comp_dir = unit
            .comp_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut rows = program.rows();
        let mut sequence = Vec::new();
        while let Some((header, row)) = rows.next_row()? {
            let file = match row.file(header) {
                Some(f) => {
                    let name = dwarf.attr_string(&unit, f.path_name())?;
                    let dir = match f.directory(header) {
                        Some(d) => dwarf.attr_string(&unit, d)?.to_string_lossy().into_owned(),
                        None => String::new(),
                    };
                    relative_path(&dir, &name.to_string_lossy(), &comp_dir)
                }
                None => String::new(),
            };
            sequence.push(LineRow {
                address: row.address(),
                file,
                line: row.line().map_or(0, |l| l.get() as u32),
            });
            if row.end_sequence() {
                let sequence = std::mem::take(&mut sequence);
                if relocatable || sequence[0].address != 0 {
                    data.sequences.push(sequence);
                }
            }
        }
    }
    Ok(data)
}

/// A line table's file as traces show it: relative to the compilation directory when it is
/// inside it, else as the absolute path.
fn relative_path(dir: &str, name: &str, comp_dir: &str) -> String {
    let dir = if dir == comp_dir {
        ""
    } else {
        dir.strip_prefix(comp_dir)
            .and_then(|d| d.strip_prefix('/'))
            .filter(|_| !comp_dir.is_empty())
            .unwrap_or(dir)
    };
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// A debug section of a relocatable object with its absolute relocations applied (section
/// symbols at 0, other symbols at their offsets).
fn relocate<'a>(
    file: &object::File<'a>,
    section: &object::Section<'a, '_>,
    data: Cow<'a, [u8]>,
    little: bool,
) -> Result<Cow<'a, [u8]>, String> {
    let mut relocations = section.relocations().peekable();
    if relocations.peek().is_none() {
        return Ok(data);
    }
    let mut out = data.into_owned();
    for (offset, r) in relocations {
        if r.kind() != RelocationKind::Absolute {
            continue;
        }
        let base = match r.target() {
            RelocationTarget::Symbol(i) => file
                .symbol_by_index(i)
                .map(|s| {
                    if s.kind() == object::SymbolKind::Section {
                        0
                    } else {
                        s.address()
                    }
                })
                .map_err(|e| format!("bad relocation: {e}"))?,
            _ => 0,
        };
        let at = offset as usize;
        let size = r.size() as usize / 8;
        let Some(field) = out.get_mut(at..at + size) else {
            return Err(format!("relocation at {offset:#x} is outside its section"));
        };
        let implicit = if r.has_implicit_addend() {
            read_uint(field, little)
        } else {
            0
        };
        let value = base.wrapping_add(implicit).wrapping_add(r.addend() as u64);
        write_uint(field, value, little);
    }
    Ok(Cow::Owned(out))
}

fn read_uint(field: &[u8], little: bool) -> u64 {
    let mut v = 0u64;
    for i in 0..field.len() {
        let b = if little {
            field[field.len() - 1 - i]
        } else {
            field[i]
        };
        v = v << 8 | b as u64;
    }
    v
}

fn write_uint(field: &mut [u8], v: u64, little: bool) {
    let n = field.len();
    for i in 0..n {
        let byte = (v >> (8 * i)) as u8;
        if little {
            field[i] = byte;
        } else {
            field[n - 1 - i] = byte;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_both_byte_orders() {
        let mut b = [0u8; 4];
        write_uint(&mut b, 0x0102_0304, true);
        assert_eq!(b, [4, 3, 2, 1]);
        assert_eq!(read_uint(&b, true), 0x0102_0304);
        write_uint(&mut b, 0x0102_0304, false);
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(read_uint(&b, false), 0x0102_0304);
    }

    #[test]
    fn paths_are_relative_to_the_compilation_directory() {
        assert_eq!(relative_path("/w", "app.svs", "/w"), "app.svs");
        assert_eq!(relative_path("", "app.svs", "/w"), "app.svs");
        assert_eq!(relative_path("lib", "u.svs", "/w"), "lib/u.svs");
        assert_eq!(relative_path("/w/lib", "u.svs", "/w"), "lib/u.svs");
        assert_eq!(relative_path("/other", "u.svs", "/w"), "/other/u.svs");
        assert_eq!(relative_path("/wx", "u.svs", "/w"), "/wx/u.svs");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(DebugData::read(b"not an ELF file").is_err());
        assert!(DebugData::read(&[]).is_err());
    }

    #[test]
    fn lookup_uses_the_row_at_or_before_the_address() {
        let row = |address, line| LineRow {
            address,
            file: "a.svs".into(),
            line,
        };
        let data = DebugData {
            sequences: vec![vec![row(0x10, 3), row(0x18, 4), row(0x20, 4)]],
            functions: vec![FunctionRange {
                name: "f".into(),
                low: 0x10,
                high: 0x20,
            }],
        };
        assert_eq!(data.lookup(0x17).map(|l| l.line), Some(3));
        let at = data.lookup(0x18).expect("covered");
        assert_eq!((at.function.as_deref(), at.line), (Some("f"), 4));
        assert_eq!(
            data.lookup(0x20),
            None,
            "the end of a sequence is outside it"
        );
        assert_eq!(data.lookup(0x8), None);
    }
}
