//! `keel abi`: holds the hand-written Solidity interfaces in `abi/` against what the Stylus
//! contracts really export, and writes their JSON ABI.
//!
//! ## The pipeline
//!
//! For every interface `abi/I<Name>.sol` there is one contract crate, registered in the
//! exporter crate `keel-abi-export` (`abi/export`). `keel abi check` and `keel abi generate`:
//!
//! 1. **compile** every `abi/*.sol` with solc-js (`node abi/tools/solc --standard-json`, the
//!    compiler pinned in `abi/package.json`) and read the ABI of the interface named like
//!    each file. Any compiler error fails.
//! 2. **export** each contract's interface as its router serves it: `keel-abi-export`, built
//!    in one cargo invocation with every contract's `export-abi` feature, prints what
//!    stylus-sdk's `export-abi` prints (`cargo stylus export-abi`): the `#[public]` functions
//!    with Solidity types and mutability, the errors of each `SolidityError` enum a public
//!    function returns, and the structs of return types.
//! 3. **scan** the `sol!` blocks of the contract crate and of the path-dependency crates it
//!    links (e.g. `contracts/common`) for their top-level `event`, `error`, `struct`, `enum`
//!    and `type` declarations: stylus-sdk's export never lists events, names no parameter of
//!    an error, and declares no struct that appears only in parameters.
//! 4. **compare** (types in canonical ABI form, structs expanded to tuples):
//!    * functions: the export's set equals the interface's, each with the same outputs and
//!      state mutability (parameter names are not compared: the export carries Rust's); when
//!      the contract crate's own `sol!` blocks declare functions at the top level — the
//!      selectors a `#[fallback]` dispatcher matches, for a contract that serves its calls
//!      that way and declares `#[public]` methods only for the export — that set must equal
//!      the interface's too;
//!    * errors: every error the export lists is in the interface, and every error of the
//!      interface is declared in a scanned `sol!` block with the same types and parameter
//!      names (an error the export cannot see — one no public function's error type carries
//!      — is therefore only checked for being declared);
//!    * events: the interface's events equal the events declared in the scanned `sol!`
//!      blocks, with the same parameter names, `indexed` flags and anonymity;
//!    * `abi/I<Name>.json` is byte-for-byte the ABI solc gives for `abi/I<Name>.sol`
//!      (`check`), or is written (`generate`, only when the comparison above passes).
//!
//! The JSON ABI is solc's output for the interface file rather than for a Solidity text
//! synthesised from the export: it keeps the interface's parameter and return names, which
//! callers decode with, while the comparison guarantees that every selector, type,
//! mutability, event layout and error in it is the code's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use anyhow::{anyhow, bail, Context, Result};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use serde_json::Value;

/// How solc-js and forge are installed (what `.ci/run` does).
pub const INSTALL_HINT: &str =
    "install the pinned toolchain with `(cd abi && npm install --no-save --ignore-scripts)`";

/// A Foundry tool (`cast`, `forge`) as npm installs it under `abi/node_modules/@foundry-rs`
/// (the platform package's binary: the npm launcher drops the exit status).
pub fn foundry_tool(root: &Path, tool: &str) -> Result<PathBuf> {
    let dir = root.join("abi/node_modules/@foundry-rs");
    fs::read_dir(&dir)
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{tool}-"))
                })
                .map(|e| e.path().join("bin").join(tool))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            anyhow!(
                "Foundry's {tool} is not installed under {}: {INSTALL_HINT}",
                dir.display()
            )
        })
}

/// Package name of the exporter crate (`abi/export`).
pub const EXPORTER_PACKAGE: &str = "keel-abi-export";

// ---------------------------------------------------------------------------------------------
// The canonical ABI model.

/// A function's state mutability, as in a JSON ABI's `stateMutability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mutability {
    /// `pure`
    Pure,
    /// `view`
    View,
    /// `nonpayable` (no keyword in Solidity)
    NonPayable,
    /// `payable`
    Payable,
}

impl Mutability {
    /// The JSON ABI name (`nonpayable` for the default).
    pub fn name(self) -> &'static str {
        match self {
            Mutability::Pure => "pure",
            Mutability::View => "view",
            Mutability::NonPayable => "nonpayable",
            Mutability::Payable => "payable",
        }
    }

    /// Parses a JSON ABI `stateMutability`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "pure" => Mutability::Pure,
            "view" => Mutability::View,
            "nonpayable" => Mutability::NonPayable,
            "payable" => Mutability::Payable,
            _ => return None,
        })
    }
}

/// A function in canonical form: parameter and return types as in a selector
/// (`uint256`, `(address,bool)[]`), names dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Solidity name.
    pub name: String,
    /// Canonical parameter types.
    pub inputs: Vec<String>,
    /// Canonical return types.
    pub outputs: Vec<String>,
    /// State mutability.
    pub mutability: Mutability,
}

impl Function {
    /// `name(type,…)`, the text the selector hashes.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.inputs.join(","))
    }

    fn returns(&self) -> String {
        format!("({})", self.outputs.join(","))
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.signature(), self.mutability.name())?;
        if !self.outputs.is_empty() {
            write!(f, " returns {}", self.returns())?;
        }
        Ok(())
    }
}

/// A parameter of an event or an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Canonical type.
    pub ty: String,
    /// Name (may be empty).
    pub name: String,
    /// `indexed` (events only).
    pub indexed: bool,
}

/// An event or a custom error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Solidity name.
    pub name: String,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// `anonymous` (events only).
    pub anonymous: bool,
}

impl Item {
    /// `Name(type,…)`: what the event topic or error selector hashes.
    pub fn signature(&self) -> String {
        let types: Vec<&str> = self.params.iter().map(|p| p.ty.as_str()).collect();
        format!("{}({})", self.name, types.join(","))
    }

    /// The declaration with names and flags: `Name(address indexed owner, uint256 amount)`.
    pub fn declaration(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let mut s = p.ty.clone();
                if p.indexed {
                    s.push_str(" indexed");
                }
                if !p.name.is_empty() {
                    s.push(' ');
                    s.push_str(&p.name);
                }
                s
            })
            .collect();
        let anonymous = if self.anonymous { " anonymous" } else { "" };
        format!("{}({}){anonymous}", self.name, params.join(", "))
    }
}

/// A contract interface in canonical form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Abi {
    /// Functions.
    pub functions: Vec<Function>,
    /// Events.
    pub events: Vec<Item>,
    /// Custom errors.
    pub errors: Vec<Item>,
}

// ---------------------------------------------------------------------------------------------
// Solidity declarations, read token by token.
//
// The three Solidity texts `keel abi` reads besides solc's output — stylus-sdk's export, the
// bodies of `sol!` macros, and files `sol!("…")` includes — are declarations only, so a token
// reader suffices: proc-macro2 lexes them (and the Rust files around the `sol!` blocks).

/// A Solidity type as written: elementary, named (struct, enum, user-defined value type),
/// tuple, or array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// `uint256`, `address`, `bytes32`, … (already normalised: `uint` → `uint256`).
    Elementary(String),
    /// A struct, enum or user-defined value type, by its last path segment.
    Named(String),
    /// `(T1, T2)`.
    Tuple(Vec<TypeExpr>),
    /// `T[]` (`None`) or `T[N]`.
    Array(Box<TypeExpr>, Option<u64>),
}

/// A declared parameter (or struct field): type, `indexed`, name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawParam {
    /// Its type as written.
    pub ty: TypeExpr,
    /// `indexed` was written.
    pub indexed: bool,
    /// Its name, or empty.
    pub name: String,
}

/// A declared function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFunction {
    /// Name.
    pub name: String,
    /// Parameters.
    pub inputs: Vec<RawParam>,
    /// Returns.
    pub outputs: Vec<RawParam>,
    /// State mutability (`nonpayable` when no keyword).
    pub mutability: Mutability,
}

