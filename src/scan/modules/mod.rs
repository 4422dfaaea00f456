//! YARA's modules: values computed from the scanned input (`pe.entry_point`,
//! `pe.signatures[0].serial`, `elf.machine`) and functions (`hash.md5(0, filesize)`,
//! `math.entropy(0, 1024)`, `pe.rva_to_offset(0x1000)`).
//!
//! # How a module expression is compiled and evaluated
//!
//! A source says `import "pe"`; its conditions may then name `pe` followed by member accesses
//! (`.name`), indexes (`[i]` on arrays, `["key"]` on dictionaries) and calls (`(args)`).
//! The compiler checks each step against the module's declarations ([`schema`]): the member
//! must exist, an index must be an integer and a key a text, a call must match one overload
//! by its argument types. The result is a [`ModuleExpr`]: the module and its [`Step`]s, whose
//! index, key and argument expressions are ordinary condition expressions (loop variables,
//! arithmetic, reads).
//!
//! At scan time, after the strings are matched, a rule that uses a module asks the input's
//! [`Loaded`] modules for the module's [`Object`] tree. The tree is computed once per input,
//! on first use, from the whole input (read through the scan's range reader, so a file being
//! scanned is not mapped twice), and shared by every rule. Evaluation walks the steps over the
//! declarations and the tree together: a member the input does not define, an index past the
//! end, a key not present, or a function argument that is undefined gives YARA's *undefined*,
//! which the condition treats as YARA does.
//!
//! Module data needs the input's bytes, so module rules are evaluated when the whole input has
//! been scanned, whether it came as one buffer, as a file read in chunks, or as a batch item;
//! a scan of data already resident on the GPU has no host bytes and refuses rule sets that use
//! modules. An input in memory (a scanned buffer, a batch item, a file that the many-files
//! pipeline read whole into a pack, up to 128 MB) is parsed in place, whatever its size. A
//! file streamed in pieces is read from its start, at most [`MAX_MODULE_INPUT`] bytes, and
//! only when it starts like a PE or ELF file: structures past that (the section headers at
//! the end of a 300 MB shared library, say) are undefined, so memory stays bounded whatever
//! the input claims.
//!
//! Modules: [`pe`], [`elf`], [`math`], [`hash`], [`time`], [`string`](text) and [`console`].

pub mod console;
pub mod elf;
pub mod entry_point;
pub mod hash;
pub mod math;
mod object;
pub mod pe;
pub mod schema;
pub mod text;
pub mod time;

pub use object::Object;
pub use schema::{Arg, Kind, Member, Overload, Ret};

use crate::scan::logic::Expr;
use crate::scan::regex::TextRegex;
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

/// Most bytes of a streamed input a module reads (256 MiB), once per PE or ELF file whose
/// module data a rule asks for, and freed when the input's rules are evaluated.
pub(crate) const MAX_MODULE_INPUT: u64 = 256 << 20;

/// A module a source can import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Module {
    /// `pe`: Windows PE files.
    Pe,
    /// `elf`: ELF files.
    Elf,
    /// `math`: statistics of input ranges and numbers.
    Math,
    /// `hash`: digests and checksums of input ranges and texts.
    Hash,
    /// `time`: the current time.
    Time,
    /// `string`: conversions of texts.
    Text,
    /// `console`: messages written while a condition runs.
    Console,
}

/// Every module, in the order of [`Module`]'s variants.
const MODULES: [Module; 7] = [
    Module::Pe,
    Module::Elf,
    Module::Math,
    Module::Hash,
    Module::Time,
    Module::Text,
    Module::Console,
];

impl Module {
    /// The module `import "name"` names.
    pub fn named(name: &str) -> Option<Module> {
        MODULES.into_iter().find(|m| m.name() == name)
    }

    /// Its name in YARA sources.
    pub fn name(self) -> &'static str {
        match self {
            Module::Pe => "pe",
            Module::Elf => "elf",
            Module::Math => "math",
            Module::Hash => "hash",
            Module::Time => "time",
            Module::Text => "string",
            Module::Console => "console",
        }
    }

    /// Its top-level declarations, in groups.
    pub fn declarations(self) -> &'static [&'static [Member]] {
        match self {
            Module::Pe => &pe::GROUPS,
            Module::Elf => &[elf::DECLARATIONS],
            Module::Math => &[math::DECLARATIONS],
            Module::Hash => &[hash::DECLARATIONS],
            Module::Time => &[time::DECLARATIONS],
            Module::Text => &[text::DECLARATIONS],
            Module::Console => &[console::DECLARATIONS],
        }
    }

    /// Its top-level member `name`.
    pub fn member(self, name: &str) -> Option<&'static Member> {
        self.declarations()
            .iter()
            .find_map(|group| schema::find(group, name))
    }

    /// Its values for `input`.
    fn load(self, input: &Input<'_>) -> Object {
        match self {
            Module::Pe => pe::load(input),
            Module::Elf => elf::load(input),
            Module::Math => math::load(input),
            Module::Hash | Module::Time | Module::Text | Module::Console => Object::structure(),
        }
    }
}

