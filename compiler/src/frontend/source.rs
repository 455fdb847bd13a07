//! Source files and spans: every diagnostic and AST node points back into a `SourceMap`.
//!
//! Spans are byte ranges into one file's text. Line and column numbers are computed only when a
//! diagnostic is rendered, through codespan-reporting's `Files` trait implemented here.

use codespan_reporting::files::{self, Files};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a file in the `SourceMap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded source file.
pub struct SourceFile {
    /// The name shown in diagnostics: the path as the user gave it, or `<std>/vector.svs`.
    pub name: String,
    /// Where the file lives on disk; `None` for embedded standard modules and REPL inputs.
    pub path: Option<PathBuf>,
    pub text: String,
    line_starts: Vec<usize>,
}

/// All source files of one compilation.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: String, path: Option<&Path>, text: String) -> FileId {
        let line_starts = files::line_starts(&text).collect();
        self.files.push(SourceFile {
            name,
            path: path.map(Path::to_path_buf),
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        &self.file(span.file).text[span.range()]
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = self.file(file);
        let line = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let line_text = &f.text[f.line_starts[line]..offset.min(f.text.len())];
        (line + 1, line_text.chars().count() + 1)
    }
}

impl<'a> Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        Ok(&self.file(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        Ok(&self.file(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, files::Error> {
        Ok(self
            .file(id)
            .line_starts
            .partition_point(|&s| s <= byte_index)
            - 1)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, files::Error> {
        let f = self.file(id);
        let start = *f
            .line_starts
            .get(line_index)
            .ok_or(files::Error::LineTooLarge {
                given: line_index,
                max: f.line_starts.len() - 1,
            })?;
        let end = f
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(f.text.len());
        Ok(start..end)
    }
}