/// A declared event or error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawItem {
    /// Name.
    pub name: String,
    /// Parameters.
    pub params: Vec<RawParam>,
    /// `anonymous` (events).
    pub anonymous: bool,
}

/// Named types that declarations refer to, for canonical type names.
#[derive(Clone, Debug, Default)]
pub struct Types {
    structs: BTreeMap<String, Vec<TypeExpr>>,
    aliases: BTreeMap<String, TypeExpr>,
    conflicts: BTreeSet<String>,
}

impl Types {
    /// Adds a struct; a second, different declaration of the same name makes it ambiguous.
    pub fn add_struct(&mut self, name: &str, fields: Vec<TypeExpr>) {
        match self.structs.get(name) {
            Some(old) if *old != fields => {
                self.conflicts.insert(name.to_string());
            }
            Some(_) => {}
            None => {
                self.structs.insert(name.to_string(), fields);
            }
        }
    }

    /// Adds an enum (`uint8` in the ABI) or a user-defined value type.
    pub fn add_alias(&mut self, name: &str, ty: TypeExpr) {
        match self.aliases.get(name) {
            Some(old) if *old != ty => {
                self.conflicts.insert(name.to_string());
            }
            Some(_) => {}
            None => {
                self.aliases.insert(name.to_string(), ty);
            }
        }
    }

    /// Adds every type of `other` not already here (first declaration wins; a different
    /// declaration of the same name is recorded as a conflict).
    pub fn merge(&mut self, other: &Types) {
        for (name, fields) in &other.structs {
            self.add_struct(name, fields.clone());
        }
        for (name, ty) in &other.aliases {
            self.add_alias(name, ty.clone());
        }
        self.conflicts.extend(other.conflicts.iter().cloned());
    }

    /// The canonical ABI type of `ty`: structs become tuples, enums `uint8`.
    pub fn canonical(&self, ty: &TypeExpr) -> Result<String> {
        self.canonical_at(ty, 0)
    }

    fn canonical_at(&self, ty: &TypeExpr, depth: usize) -> Result<String> {
        if depth > 32 {
            bail!("type nesting deeper than 32 (a recursive struct?)");
        }
        Ok(match ty {
            TypeExpr::Elementary(name) => name.clone(),
            TypeExpr::Named(name) => {
                if self.conflicts.contains(name) {
                    bail!("type `{name}` is declared more than once, differently");
                }
                if let Some(fields) = self.structs.get(name) {
                    let parts = fields
                        .iter()
                        .map(|f| self.canonical_at(f, depth + 1))
                        .collect::<Result<Vec<_>>>()?;
                    format!("({})", parts.join(","))
                } else if let Some(alias) = self.aliases.get(name) {
                    self.canonical_at(alias, depth + 1)?
                } else {
                    bail!("unknown type `{name}` (no struct, enum or type declaration found)")
                }
            }
            TypeExpr::Tuple(items) => {
                let parts = items
                    .iter()
                    .map(|t| self.canonical_at(t, depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                format!("({})", parts.join(","))
            }
            TypeExpr::Array(inner, len) => {
                let inner = self.canonical_at(inner, depth + 1)?;
                match len {
                    Some(n) => format!("{inner}[{n}]"),
                    None => format!("{inner}[]"),
                }
            }
        })
    }

    fn param(&self, p: &RawParam) -> Result<Param> {
        Ok(Param {
            ty: self.canonical(&p.ty)?,
            name: p.name.clone(),
            indexed: p.indexed,
        })
    }

    /// `f` in canonical form.
    pub fn function(&self, f: &RawFunction) -> Result<Function> {
        let types = |ps: &[RawParam]| -> Result<Vec<String>> {
            ps.iter().map(|p| self.canonical(&p.ty)).collect()
        };
        Ok(Function {
            name: f.name.clone(),
            inputs: types(&f.inputs).with_context(|| format!("function `{}`", f.name))?,
            outputs: types(&f.outputs).with_context(|| format!("function `{}`", f.name))?,
            mutability: f.mutability,
        })
    }

    /// An event or error in canonical form.
    pub fn item(&self, i: &RawItem) -> Result<Item> {
        Ok(Item {
            name: i.name.clone(),
            params: i
                .params
                .iter()
                .map(|p| self.param(p))
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("`{}`", i.name))?,
            anonymous: i.anonymous,
        })
    }
}

/// What a Solidity declaration text declares.
#[derive(Clone, Debug, Default)]
pub struct Declarations {
    /// Functions.
    pub functions: Vec<RawFunction>,
    /// Events.
    pub events: Vec<RawItem>,
    /// Errors.
    pub errors: Vec<RawItem>,
    /// Structs, enums and user-defined value types.
    pub types: Types,
}

/// How to treat `interface`/`contract`/`library` blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Containers {
    /// Read their items (stylus-sdk's export is `interface I<Name> { … }`).
    Enter,
    /// Skip them (in a `sol!` block they declare *other* contracts, to call).
    Skip,
}

fn lex(text: &str) -> Result<TokenStream> {
    TokenStream::from_str(text).map_err(|e| anyhow!("cannot tokenise: {e}"))
}

/// Reads the declarations of a Solidity text.
pub fn parse_solidity(text: &str, containers: Containers) -> Result<Declarations> {
    let mut out = Declarations::default();
    parse_items(lex(text)?, containers, &mut out)?;
    Ok(out)
}