/// Reads input bytes `start..end` (None when they cannot be read).
pub type ReadBytes<'a> = dyn Fn(u64, u64) -> Option<Vec<u8>> + 'a;

/// The input a module reads: its size, a reader of byte ranges, and the whole input when it is
/// in memory (a scanned buffer, a batch item, a file read whole into a pack).
#[derive(Clone, Copy)]
pub struct Input<'a> {
    /// Bytes in the input.
    pub size: u64,
    /// `read(start, end)`: the bytes `start..end`.
    pub read: &'a ReadBytes<'a>,
    /// All `size` bytes, when they are in memory: modules then parse them in place, whatever
    /// their size.
    pub whole: Option<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// The bytes `start..start + len`, if they lie in the input.
    pub fn bytes(&self, start: u64, len: u64) -> Option<Vec<u8>> {
        let end = start.checked_add(len)?;
        if end > self.size {
            return None;
        }
        (self.read)(start, end).filter(|b| b.len() as u64 == len)
    }

    /// Calls `f` with the bytes `start..start + len` in order, in blocks of at most 1 MiB, so
    /// a digest of a large range holds one block at a time. False when some bytes cannot be
    /// read (past the end, or an I/O error).
    pub fn blocks(&self, start: u64, len: u64, mut f: impl FnMut(&[u8])) -> bool {
        const BLOCK: u64 = 1 << 20;
        let mut at = start;
        let Some(end) = start.checked_add(len) else {
            return false;
        };
        while at < end {
            let n = (end - at).min(BLOCK);
            match self.bytes(at, n) {
                Some(block) => f(&block),
                None => return false,
            }
            at += n;
        }
        true
    }

    /// The bytes a module parses: the whole input when it is in memory, else its first
    /// [`MAX_MODULE_INPUT`] bytes, read once.
    pub fn head(&self) -> Option<Cow<'a, [u8]>> {
        match self.whole {
            Some(whole) => Some(Cow::Borrowed(whole)),
            None => self
                .bytes(0, self.size.min(MAX_MODULE_INPUT))
                .map(Cow::Owned),
        }
    }
}

/// A function argument's value.
#[derive(Clone, Copy, Debug)]
pub enum ArgValue<'a> {
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A text.
    Text(&'a [u8]),
    /// A regular expression (`is_match` tells whether it occurs in a text).
    Regex(&'a TextRegex),
}

impl ArgValue<'_> {
    /// The integer, if this is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            ArgValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is one.
    pub fn float(&self) -> Option<f64> {
        match self {
            ArgValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The text, if this is one.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            ArgValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The regular expression, if this is one.
    pub fn regex(&self) -> Option<&TextRegex> {
        match self {
            ArgValue::Regex(r) => Some(r),
            _ => None,
        }
    }
}

/// What a function sees: its module's values, the structure it is a member of, the input and
/// its arguments (already checked against the overload's types, none undefined).
pub struct CallArgs<'a> {
    /// The module's values for this input.
    pub module: &'a Object,
    /// The structure the function belongs to (`pe.signatures[i]` for `valid_on`).
    pub owner: &'a Object,
    /// The scanned input.
    pub input: &'a Input<'a>,
    /// The arguments.
    pub args: &'a [ArgValue<'a>],
}

impl CallArgs<'_> {
    /// Integer argument `i` (0 when the overload declares another type: never called so).
    pub fn int(&self, i: usize) -> i64 {
        self.args.get(i).and_then(ArgValue::int).unwrap_or(0)
    }

    /// Float argument `i`.
    pub fn float(&self, i: usize) -> f64 {
        self.args.get(i).and_then(ArgValue::float).unwrap_or(0.0)
    }

    /// Text argument `i`.
    pub fn text(&self, i: usize) -> &[u8] {
        self.args.get(i).and_then(ArgValue::text).unwrap_or(&[])
    }

    /// Whether regular-expression argument `i` occurs in `text` (false when argument `i` is
    /// not a regular expression: never called so).
    pub fn regex_matches(&self, i: usize, text: &[u8]) -> bool {
        self.args
            .get(i)
            .and_then(ArgValue::regex)
            .is_some_and(|r| r.is_match(text))
    }
}

