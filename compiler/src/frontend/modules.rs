//! The module loader (LANGUAGE.md §5): finds every file a program imports, parses and resolves
//! each once, checks named imports against exports, and reports cyclic imports.
//!
//! Modules are loaded depth-first from the entry file. A module whose file has syntax errors is
//! not resolved (its undefined-name errors would only echo the syntax errors), and its imports
//! are not followed.

use super::ast::{ExportDecl, ImportDecl, ImportSource, Module, NodeId, StmtKind};
use super::diag::{Code, Diagnostic};
use super::resolve::{self, BindingId, BindingKind, Resolution, ResolveOptions, SessionName};
use super::source::{FileId, SourceMap, Span};
use super::{lexer, parser, stdlib};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Index of a module in `Program::modules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub u32);

/// One name a module exports, in interface order (§6.3 C6).
#[derive(Clone, Debug)]
pub struct Export {
    pub name: String,
    pub binding: BindingId,
}

pub struct LoadedModule {
    pub file: FileId,
    pub ast: Module,
    pub resolution: Resolution,
    pub exports: Vec<Export>,
    /// Target module of each `import` statement, by `ImportDecl::id`.
    pub imports: HashMap<NodeId, ModuleId>,
    /// An embedded standard module.
    pub is_std: bool,
}

/// Everything the frontend produced for one program.
pub struct Program {
    pub sources: SourceMap,
    pub modules: Vec<LoadedModule>,
    pub entry: Option<ModuleId>,
}

impl Program {
    pub fn module(&self, id: ModuleId) -> &LoadedModule {
        &self.modules[id.0 as usize]
    }
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Extra directories searched for script imports, after the importer's directory and the
    /// current directory.
    pub module_paths: Vec<PathBuf>,
    /// Names a REPL session defines (`name`, `kind`), seen by the entry module as its own
    /// globals; their declarations are listed in a `<session>` source file for diagnostics.
    pub session: Vec<(String, BindingKind)>,
}

/// Where a module's text comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ModuleKey {
    File(PathBuf),
    Std(&'static str),
}

struct Loader {
    options: LoadOptions,
    sources: SourceMap,
    modules: Vec<Option<LoadedModule>>,
    keys: HashMap<ModuleKey, ModuleId>,
    /// Modules being loaded, outermost first; an import of one of them is a cycle.
    stack: Vec<ModuleId>,
    names: Vec<String>,
    diags: Vec<Diagnostic>,
}

/// Loads the program whose entry file is `path`.
pub fn load_file(path: &Path, options: LoadOptions) -> (Program, Vec<Diagnostic>) {
    let mut loader = Loader::new(options);
    let entry = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                let key = ModuleKey::File(canonical(path));
                let name = path.display().to_string();
                Some(loader.load(key, name, Some(path), text))
            }
            Err(_) => {
                loader.io_error(path, "file is not valid UTF-8");
                None
            }
        },
        Err(e) => {
            loader.io_error(path, &e.to_string());
            None
        }
    };
    loader.finish(entry)
}

/// Loads a program from source text that is not on disk (tests, the REPL); imports are resolved
/// relative to the current directory and the module paths.
pub fn load_source(name: &str, text: &str, options: LoadOptions) -> (Program, Vec<Diagnostic>) {
    let mut loader = Loader::new(options);
    let key = ModuleKey::File(PathBuf::from(format!("<{name}>")));
    let entry = loader.load(key, name.to_string(), None, text.to_string());
    loader.finish(Some(entry))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Loader {
    fn new(options: LoadOptions) -> Loader {
        Loader {
            options,
            sources: SourceMap::new(),
            modules: Vec::new(),
            keys: HashMap::new(),
            stack: Vec::new(),
            names: Vec::new(),
            diags: Vec::new(),
        }
    }

    fn finish(self, entry: Option<ModuleId>) -> (Program, Vec<Diagnostic>) {
        let modules = self
            .modules
            .into_iter()
            .map(|m| m.expect("every started module finishes loading"))
            .collect();
        let program = Program {
            sources: self.sources,
            modules,
            entry,
        };
        (program, self.diags)
    }

    /// The session's names, declared in a `<session>` listing file (one declaration a line).
    fn session_names(&mut self) -> Vec<SessionName> {
        let mut text = String::new();
        let mut at = Vec::new();
        for (name, kind) in &self.options.session {
            let keyword = match kind {
                BindingKind::Fn => "fn",
                BindingKind::Const => "const",
                _ => "let mut",
            };
            text.push_str(keyword);
            text.push(' ');
            at.push(text.len());
            text.push_str(name);
            text.push('\n');
        }
        let file = self.sources.add("<session>".to_string(), None, text);
        self.options
            .session
            .iter()
            .zip(at)
            .map(|((name, kind), start)| SessionName {
                name: name.clone(),
                kind: *kind,
                span: Span::new(file, start, start + name.len()),
            })
            .collect()
    }

    /// Reports an unreadable entry file. There is no source to point into, so the diagnostic
    /// points at an empty file named after the path.
    fn io_error(&mut self, path: &Path, why: &str) {
        let file = self
            .sources
            .add(path.display().to_string(), Some(path), String::new());
        let d = Diagnostic::new(
            Code::UnreadableFile,
            Span::new(file, 0, 0),
            format!("cannot read '{}': {why}", path.display()),
        );
        self.diags.push(d);
    }

    fn load(
        &mut self,
        key: ModuleKey,
        name: String,
        path: Option<&Path>,
        text: String,
    ) -> ModuleId {
        let is_std = matches!(key, ModuleKey::Std(_));
        let file = self.sources.add(name.clone(), path, text);
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(None);
        self.names.push(name);
        self.keys.insert(key, id);
        self.stack.push(id);

        let text = &self.sources.file(file).text;
        let (tokens, mut diags) = lexer::lex(file, text);
        let (ast, parse_diags) = parser::parse(file, tokens);
        diags.extend(parse_diags);
        let syntax_ok = diags.is_empty();
        let mut resolution = Resolution::default();
        if syntax_ok {
            let options = ResolveOptions {
                internal_builtins: is_std,
            };
            let session = if id.0 == 0 && !self.options.session.is_empty() {
                self.session_names()
            } else {
                Vec::new()
            };
            let (res, resolve_diags) = resolve::resolve_in_session(&ast, options, &session);
            resolution = res;
            diags.extend(resolve_diags);
        }
        diags.sort_by_key(|d| d.span.start);
        self.diags.extend(diags);

        let exports = exports(&ast, &resolution);
        let mut imports = HashMap::new();
        if syntax_ok {
            let dir = path.and_then(Path::parent).map(Path::to_path_buf);
            for stmt in &ast.stmts {
                if let StmtKind::Import(import) = &stmt.kind {
                    if let Some(target) = self.import(import, dir.as_deref()) {
                        imports.insert(import.id, target);
                    }
                }
            }
        }
        self.stack.pop();
        self.modules[id.0 as usize] = Some(LoadedModule {
            file,
            ast,
            resolution,
            exports,
            imports,
            is_std,
        });
        id
    }

    /// Resolves and loads one import, then checks its named imports.
    fn import(&mut self, import: &ImportDecl, dir: Option<&Path>) -> Option<ModuleId> {
        let span = import.source.span();
        let Some(key) = self.locate(&import.source, dir) else {
            let shown = match &import.source {
                ImportSource::Path(p, _) => format!("\"{p}\""),
                ImportSource::Std(id) => format!("<{}>", id.name),
                ImportSource::Dotted(parts) => parts
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
            };
            let help = match &import.source {
                ImportSource::Std(_) => {
                    let names: Vec<&str> = stdlib::MODULES.iter().map(|(n, _)| *n).collect();
                    let (last, rest) = names.split_last().expect("standard modules exist");
                    format!("standard modules are {} and {last}", rest.join(", "))
                }
                _ => "paths are searched relative to the importing file, then the current directory, then --module-path".to_string(),
            };
            let d = Diagnostic::new(
                Code::ModuleNotFound,
                span,
                format!("cannot find module {shown}"),
            )
            .with_label("no such module")
            .with_help(help);
            self.diags.push(d);
            return None;
        };
        let target = match self.keys.get(&key).copied() {
            Some(existing) => {
                if let Some(pos) = self.stack.iter().position(|&m| m == existing) {
                    let mut chain: Vec<&str> = self.stack[pos..]
                        .iter()
                        .map(|m| self.names[m.0 as usize].as_str())
                        .collect();
                    chain.push(&self.names[existing.0 as usize]);
                    let d = Diagnostic::new(
                        Code::CyclicImport,
                        span,
                        format!("cyclic import: {}", chain.join(" -> ")),
                    )
                    .with_label("this import closes the cycle");
                    self.diags.push(d);
                    return None;
                }
                existing
            }
            None => match key {
                ModuleKey::Std(name) => {
                    let text = stdlib::source(name)
                        .expect("located std modules exist")
                        .to_string();
                    self.load(key, format!("<std>/{name}.svs"), None, text)
                }
                ModuleKey::File(ref path) => {
                    let path = path.clone();
                    let text = match std::fs::read(&path).map(String::from_utf8) {
                        Ok(Ok(text)) => text,
                        _ => {
                            let d = Diagnostic::new(
                                Code::UnreadableFile,
                                span,
                                format!("cannot read module '{}'", path.display()),
                            );
                            self.diags.push(d);
                            return None;
                        }
                    };
                    let name = display_path(&path);
                    self.load(key, name, Some(&path), text)
                }
            },
        };
        let exports = self.modules[target.0 as usize]
            .as_ref()
            .map(|m| m.exports.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
            .unwrap_or_default();
        for name in &import.names {
            if !exports.contains(&name.name) {
                let d = Diagnostic::new(
                    Code::NotExported,
                    name.span,
                    format!(
                        "'{}' is not exported by {}",
                        name.name, self.names[target.0 as usize]
                    ),
                )
                .with_label("not exported");
                let d = if exports.is_empty() {
                    d
                } else {
                    d.with_help(format!("the module exports: {}", exports.join(", ")))
                };
                self.diags.push(d);
            }
        }
        Some(target)
    }

    /// Finds the module an import source names (§5.1 search order).
    fn locate(&self, source: &ImportSource, dir: Option<&Path>) -> Option<ModuleKey> {
        let relative = match source {
            ImportSource::Std(id) => {
                return stdlib::MODULES
                    .iter()
                    .find(|(n, _)| *n == id.name)
                    .map(|(n, _)| ModuleKey::Std(n));
            }
            ImportSource::Dotted(parts) => {
                let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                if matches!(names[0], "std" | "stdx") {
                    return stdlib::dotted(&names).map(ModuleKey::Std);
                }
                PathBuf::from(format!("{}.svs", names.join("/")))
            }
            ImportSource::Path(p, _) => PathBuf::from(p),
        };
        let cwd = std::env::current_dir().ok();
        let bases = dir
            .map(Path::to_path_buf)
            .into_iter()
            .chain(cwd)
            .chain(self.options.module_paths.iter().cloned());
        for base in bases {
            if let Some(found) = probe(&base.join(&relative)) {
                return Some(ModuleKey::File(canonical(&found)));
            }
        }
        None
    }
}

/// `p.svs` for an extension-less path, else `p` itself; a directory means its `mod.svs` (C5).
fn probe(candidate: &Path) -> Option<PathBuf> {
    if candidate.extension().is_none() {
        let with_ext = candidate.with_extension("svs");
        if with_ext.is_file() {
            return Some(with_ext);
        }
    } else if candidate.is_file() {
        return Some(candidate.to_path_buf());
    }
    let module = candidate.join("mod.svs");
    module.is_file().then_some(module)
}

/// A module's file as diagnostics show it: relative to the current directory when inside it.
fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    cwd.as_deref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A module's interface (§5.2): its `export`s, or every top-level binding if it has none.
fn exports(ast: &Module, res: &Resolution) -> Vec<Export> {
    let has_export = ast
        .stmts
        .iter()
        .any(|s| matches!(s.kind, StmtKind::Export(_)));
    if !has_export {
        return res
            .globals
            .iter()
            .map(|&b| Export {
                name: res.binding(b).name.clone(),
                binding: b,
            })
            .collect();
    }
    let mut out = Vec::new();
    for stmt in &ast.stmts {
        let StmtKind::Export(export) = &stmt.kind else {
            continue;
        };
        let (name, binder_name) = match export {
            ExportDecl::Fn(decl) => (decl.name.name.clone(), &decl.name.name),
            ExportDecl::Let(decl) => (decl.name.name.clone(), &decl.name.name),
            ExportDecl::Name { name, alias } => {
                (alias.as_ref().unwrap_or(name).name.clone(), &name.name)
            }
        };
        if let Some(binding) = res.global(binder_name) {
            out.push(Export { name, binding });
        }
    }
    out
}