fn is_punct(t: Option<&TokenTree>, c: char) -> bool {
    matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn ident_of(t: Option<&TokenTree>) -> Option<String> {
    match t {
        Some(TokenTree::Ident(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn group_of(t: Option<&TokenTree>, d: Delimiter) -> Option<&Group> {
    match t {
        Some(TokenTree::Group(g)) if g.delimiter() == d => Some(g),
        _ => None,
    }
}

fn parse_items(stream: TokenStream, containers: Containers, out: &mut Declarations) -> Result<()> {
    let toks: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < toks.len() {
        // Attributes (`#[derive(…)]`, doc comments) and stray semicolons.
        if is_punct(toks.get(i), '#') {
            i += 1;
            if is_punct(toks.get(i), '!') {
                i += 1;
            }
            if group_of(toks.get(i), Delimiter::Bracket).is_some() {
                i += 1;
            }
            continue;
        }
        if is_punct(toks.get(i), ';') {
            i += 1;
            continue;
        }
        let Some(keyword) = ident_of(toks.get(i)) else {
            bail!("unexpected `{}`", toks[i]);
        };
        let name = ident_of(toks.get(i + 1));
        match (keyword.as_str(), name) {
            ("event" | "error", Some(name)) => {
                let params = group_of(toks.get(i + 2), Delimiter::Parenthesis)
                    .ok_or_else(|| anyhow!("{keyword} `{name}`: expected `(`"))?;
                let params =
                    parse_params(params.stream()).with_context(|| format!("{keyword} `{name}`"))?;
                i += 3;
                let anonymous =
                    keyword == "event" && ident_of(toks.get(i)).as_deref() == Some("anonymous");
                if anonymous {
                    i += 1;
                }
                let item = RawItem {
                    name,
                    params,
                    anonymous,
                };
                if keyword == "event" {
                    out.events.push(item);
                } else {
                    out.errors.push(item);
                }
            }
            ("struct", Some(name)) => {
                let body = group_of(toks.get(i + 2), Delimiter::Brace)
                    .ok_or_else(|| anyhow!("struct `{name}`: expected `{{`"))?;
                let fields =
                    parse_fields(body.stream()).with_context(|| format!("struct `{name}`"))?;
                out.types
                    .add_struct(&name, fields.into_iter().map(|f| f.ty).collect());
                i += 3;
            }
            ("enum", Some(name)) => {
                out.types
                    .add_alias(&name, TypeExpr::Elementary("uint8".into()));
                i += 3;
            }
            ("type", Some(name)) if ident_of(toks.get(i + 2)).as_deref() == Some("is") => {
                let end = find_semicolon(&toks, i + 3);
                let (ty, _) =
                    parse_type(&toks[i + 3..end]).with_context(|| format!("type `{name}`"))?;
                out.types.add_alias(&name, ty);
                i = end + 1;
            }
            ("function", Some(name)) => {
                let (f, next) =
                    parse_function(&toks, i + 1).with_context(|| format!("function `{name}`"))?;
                out.functions.push(f);
                i = next;
            }
            ("interface" | "contract" | "library" | "abstract", _) => {
                // Skip to the body: `interface IFoo is IBar, IBaz { … }`.
                let mut j = i + 1;
                while j < toks.len() && group_of(toks.get(j), Delimiter::Brace).is_none() {
                    j += 1;
                }
                let body = group_of(toks.get(j), Delimiter::Brace)
                    .ok_or_else(|| anyhow!("{keyword}: expected a body"))?;
                if containers == Containers::Enter {
                    parse_items(body.stream(), containers, out)?;
                }
                i = j + 1;
            }
            _ => {
                // pragma, import, using, constructor, receive, fallback, modifier, …:
                // up to the next `;` or body.
                let mut j = i;
                while j < toks.len()
                    && !is_punct(toks.get(j), ';')
                    && group_of(toks.get(j), Delimiter::Brace).is_none()
                {
                    j += 1;
                }
                i = j + 1;
            }
        }
    }
    Ok(())
}

fn find_semicolon(toks: &[TokenTree], from: usize) -> usize {
    let mut j = from;
    while j < toks.len() && !is_punct(toks.get(j), ';') {
        j += 1;
    }
    j
}

/// Parses `function name(…) <modifiers> [returns (…)]` from `toks[at]` (the name); returns the
/// function and the index after its `;` or body.
fn parse_function(toks: &[TokenTree], at: usize) -> Result<(RawFunction, usize)> {
    let name = ident_of(toks.get(at)).ok_or_else(|| anyhow!("expected a name"))?;
    let inputs = group_of(toks.get(at + 1), Delimiter::Parenthesis)
        .ok_or_else(|| anyhow!("expected `(`"))?;
    let inputs = parse_params(inputs.stream())?;
    let mut mutability = Mutability::NonPayable;
    let mut outputs = Vec::new();
    let mut j = at + 2;
    loop {
        match toks.get(j) {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ';' => {
                j += 1;
                break;
            }
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                j += 1;
                break;
            }
            Some(TokenTree::Ident(word)) => {
                match word.to_string().as_str() {
                    "view" => mutability = Mutability::View,
                    "pure" => mutability = Mutability::Pure,
                    "payable" => mutability = Mutability::Payable,
                    "returns" => {
                        let g = group_of(toks.get(j + 1), Delimiter::Parenthesis)
                            .ok_or_else(|| anyhow!("expected `(` after `returns`"))?;
                        outputs = parse_params(g.stream())?;
                        j += 1;
                    }
                    _ => {} // external, public, virtual, override, modifiers
                }
                j += 1;
            }
            Some(_) => j += 1,
        }
    }
    Ok((
        RawFunction {
            name,
            inputs,
            outputs,
            mutability,
        },
        j,
    ))
}

/// Splits a token stream at top-level commas (or `;` for struct bodies).
fn split(stream: TokenStream, sep: char) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    for t in stream {
        if matches!(&t, TokenTree::Punct(p) if p.as_char() == sep) {
            parts.push(Vec::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(t);
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn parse_params(stream: TokenStream) -> Result<Vec<RawParam>> {
    split(stream, ',').iter().map(|p| parse_param(p)).collect()
}

fn parse_fields(stream: TokenStream) -> Result<Vec<RawParam>> {
    // Struct fields may carry attributes (doc comments) in `sol!`.
    split(stream, ';')
        .iter()
        .map(|p| {
            let mut k = 0;
            while is_punct(p.get(k), '#') && group_of(p.get(k + 1), Delimiter::Bracket).is_some() {
                k += 2;
            }
            parse_param(&p[k..])
        })
        .collect()
}

fn parse_param(toks: &[TokenTree]) -> Result<RawParam> {
    let (ty, mut k) = parse_type(toks)?;
    let mut indexed = false;
    let mut name = String::new();
    while let Some(word) = ident_of(toks.get(k)) {
        match word.as_str() {
            "memory" | "calldata" | "storage" => {}
            "indexed" => indexed = true,
            _ if name.is_empty() => name = word,
            _ => bail!("unexpected `{word}` after parameter `{name}`"),
        }
        k += 1;
    }
    if let Some(t) = toks.get(k) {
        bail!("unexpected `{t}` in a parameter");
    }
    Ok(RawParam { ty, indexed, name })
}

/// Parses a type at the start of `toks`; returns it and the index after it.
fn parse_type(toks: &[TokenTree]) -> Result<(TypeExpr, usize)> {
    let (mut ty, mut k) = match toks.first() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
            let items = split(g.stream(), ',')
                .iter()
                .map(|p| parse_type(p).map(|(t, _)| t))
                .collect::<Result<Vec<_>>>()?;
            (TypeExpr::Tuple(items), 1)
        }
        Some(TokenTree::Ident(first)) => {
            let mut name = first.to_string();
            let mut k = 1;
            // `Lib.Struct`: keep the last segment.
            while is_punct(toks.get(k), '.') {
                name = ident_of(toks.get(k + 1))
                    .ok_or_else(|| anyhow!("expected a name after `.`"))?;
                k += 2;
            }
            if name == "address" && ident_of(toks.get(k)).as_deref() == Some("payable") {
                k += 1;
            }
            (elementary(&name).unwrap_or(TypeExpr::Named(name)), k)
        }
        Some(t) => bail!("expected a type, found `{t}`"),
        None => bail!("expected a type"),
    };
    while let Some(g) = group_of(toks.get(k), Delimiter::Bracket) {
        let inner = g.stream().to_string();
        let len = if inner.trim().is_empty() {
            None
        } else {
            Some(
                inner
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| anyhow!("array length `{inner}` is not a number"))?,
            )
        };
        ty = TypeExpr::Array(Box::new(ty), len);
        k += 1;
    }
    Ok((ty, k))
}

/// An elementary type's canonical name, or `None` for a user type name.
fn elementary(name: &str) -> Option<TypeExpr> {
    let canonical = match name {
        "uint" => "uint256".to_string(),
        "int" => "int256".to_string(),
        "byte" => "bytes1".to_string(),
        "bool" | "address" | "string" | "bytes" | "function" => name.to_string(),
        _ => {
            let sized = |prefix: &str, ok: fn(u32) -> bool| {
                name.strip_prefix(prefix)
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(ok)
            };
            if sized("uint", |n| n % 8 == 0 && (8..=256).contains(&n))
                || sized("int", |n| n % 8 == 0 && (8..=256).contains(&n))
                || sized("bytes", |n| (1..=32).contains(&n))
            {
                name.to_string()
            } else {
                return None;
            }
        }
    };
    Some(TypeExpr::Elementary(canonical))
}

// ---------------------------------------------------------------------------------------------
// `sol!` blocks in Rust sources.

/// The `event`/`error`/`struct`/`enum`/`type` declarations at the top level of every `sol!`
/// macro in a Rust source file (`sol!("file.sol")` reads the file, relative to `crate_dir`).
/// Blocks inside `#[cfg(test)] mod … { … }` are left out; `interface`/`contract` blocks in
/// `sol!` declare other contracts and are skipped.
pub fn scan_rust_source(source: &str, crate_dir: &Path) -> Result<Declarations> {
    let mut out = Declarations::default();
    scan_stream(lex(source)?, crate_dir, &mut out)?;
    Ok(out)
}

fn scan_stream(stream: TokenStream, crate_dir: &Path, out: &mut Declarations) -> Result<()> {
    let toks: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < toks.len() {
        // `#[cfg(test)]` on the next item: skip the attribute and the item's body.
        if is_punct(toks.get(i), '#') {
            if let Some(attr) = group_of(toks.get(i + 1), Delimiter::Bracket) {
                let text: String = attr.stream().to_string().split_whitespace().collect();
                if text == "cfg(test)" {
                    let mut j = i + 2;
                    while j < toks.len()
                        && !is_punct(toks.get(j), ';')
                        && group_of(toks.get(j), Delimiter::Brace).is_none()
                    {
                        j += 1;
                    }
                    i = j + 1;
                    continue;
                }
            }
        }
        if ident_of(toks.get(i)).as_deref() == Some("sol") && is_punct(toks.get(i + 1), '!') {
            if let Some(TokenTree::Group(g)) = toks.get(i + 2) {
                let mut inner = g.stream().into_iter();
                match (inner.next(), inner.next()) {
                    (Some(TokenTree::Literal(lit)), None) => {
                        let path = lit.to_string();
                        let path = path.trim_matches('"');
                        let file = crate_dir.join(path);
                        let text = fs::read_to_string(&file)
                            .with_context(|| format!("sol!: reading {}", file.display()))?;
                        parse_items(lex(&text)?, Containers::Skip, out)
                            .with_context(|| format!("sol!: {}", file.display()))?;
                    }
                    _ => parse_items(g.stream(), Containers::Skip, out)?,
                }
                i += 3;
                continue;
            }
        }
        if let Some(TokenTree::Group(g)) = toks.get(i) {
            scan_stream(g.stream(), crate_dir, out)?;
        }
        i += 1;
    }
    Ok(())
}

/// The crates whose `sol!` blocks count for a contract: the crate at `crate_dir` and, through
/// `[dependencies]` with a `path` (directly or via `[workspace.dependencies]` of
/// `root/Cargo.toml`), every local crate it links, transitively. Sorted, de-duplicated.
pub fn linked_crates(root: &Path, crate_dir: &Path) -> Result<Vec<PathBuf>> {
    let workspace: toml::Table = read_toml(&root.join("Cargo.toml"))?;
    let workspace_deps = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut todo = vec![normalise(crate_dir)];
    while let Some(dir) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let manifest: toml::Table = read_toml(&root.join(&dir).join("Cargo.toml"))?;
        let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) else {
            continue;
        };
        for (name, spec) in deps {
            let path = if let Some(p) = spec.get("path").and_then(|p| p.as_str()) {
                Some(normalise(&dir.join(p)))
            } else if spec.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                workspace_deps
                    .get(name)
                    .and_then(|d| d.get("path"))
                    .and_then(|p| p.as_str())
                    .map(|p| normalise(Path::new(p)))
            } else {
                None
            };
            if let Some(path) = path {
                todo.push(path);
            }
        }
    }
    Ok(seen.into_iter().collect())
}

/// `a/b/../c` → `a/c` (paths here are relative to the repository root).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn read_toml(path: &Path) -> Result<toml::Table> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Scans the `src/` of each crate (relative to `root`) and merges the declarations.
pub fn scan_crates(root: &Path, crates: &[PathBuf]) -> Result<Declarations> {
    let mut all = Declarations::default();
    for dir in crates {
        let mut files = Vec::new();
        rust_files(&root.join(dir).join("src"), &mut files)?;
        for file in files {
            let text =
                fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let found = scan_rust_source(&text, &root.join(dir))
                .with_context(|| format!("scanning sol! blocks of {}", file.display()))?;
            all.functions.extend(found.functions);
            all.events.extend(found.events);
            all.errors.extend(found.errors);
            all.types.merge(&found.types);
        }
    }
    Ok(all)
}

// ---------------------------------------------------------------------------------------------
// solc's JSON ABI.

fn json_type(param: &Value) -> Result<String> {
    let ty = param
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("ABI parameter without a type: {param}"))?;
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let parts = param
                .get("components")
                .and_then(Value::as_array)
                .ok_or_else(|| anyhow!("tuple without components: {param}"))?
                .iter()
                .map(json_type)
                .collect::<Result<Vec<_>>>()?;
            Ok(format!("({}){suffix}", parts.join(",")))
        }
        None => Ok(ty.to_string()),
    }
}