/// A function's result.
#[derive(Clone, Debug, PartialEq)]
pub enum Returned {
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A text.
    Text(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// A `console` message: the call is true, and the message goes to the scan result.
    Logged(Vec<u8>),
}

/// One step from a module's root to a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `.name`: a structure member (or the function about to be called).
    Field(String),
    /// `[i]`: an array item.
    Index(Expr),
    /// `["key"]`: a dictionary item.
    Key(Expr),
    /// The number of items of an array or dictionary (0 when undefined): the bound of a
    /// loop over it.
    Length,
    /// The key of a dictionary's item at a position (a loop's key variable).
    KeyAt(Expr),
    /// The value of a dictionary's item at a position (a loop's value variable).
    ValueAt(Expr),
    /// `(args)`: a call of the function the previous step named, with its overload's index.
    Call {
        /// Index of the overload in the function's declaration.
        overload: u32,
        /// The arguments.
        args: Vec<Expr>,
    },
}

/// A module value in a condition: the module and the steps to the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleExpr {
    /// The module.
    pub module: Module,
    /// The steps, from the module's root.
    pub steps: Vec<Step>,
}

/// What a module expression evaluates to, by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// An integer.
    Int,
    /// A float.
    Float,
    /// A text.
    Text,
    /// A boolean.
    Bool,
}

/// The shape of a step, for checking a path against the declarations.
#[derive(Clone, Copy, Debug)]
pub enum StepShape<'s> {
    /// `.name`
    Field(&'s str),
    /// `[integer]`
    Index,
    /// `["text"]`
    Key,
    /// A call of overload `overload` (with that many arguments).
    Call(u32),
    /// The number of items.
    Length,
    /// A dictionary's key at a position.
    KeyAt,
    /// A dictionary's value at a position.
    ValueAt,
}

/// Where a path through the declarations leads.
#[derive(Clone, Copy, Debug)]
pub enum Reached {
    /// The module itself.
    Root,
    /// A member or item of this kind.
    Kind(Kind),
    /// A function's result.
    Result(Ret),
}

/// Why a step cannot be followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError {
    /// What is wrong.
    pub message: String,
    /// Set when the member exists in YARA but this build does not compute it.
    pub not_provided: bool,
}

impl From<String> for StepError {
    fn from(message: String) -> Self {
        Self {
            message,
            not_provided: false,
        }
    }
}

/// One step from `at` through `module`'s declarations: where it leads, or what is wrong.
pub fn follow(module: Module, at: Reached, step: StepShape<'_>) -> Result<Reached, StepError> {
    let member = |found: Option<&'static Member>, name: &str| match found {
        Some(Member {
            kind: Kind::NotProvided,
            ..
        }) => Err(StepError {
            message: format!("`{}.{name}` (not provided yet)", module.name()),
            not_provided: true,
        }),
        Some(m) => Ok(Reached::Kind(m.kind)),
        None => Err(format!("`{name}` is not a member of module `{}`", module.name()).into()),
    };
    match (at, step) {
        (Reached::Root, StepShape::Field(name)) => member(module.member(name), name),
        (Reached::Kind(Kind::Struct(members)), StepShape::Field(name)) => {
            member(schema::find(members, name), name)
        }
        (Reached::Kind(Kind::Array(item)), StepShape::Index)
        | (Reached::Kind(Kind::Dict(item)), StepShape::Key | StepShape::ValueAt) => {
            Ok(Reached::Kind(*item))
        }
        (Reached::Kind(Kind::Array(_) | Kind::Dict(_)), StepShape::Length) => {
            Ok(Reached::Kind(Kind::Int))
        }
        (Reached::Kind(Kind::Dict(_)), StepShape::KeyAt) => Ok(Reached::Kind(Kind::Text)),
        (Reached::Kind(Kind::Function(overloads)), StepShape::Call(i)) => overloads
            .get(i as usize)
            .map(|o| Reached::Result(o.ret))
            .ok_or_else(|| format!("no overload {i} of a `{}` function", module.name()).into()),
        (at, step) => Err(format!(
            "{} of module `{}` cannot be followed by {}",
            at.describe(),
            module.name(),
            step.describe()
        )
        .into()),
    }
}

/// Follows `steps` from `module`'s root.
pub fn reach<'s>(
    module: Module,
    steps: impl IntoIterator<Item = StepShape<'s>>,
) -> Result<Reached, StepError> {
    steps
        .into_iter()
        .try_fold(Reached::Root, |at, step| follow(module, at, step))
}