fn json_params(entry: &Value, key: &str) -> Result<Vec<Param>> {
    entry
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Ok(Param {
                ty: json_type(p)?,
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                indexed: p.get("indexed").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

/// Reads a JSON ABI (an array of entries, as solc writes it). Constructor, `receive` and
/// `fallback` entries are returned by name in the second value: an export never shows them.
pub fn abi_from_json(abi: &Value) -> Result<(Abi, Vec<String>)> {
    let mut out = Abi::default();
    let mut unchecked = Vec::new();
    for entry in abi
        .as_array()
        .ok_or_else(|| anyhow!("a JSON ABI is an array"))?
    {
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("function");
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match kind {
            "function" => {
                let mutability = entry
                    .get("stateMutability")
                    .and_then(Value::as_str)
                    .and_then(Mutability::from_name)
                    .ok_or_else(|| anyhow!("function `{name}` without a stateMutability"))?;
                let types = |key| -> Result<Vec<String>> {
                    Ok(json_params(entry, key)?.into_iter().map(|p| p.ty).collect())
                };
                out.functions.push(Function {
                    inputs: types("inputs")?,
                    outputs: types("outputs")?,
                    name,
                    mutability,
                });
            }
            "event" | "error" => {
                let item = Item {
                    params: json_params(entry, "inputs")?,
                    anonymous: entry
                        .get("anonymous")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    name,
                };
                if kind == "event" {
                    out.events.push(item);
                } else {
                    out.errors.push(item);
                }
            }
            other => unchecked.push(other.to_string()),
        }
    }
    Ok((out, unchecked))
}

/// The JSON ABI text `keel abi` writes: keys sorted, two-space indent, final newline.
pub fn abi_json_text(abi: &Value) -> Result<String> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut text = serde_json::to_string_pretty(&sorted(abi))?;
    text.push('\n');
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// The code's side and the comparison.

/// What the code says a contract's interface is.
#[derive(Clone, Debug, Default)]
pub struct CodeAbi {
    /// The functions stylus-sdk's export lists (the router's methods).
    pub functions: Vec<Function>,
    /// Signatures of the errors the export lists (`Name(type,…)`).
    pub exported_errors: Vec<String>,
    /// Events declared in the scanned `sol!` blocks.
    pub events: Vec<Item>,
    /// Errors declared in the scanned `sol!` blocks.
    pub declared_errors: Vec<Item>,
    /// Functions declared at the top level of the contract crate's own `sol!` blocks: the
    /// selectors a `#[fallback]` dispatcher matches, when the contract has one (empty when
    /// the crate declares none).
    pub declared_functions: Vec<Function>,
}

impl CodeAbi {
    /// Builds the code's side from the export text, the `sol!` declarations of the crates
    /// the contract links (`declared`) and those of its own crate (`own`, for functions). The
    /// export's own structs resolve first, then those of the `sol!` blocks.
    pub fn new(export: &str, declared: &Declarations, own: &Declarations) -> Result<Self> {
        let exported =
            parse_solidity(export, Containers::Enter).context("reading the export-abi output")?;
        let mut types = exported.types.clone();
        types.merge(&declared.types);
        let mut functions: Vec<Function> = Vec::new();
        for f in &exported.functions {
            let f = types.function(f).context("export-abi output")?;
            if !functions.contains(&f) {
                functions.push(f);
            }
        }
        let mut exported_errors = Vec::new();
        for e in &exported.errors {
            let sig = types.item(e).context("export-abi output")?.signature();
            if !exported_errors.contains(&sig) {
                exported_errors.push(sig);
            }
        }
        let dedup = |items: &[RawItem]| -> Result<Vec<Item>> {
            let mut out: Vec<Item> = Vec::new();
            for i in items {
                let i = types.item(i).context("sol! declarations")?;
                if !out.contains(&i) {
                    out.push(i);
                }
            }
            Ok(out)
        };
        let mut declared_functions: Vec<Function> = Vec::new();
        for f in &own.functions {
            let f = types.function(f).context("sol! declarations")?;
            if !declared_functions.contains(&f) {
                declared_functions.push(f);
            }
        }
        Ok(CodeAbi {
            functions,
            exported_errors,
            events: dedup(&declared.events)?,
            declared_errors: dedup(&declared.errors)?,
            declared_functions,
        })
    }
}

/// What kind of ABI item a difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A function.
    Function,
    /// An event.
    Event,
    /// A custom error.
    Error,
    /// The interface file or its JSON ABI as a whole.
    File,
}

/// How the code and the interface differ on one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// In the code, not in the interface.
    Missing,
    /// In the interface, not in the code.
    Extra,
    /// In both, differently.
    Changed,
}

/// One difference between a contract and its interface.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Drift {
    /// Function, event, error, file.
    pub kind: Kind,
    /// Missing, extra, changed.
    pub change: Change,
    /// The item (`price(address)`, `FeedSet`, …).
    pub item: String,
    /// What differs, in words.
    pub detail: String,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.change {
            Change::Missing => "missing",
            Change::Extra => "extra  ",
            Change::Changed => "changed",
        };
        let kind = match self.kind {
            Kind::Function => "function",
            Kind::Event => "event",
            Kind::Error => "error",
            Kind::File => "file",
        };
        write!(f, "{mark} {kind} {}: {}", self.item, self.detail)
    }
}

/// Compares the code's side with an interface's ABI (`file` names the interface in messages).
pub fn compare(code: &CodeAbi, iface: &Abi, file: &str) -> Vec<Drift> {
    let mut out = Vec::new();
    compare_functions(&code.functions, Source::Export, iface, file, &mut out);
    if !code.declared_functions.is_empty() {
        compare_functions(&code.declared_functions, Source::Sol, iface, file, &mut out);
    }
    compare_errors(code, iface, file, &mut out);
    compare_events(code, iface, file, &mut out);
    out.sort();
    out
}

/// Where the code's functions come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// stylus-sdk's export (the `#[public]` router).
    Export,
    /// The contract crate's top-level `sol!` functions.
    Sol,
}

impl Source {
    fn declares(self) -> &'static str {
        match self {
            Source::Export => "the contract exports",
            Source::Sol => "the crate's sol! declares",
        }
    }

    fn lacks(self) -> &'static str {
        match self {
            Source::Export => "the contract does not export it",
            Source::Sol => "the crate's sol! does not declare it",
        }
    }

    fn place(self) -> &'static str {
        match self {
            Source::Export => "in the contract",
            Source::Sol => "in sol!",
        }
    }
}

fn compare_functions(
    code: &[Function],
    source: Source,
    iface: &Abi,
    file: &str,
    out: &mut Vec<Drift>,
) {
    let by_sig = |fs: &[Function]| -> BTreeMap<String, Function> {
        fs.iter().map(|f| (f.signature(), f.clone())).collect()
    };
    let ours = by_sig(code);
    let theirs = by_sig(&iface.functions);
    let mut missing: Vec<&Function> = ours
        .iter()
        .filter(|(s, _)| !theirs.contains_key(*s))
        .map(|(_, f)| f)
        .collect();
    let mut extra: Vec<&Function> = theirs
        .iter()
        .filter(|(s, _)| !ours.contains_key(*s))
        .map(|(_, f)| f)
        .collect();
    // A name on each side once, with other parameters: one changed function.
    let paired = take_changed(&mut missing, &mut extra, |f| &f.name);
    for (m, e) in &paired {
        out.push(Drift {
            kind: Kind::Function,
            change: Change::Changed,
            item: m.name.clone(),
            detail: format!("{} `{m}`, {file} declares `{e}`", source.declares()),
        });
    }
    for f in missing {
        out.push(Drift {
            kind: Kind::Function,
            change: Change::Missing,
            item: f.signature(),
            detail: format!("{} `{f}`; {file} does not declare it", source.declares()),
        });
    }
    for f in extra {
        out.push(Drift {
            kind: Kind::Function,
            change: Change::Extra,
            item: f.signature(),
            detail: format!("{file} declares `{f}`; {}", source.lacks()),
        });
    }
    for (sig, ours) in &ours {
        let Some(theirs) = theirs.get(sig) else {
            continue;
        };
        if ours.mutability != theirs.mutability {
            out.push(Drift {
                kind: Kind::Function,
                change: Change::Changed,
                item: sig.clone(),
                detail: format!(
                    "{} {}, {} in {file}",
                    ours.mutability.name(),
                    source.place(),
                    theirs.mutability.name()
                ),
            });
        }
        if ours.outputs != theirs.outputs {
            out.push(Drift {
                kind: Kind::Function,
                change: Change::Changed,
                item: sig.clone(),
                detail: format!(
                    "returns {} {}, {} in {file}",
                    ours.returns(),
                    source.place(),
                    theirs.returns()
                ),
            });
        }
    }
}

fn compare_errors(code: &CodeAbi, iface: &Abi, file: &str, out: &mut Vec<Drift>) {
    let name_of = |sig: &str| sig.split('(').next().unwrap_or(sig).to_string();
    let mut reported = BTreeSet::new();
    // Every error the contract can revert with (as far as the export shows) is declared.
    for sig in &code.exported_errors {
        if iface.errors.iter().any(|e| e.signature() == *sig) {
            continue;
        }
        let name = name_of(sig);
        match iface.errors.iter().find(|e| e.name == name) {
            Some(e) => out.push(Drift {
                kind: Kind::Error,
                change: Change::Changed,
                item: name.clone(),
                detail: format!(
                    "the contract reverts with `{sig}`, {file} declares `{}`",
                    e.declaration()
                ),
            }),
            None => out.push(Drift {
                kind: Kind::Error,
                change: Change::Missing,
                item: sig.clone(),
                detail: format!(
                    "the contract can revert with it (export-abi); {file} does not declare it"
                ),
            }),
        }
        reported.insert(name);
    }
    // Every error of the interface is declared in the code, with the same parameters.
    for e in &iface.errors {
        if reported.contains(&e.name) {
            continue;
        }
        let sig = e.signature();
        if let Some(d) = code.declared_errors.iter().find(|d| d.signature() == sig) {
            if d.params
                .iter()
                .map(|p| &p.name)
                .ne(e.params.iter().map(|p| &p.name))
            {
                out.push(Drift {
                    kind: Kind::Error,
                    change: Change::Changed,
                    item: e.name.clone(),
                    detail: format!(
                        "parameter names: `{}` in sol!, `{}` in {file}",
                        d.declaration(),
                        e.declaration()
                    ),
                });
            }
        } else if let Some(d) = code.declared_errors.iter().find(|d| d.name == e.name) {
            out.push(Drift {
                kind: Kind::Error,
                change: Change::Changed,
                item: e.name.clone(),
                detail: format!(
                    "sol! declares `{}`, {file} declares `{}`",
                    d.declaration(),
                    e.declaration()
                ),
            });
        } else {
            out.push(Drift {
                kind: Kind::Error,
                change: Change::Extra,
                item: sig,
                detail: format!(
                    "{file} declares `{}`; no sol! block of the contract's crates does",
                    e.declaration()
                ),
            });
        }
    }
}