impl Reached {
    /// What this is, in words.
    pub fn describe(&self) -> &'static str {
        match self {
            Reached::Root => "the module",
            Reached::Kind(Kind::Struct(_)) => "a structure",
            Reached::Kind(Kind::Array(_)) => "an array",
            Reached::Kind(Kind::Dict(_)) => "a dictionary",
            Reached::Kind(Kind::Function(_)) => "a function",
            Reached::Kind(Kind::NotProvided) => "a member not provided yet",
            Reached::Kind(Kind::Int | Kind::Constant(_)) | Reached::Result(Ret::Int) => {
                "an integer"
            }
            Reached::Kind(Kind::Float) | Reached::Result(Ret::Float) => "a float",
            Reached::Kind(Kind::Text) | Reached::Result(Ret::Text) => "a string",
            Reached::Result(Ret::Bool) => "a boolean",
        }
    }

    /// The value type, when this is a value (not a structure, array, dictionary or function).
    pub fn leaf(&self) -> Option<Leaf> {
        Some(match self {
            Reached::Kind(Kind::Int | Kind::Constant(_)) | Reached::Result(Ret::Int) => Leaf::Int,
            Reached::Kind(Kind::Float) | Reached::Result(Ret::Float) => Leaf::Float,
            Reached::Kind(Kind::Text) | Reached::Result(Ret::Text) => Leaf::Text,
            Reached::Result(Ret::Bool) => Leaf::Bool,
            _ => return None,
        })
    }
}

impl StepShape<'_> {
    fn describe(&self) -> String {
        match self {
            StepShape::Field(name) => format!("`.{name}`"),
            StepShape::Index => "an integer index".into(),
            StepShape::Key => "a string key".into(),
            StepShape::Call(_) => "a call".into(),
            StepShape::Length => "its length".into(),
            StepShape::KeyAt | StepShape::ValueAt => "an item position".into(),
        }
    }
}

/// The modules of one input, each computed on first use, and the `console` messages its
/// conditions wrote.
pub struct Loaded<'a> {
    input: Input<'a>,
    roots: [OnceCell<Object>; MODULES.len()],
    console: RefCell<Vec<Vec<u8>>>,
    /// The input's first [`HEAD_BLOCK`] bytes, read on the first `uintN` read: conditions
    /// read headers (`uint16(0)`, `uint32(uint32(0x3C))`) once per rule, and thousands of
    /// rules would otherwise each read the input.
    head: OnceCell<Option<Vec<u8>>>,
    /// The value of `entrypoint`, computed on first use.
    entry_point: OnceCell<Option<u64>>,
}

/// Bytes of an input kept for the conditions' integer reads.
const HEAD_BLOCK: u64 = 64 << 10;

impl<'a> Loaded<'a> {
    /// Nothing computed yet for `input`.
    pub fn new(input: Input<'a>) -> Self {
        Self {
            input,
            roots: Default::default(),
            console: RefCell::default(),
            head: OnceCell::new(),
            entry_point: OnceCell::new(),
        }
    }

    /// `entrypoint`: the file offset of the input's PE or ELF entry point (None: undefined).
    pub fn entry_point(&self) -> Option<u64> {
        *self.entry_point.get_or_init(|| {
            // Only a file that starts like a PE or an ELF file is read whole.
            let magic = self.input.bytes(0, 4)?;
            if !magic.starts_with(b"MZ") && magic != b"\x7fELF" {
                return None;
            }
            self.input
                .head()
                .and_then(|data| entry_point::entry_point_offset(&data))
        })
    }

    /// The `width` input bytes at `at` for `uintN` reads (None past the end), from the cached
    /// first block when they lie in it.
    pub fn read_int_bytes(&self, at: u64, width: u64) -> Option<[u8; 8]> {
        let end = at.checked_add(width)?;
        if width > 8 || end > self.input.size {
            return None;
        }
        let mut out = [0u8; 8];
        let head = self
            .head
            .get_or_init(|| self.input.bytes(0, self.input.size.min(HEAD_BLOCK)));
        match head {
            Some(head) if end <= head.len() as u64 => {
                out[..width as usize].copy_from_slice(&head[at as usize..end as usize]);
            }
            _ => out[..width as usize].copy_from_slice(&self.input.bytes(at, width)?),
        }
        Some(out)
    }

    /// Records a `console` message.
    pub fn log(&self, message: Vec<u8>) {
        self.console.borrow_mut().push(message);
    }

    /// The `console` messages written so far, in order.
    pub fn into_console(self) -> Vec<Vec<u8>> {
        self.console.into_inner()
    }

    /// The input.
    pub fn input(&self) -> &Input<'a> {
        &self.input
    }

    /// `module`'s values for the input.
    pub fn root(&self, module: Module) -> &Object {
        let slot = MODULES.iter().position(|&m| m == module).expect("listed");
        self.roots[slot].get_or_init(|| module.load(&self.input))
    }
}