/// Pairs the items whose name appears exactly once among `missing` and once among `extra` —
/// one item declared with other parameters, reported as changed rather than as missing plus
/// extra — and removes them from both lists.
fn take_changed<T: Clone>(
    missing: &mut Vec<&T>,
    extra: &mut Vec<&T>,
    name: impl Fn(&T) -> &String,
) -> Vec<(T, T)> {
    let count = |items: &[&T], n: &String| items.iter().filter(|i| name(i) == n).count();
    let pairs: Vec<(T, T)> = missing
        .iter()
        .filter(|m| count(missing, name(m)) == 1 && count(extra, name(m)) == 1)
        .filter_map(|m| {
            extra
                .iter()
                .find(|e| name(e) == name(m))
                .map(|e| ((*m).clone(), (*e).clone()))
        })
        .collect();
    for (m, _) in &pairs {
        missing.retain(|i| name(i) != name(m));
        extra.retain(|i| name(i) != name(m));
    }
    pairs
}

fn compare_events(code: &CodeAbi, iface: &Abi, file: &str, out: &mut Vec<Drift>) {
    let mut missing: Vec<&Item> = code
        .events
        .iter()
        .filter(|e| !iface.events.contains(e))
        .collect();
    let mut extra: Vec<&Item> = iface
        .events
        .iter()
        .filter(|e| !code.events.contains(e))
        .collect();
    let pairs = take_changed(&mut missing, &mut extra, |i| &i.name);
    for (m, e) in &pairs {
        out.push(Drift {
            kind: Kind::Event,
            change: Change::Changed,
            item: m.name.clone(),
            detail: format!(
                "`{}` in sol!, `{}` in {file}",
                m.declaration(),
                e.declaration()
            ),
        });
    }
    for m in missing {
        out.push(Drift {
            kind: Kind::Event,
            change: Change::Missing,
            item: m.signature(),
            detail: format!("sol! declares `{}`; {file} does not", m.declaration()),
        });
    }
    for e in extra {
        out.push(Drift {
            kind: Kind::Event,
            change: Change::Extra,
            item: e.signature(),
            detail: format!(
                "{file} declares `{}`; no sol! block of the contract's crates does",
                e.declaration()
            ),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Running the tools.

/// One contract's entry in the exporter's output.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ContractExport {
    /// Interface name: the file is `abi/<interface>.sol`.
    pub interface: String,
    /// Cargo package of the contract.
    pub package: String,
    /// The contract crate's directory, relative to the repository root.
    pub dir: String,
    /// What stylus-sdk's `export-abi` prints for the contract.
    pub export: String,
}

/// The exporter's output (`keel-abi-export` prints it as JSON).
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ExportDoc {
    /// One entry per registered contract.
    pub contracts: Vec<ContractExport>,
}

/// Where things are, and where the export comes from.
#[derive(Clone, Debug)]
pub struct Options {
    /// The repository root (holds `abi/`, `contracts/`, `Cargo.toml`).
    pub root: PathBuf,
    /// The `solc` command over solc-js (`abi/tools/solc`).
    pub solc: PathBuf,
    /// A saved exporter output; without it, the exporter is built and run with cargo.
    pub export: Option<PathBuf>,
}

impl Options {
    /// Defaults for the repository at `root`.
    pub fn at(root: &Path) -> Self {
        Options {
            root: root.to_path_buf(),
            solc: root.join("abi/tools/solc"),
            export: None,
        }
    }
}

/// The exporter command: one cargo invocation builds every contract with `export-abi`.
pub fn exporter_command() -> Vec<String> {
    [
        "run",
        "--release",
        "--quiet",
        "-p",
        EXPORTER_PACKAGE,
        "--features",
        "export-abi",
    ]
    .map(String::from)
    .to_vec()
}

fn load_export(opts: &Options, say: &mut dyn FnMut(&str)) -> Result<ExportDoc> {
    let text = match &opts.export {
        Some(file) => fs::read_to_string(file)
            .with_context(|| format!("reading the export {}", file.display()))?,
        None => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let args = exporter_command();
            say(&format!("exporting: cargo {}", args.join(" ")));
            let output = Command::new(cargo)
                .args(&args)
                .current_dir(&opts.root)
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()
                .context("running cargo")?;
            if !output.status.success() {
                bail!("the exporter failed ({})", output.status);
            }
            String::from_utf8(output.stdout).context("the exporter's output is not UTF-8")?
        }
    };
    serde_json::from_str(&text).context("reading the exporter's JSON")
}

/// An interface file compiled: its ABI as solc gives it.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// `I<Name>` (the file stem).
    pub interface: String,
    /// The JSON ABI.
    pub abi: Value,
}

/// The `.sol` files directly in `abi_dir`, sorted.
pub fn interface_files(abi_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(abi_dir)
        .with_context(|| format!("reading {}", abi_dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sol"))
        .collect();
    files.sort();
    Ok(files)
}

/// Compiles `files` (in `abi_dir`) in one solc-js run; fails on any compiler error and
/// returns the warnings' texts with each file's interface ABI.
pub fn compile(
    solc: &Path,
    abi_dir: &Path,
    files: &[PathBuf],
) -> Result<(Vec<Compiled>, Vec<String>)> {
    let mut sources = serde_json::Map::new();
    let mut names = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("bad file name {}", file.display()))?
            .to_string();
        let content =
            fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        sources.insert(name.clone(), serde_json::json!({ "content": content }));
        names.push(name);
    }
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": sources,
        "settings": { "outputSelection": { "*": { "*": ["abi"] } } },
    });
    let (result, warnings) = crate::solidity::standard_json(solc, abi_dir, &[], &input)?;
    let mut compiled = Vec::new();
    for name in names {
        let stem = name.trim_end_matches(".sol").to_string();
        let abi = result
            .get("contracts")
            .and_then(|c| c.get(&name))
            .and_then(|c| c.get(&stem))
            .and_then(|c| c.get("abi"))
            .ok_or_else(|| {
                anyhow!("abi/{name} declares no interface or contract named `{stem}`")
            })?;
        compiled.push(Compiled {
            interface: stem,
            abi: abi.clone(),
        });
    }
    Ok((compiled, warnings))
}

/// The outcome for one interface.
#[derive(Clone, Debug)]
pub struct Report {
    /// `I<Name>`.
    pub interface: String,
    /// Every difference found (empty: the interface matches).
    pub drifts: Vec<Drift>,
    /// A one-line summary of what was compared.
    pub summary: String,
}

/// Compiles the interfaces, exports the contracts and compares them; `json` is the JSON text
/// to write or compare for each interface, keyed by file name.
fn evaluate(
    opts: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<(Vec<Report>, BTreeMap<String, String>)> {
    let abi_dir = opts.root.join("abi");
    let files = interface_files(&abi_dir)?;
    let (compiled, warnings) = compile(&opts.solc, &abi_dir, &files)?;
    for w in &warnings {
        say(&format!("solc warning: {w}"));
    }
    let doc = load_export(opts, say)?;
    let mut reports = Vec::new();
    let mut json = BTreeMap::new();
    for c in &compiled {
        let file = format!("abi/{}.sol", c.interface);
        json.insert(format!("{}.json", c.interface), abi_json_text(&c.abi)?);
        let (iface, unchecked) = abi_from_json(&c.abi).with_context(|| file.clone())?;
        let Some(contract) = doc.contracts.iter().find(|x| x.interface == c.interface) else {
            reports.push(Report {
                interface: c.interface.clone(),
                drifts: vec![Drift {
                    kind: Kind::File,
                    change: Change::Extra,
                    item: file.clone(),
                    detail: "no contract is registered for it in abi/export/src/main.rs".into(),
                }],
                summary: String::new(),
            });
            continue;
        };
        let crates = linked_crates(&opts.root, Path::new(&contract.dir))?;
        let declared = scan_crates(&opts.root, &crates)?;
        let own = scan_crates(&opts.root, &[PathBuf::from(&contract.dir)])?;
        let code = CodeAbi::new(&contract.export, &declared, &own)
            .with_context(|| format!("{} ({})", contract.package, contract.dir))?;
        let mut drifts = compare(&code, &iface, &file);
        for u in unchecked {
            drifts.push(Drift {
                kind: Kind::File,
                change: Change::Extra,
                item: u.clone(),
                detail: format!("{file} declares a {u}, which export-abi cannot show; remove it"),
            });
        }
        let crates: Vec<String> = crates.iter().map(|c| c.display().to_string()).collect();
        reports.push(Report {
            interface: c.interface.clone(),
            summary: format!(
                "{} ({}): {} functions, {} events, {} errors; sol! scanned in {}{}",
                contract.package,
                contract.dir,
                iface.functions.len(),
                iface.events.len(),
                iface.errors.len(),
                crates.join(", "),
                if code.declared_functions.is_empty() {
                    ""
                } else {
                    "; functions also held against the crate's sol! functions"
                }
            ),
            drifts,
        });
    }
    for contract in &doc.contracts {
        if !compiled.iter().any(|c| c.interface == contract.interface) {
            reports.push(Report {
                interface: contract.interface.clone(),
                drifts: vec![Drift {
                    kind: Kind::File,
                    change: Change::Missing,
                    item: format!("abi/{}.sol", contract.interface),
                    detail: format!(
                        "{} is registered but has no interface file",
                        contract.package
                    ),
                }],
                summary: String::new(),
            });
        }
    }
    Ok((reports, json))
}

fn print_reports(reports: &[Report], say: &mut dyn FnMut(&str)) {
    for r in reports {
        if r.drifts.is_empty() {
            say(&format!("{}: matches — {}", r.interface, r.summary));
        } else {
            say(&format!(
                "{}: {} difference(s)",
                r.interface,
                r.drifts.len()
            ));
            if !r.summary.is_empty() {
                say(&format!("  {}", r.summary));
            }
            for d in &r.drifts {
                say(&format!("  {d}"));
            }
        }
    }
}

/// `keel abi check`: fails (returns `false`) when an interface differs from its contract or
/// a committed `abi/*.json` differs from the regenerated one.
pub fn check(opts: &Options, say: &mut dyn FnMut(&str)) -> Result<bool> {
    let (mut reports, json) = evaluate(opts, say)?;
    let abi_dir = opts.root.join("abi");
    for (name, text) in &json {
        let path = abi_dir.join(name);
        let stem = name.trim_end_matches(".json");
        let drift = match fs::read_to_string(&path) {
            Err(_) => Some("missing: run `keel abi generate`".to_string()),
            Ok(old) if old == *text => None,
            Ok(old) => Some(json_difference(&old, text)),
        };
        if let (Some(detail), Some(r)) = (drift, reports.iter_mut().find(|r| r.interface == stem)) {
            r.drifts.push(Drift {
                kind: Kind::File,
                change: Change::Changed,
                item: format!("abi/{name}"),
                detail,
            });
        }
    }
    for stale in stale_json(&abi_dir, &json)? {
        reports.push(Report {
            interface: stale.clone(),
            drifts: vec![Drift {
                kind: Kind::File,
                change: Change::Extra,
                item: format!("abi/{stale}"),
                detail: "no abi/*.sol produces it; delete it".into(),
            }],
            summary: String::new(),
        });
    }
    print_reports(&reports, say);
    let failed = reports.iter().filter(|r| !r.drifts.is_empty()).count();
    say(&format!(
        "abi check: {} interface(s), {} matching, {} with differences",
        reports.len(),
        reports.len() - failed,
        failed
    ));
    Ok(failed == 0)
}

fn stale_json(abi_dir: &Path, json: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    for entry in fs::read_dir(abi_dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if path.is_file()
            && name.ends_with(".json")
            && !json.contains_key(&name)
            && !matches!(name.as_str(), "package.json" | "package-lock.json")
        {
            stale.push(name);
        }
    }
    stale.sort();
    Ok(stale)
}

/// Says how a committed JSON ABI differs from the regenerated one.
fn json_difference(old: &str, new: &str) -> String {
    let entries = |text: &str| -> Option<BTreeSet<String>> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(v.as_array()?.iter().map(|e| e.to_string()).collect())
    };
    let describe = |e: &str| -> String {
        let v: Value = serde_json::from_str(e).unwrap_or(Value::Null);
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        format!("{kind} {name}")
    };
    match (entries(old), entries(new)) {
        (Some(old), Some(new)) if old == new => {
            "same entries, different text: run `keel abi generate`".into()
        }
        (Some(old), Some(new)) => {
            let gone: Vec<String> = old.difference(&new).map(|e| describe(e)).collect();
            let added: Vec<String> = new.difference(&old).map(|e| describe(e)).collect();
            format!(
                "out of date (run `keel abi generate`): committed only [{}], regenerated only [{}]",
                gone.join(", "),
                added.join(", ")
            )
        }
        _ => "not a JSON ABI: run `keel abi generate`".into(),
    }
}

/// `keel abi generate`: writes `abi/I<Name>.json` for every interface, unless an interface
/// differs from its contract (then nothing is written and `false` returned).
pub fn generate(opts: &Options, say: &mut dyn FnMut(&str)) -> Result<bool> {
    let (reports, json) = evaluate(opts, say)?;
    print_reports(&reports, say);
    if reports.iter().any(|r| !r.drifts.is_empty()) {
        say("abi generate: interfaces differ from their contracts; nothing written");
        return Ok(false);
    }
    let abi_dir = opts.root.join("abi");
    for (name, text) in &json {
        let path = abi_dir.join(name);
        let unchanged = fs::read_to_string(&path).is_ok_and(|old| old == *text);
        if !unchanged {
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        say(&format!(
            "abi/{name}: {}",
            if unchanged { "unchanged" } else { "written" }
        ));
    }
    Ok(true)
}

/// `keel abi (check|generate) [--export FILE] [--solc PATH]`, from the repository root.
pub fn run(args: &[&str], say: &mut dyn FnMut(&str)) -> Result<bool> {
    let (command, mut rest) = match args.split_first() {
        Some((c, rest)) => (*c, rest),
        None => bail!("keel abi: expected `check` or `generate`"),
    };
    let mut root = std::env::current_dir()?;
    let mut solc = None;
    let mut export = None;
    while let Some((flag, tail)) = rest.split_first() {
        let (value, tail) = tail
            .split_first()
            .ok_or_else(|| anyhow!("{flag} needs a value"))?;
        match *flag {
            "--export" => export = Some(PathBuf::from(value)),
            "--solc" => solc = Some(PathBuf::from(value)),
            "--root" => root = PathBuf::from(value),
            other => bail!("keel abi: unknown option {other}"),
        }
        rest = tail;
    }
    let mut opts = Options::at(&root);
    opts.export = export;
    if let Some(solc) = solc {
        opts.solc = solc;
    }
    if !opts.root.join("abi").is_dir() {
        bail!(
            "{} has no abi/ folder: run from the repository root",
            opts.root.display()
        );
    }
    match command {
        "check" => check(&opts, say),
        "generate" => generate(&opts, say),
        other => bail!("keel abi: unknown command `{other}` (expected check or generate)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> TypeExpr {
        let toks: Vec<TokenTree> = lex(text).unwrap().into_iter().collect();
        let (t, used) = parse_type(&toks).unwrap();
        assert_eq!(used, toks.len(), "{text}");
        t
    }

    #[test]
    fn canonical_types_expand_structs_enums_and_value_types() {
        let decl = parse_solidity(
            "struct Leg { uint strike; bool isCall; Side side; }
             struct Book { Leg[] legs; Price[2] marks; address payable owner; }
             enum Side { Long, Short }
             type Price is uint128;",
            Containers::Skip,
        )
        .unwrap();
        let t = &decl.types;
        assert_eq!(
            t.canonical(&ty("Book[]")).unwrap(),
            "((uint256,bool,uint8)[],uint128[2],address)[]"
        );
        assert_eq!(
            t.canonical(&ty("(uint, Lib.Leg)")).unwrap(),
            "(uint256,(uint256,bool,uint8))"
        );
        assert_eq!(t.canonical(&ty("bytes32[][3]")).unwrap(), "bytes32[][3]");
        let unknown = t.canonical(&ty("Missing")).unwrap_err().to_string();
        assert!(unknown.contains("unknown type `Missing`"), "{unknown}");

        let mut clash = decl.types.clone();
        clash.add_struct("Leg", vec![TypeExpr::Elementary("uint8".into())]);
        let err = clash.canonical(&ty("Book")).unwrap_err().to_string();
        assert!(err.contains("`Leg` is declared more than once"), "{err}");
    }

    /// What stylus-sdk 0.10.10's export-abi printed for the fixture contract Alpha
    /// (`scripts/tests/fixtures/abi`).
    const ALPHA_EXPORT: &str = "interface IAlpha {
    function price(address asset) external view returns (uint256, uint256);

    function setFeed(address asset, address feed, uint64 heartbeat) external;

    function read(Query q) external view returns (Reading memory);

    function prices(address[] memory assets) external view returns (uint256[] memory);

    function deposit() external payable;

    function owner() external view returns (address);

    error StaleFeed(address, uint256);

    error ZeroAddress();

    struct Reading {uint256 price;uint256 confidence;bool stale;}
}
";

    #[test]
    fn export_text_is_read_with_sol_structs_for_parameter_only_structs() {
        let mut declared = Declarations::default();
        declared.types.add_struct(
            "Query",
            vec![ty("address"), TypeExpr::Elementary("uint64".into())],
        );
        let code = CodeAbi::new(ALPHA_EXPORT, &declared, &Declarations::default()).unwrap();
        let shown: Vec<String> = code.functions.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            shown,
            [
                "price(address) view returns (uint256,uint256)",
                "setFeed(address,address,uint64) nonpayable",
                "read((address,uint64)) view returns ((uint256,uint256,bool))",
                "prices(address[]) view returns (uint256[])",
                "deposit() payable",
                "owner() view returns (address)",
            ]
        );
        assert_eq!(
            code.exported_errors,
            ["StaleFeed(address,uint256)", "ZeroAddress()"]
        );

        // Without `sol!`'s `Query` the export cannot be read: it does not declare it.
        let none = Declarations::default();
        let err = CodeAbi::new(ALPHA_EXPORT, &none, &none).unwrap_err();
        assert!(format!("{err:#}").contains("unknown type `Query`"));
    }

    #[test]
    fn sol_blocks_are_found_where_rust_puts_them() {
        let source = r##"
            //! docs
            use alloy_sol_types::sol;
            sol! {
                /// Documented, with derives.
                #[derive(Debug, PartialEq, Eq)]
                event Moved(address indexed from, uint256 amount) anonymous;
                #[derive(Debug)]
                error Late(uint64 at, string why);
                /// An interface in `sol!` is another contract's: skipped.
                interface IOther { event NotOurs(); error AlsoNotOurs(); }
            }
            mod abi {
                alloy_sol_types::sol! {
                    struct Pair { uint256 a; /// field doc
                        int128 b; }
                    enum Mode { Isolated, Cross }
                    type Id is bytes32;
                }
            }
            sol_interface! { interface IFeed { function decimals() external view returns (uint8); } }
            const S: &str = "sol! { event InAString(); }";
            #[cfg(test)]
            mod tests { sol! { event TestOnly(); } }
            fn f() { let _ = r#"sol! { error InRaw(); }"#; }
        "##;
        let d = scan_rust_source(source, Path::new(".")).unwrap();
        let events: Vec<Item> = d.events.iter().map(|e| d.types.item(e).unwrap()).collect();
        let errors: Vec<Item> = d.errors.iter().map(|e| d.types.item(e).unwrap()).collect();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].declaration(),
            "Moved(address indexed from, uint256 amount) anonymous"
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].declaration(), "Late(uint64 at, string why)");
        assert_eq!(
            d.types.canonical(&ty("(Pair, Mode, Id)")).unwrap(),
            "((uint256,int128),uint8,bytes32)"
        );
    }

    #[test]
    fn solc_json_abi_is_read_in_canonical_form() {
        let json: Value = serde_json::from_str(
            r#"[
              {"type":"constructor","inputs":[],"stateMutability":"nonpayable"},
              {"type":"receive","stateMutability":"payable"},
              {"type":"function","name":"book","stateMutability":"view",
               "inputs":[{"name":"legs","type":"tuple[]","components":[
                  {"name":"strike","type":"uint256"},
                  {"name":"inner","type":"tuple","components":[{"name":"x","type":"bool"}]}]}],
               "outputs":[{"name":"","type":"int256[2]"}]},
              {"type":"event","name":"E","anonymous":false,
               "inputs":[{"name":"who","type":"address","indexed":true}]},
              {"type":"error","name":"Bad","inputs":[{"name":"n","type":"uint8"}]}
            ]"#,
        )
        .unwrap();
        let (abi, unchecked) = abi_from_json(&json).unwrap();
        assert_eq!(unchecked, ["constructor", "receive"]);
        assert_eq!(
            abi.functions[0].to_string(),
            "book((uint256,(bool))[]) view returns (int256[2])"
        );
        assert_eq!(abi.events[0].declaration(), "E(address indexed who)");
        assert_eq!(abi.errors[0].signature(), "Bad(uint8)");
    }

    fn function(name: &str, inputs: &[&str]) -> Function {
        Function {
            name: name.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: vec![],
            mutability: Mutability::NonPayable,
        }
    }

    #[test]
    fn overloads_are_reported_one_by_one_and_equal_sides_match() {
        let code = CodeAbi {
            functions: vec![function("f", &["uint256"]), function("f", &["address"])],
            ..CodeAbi::default()
        };
        let same = Abi {
            functions: code.functions.clone(),
            ..Abi::default()
        };
        assert!(compare(&code, &same, "I.sol").is_empty());

        // One overload differs on each side: reported as that function changed.
        let iface = Abi {
            functions: vec![function("f", &["uint256"]), function("f", &["bool"])],
            ..Abi::default()
        };
        let drift: Vec<String> = compare(&code, &iface, "I.sol")
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            drift,
            ["changed function f: the contract exports `f(address) nonpayable`, I.sol declares `f(bool) nonpayable`"]
        );

        // Two unmatched overloads against one: ambiguous, so each is reported on its own.
        let iface = Abi {
            functions: vec![function("f", &["bool"])],
            ..Abi::default()
        };
        let drift: Vec<String> = compare(&code, &iface, "I.sol")
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            drift,
            [
                "missing function f(address): the contract exports `f(address) nonpayable`; I.sol does not declare it",
                "missing function f(uint256): the contract exports `f(uint256) nonpayable`; I.sol does not declare it",
                "extra   function f(bool): I.sol declares `f(bool) nonpayable`; the contract does not export it",
            ]
        );
    }

    #[test]
    fn json_text_is_sorted_and_ends_with_a_newline() {
        let v: Value =
            serde_json::from_str(r#"[{"type":"error","name":"A","inputs":[]}]"#).unwrap();
        assert_eq!(
            abi_json_text(&v).unwrap(),
            "[\n  {\n    \"inputs\": [],\n    \"name\": \"A\",\n    \"type\": \"error\"\n  }\n]\n"
        );
    }
}
