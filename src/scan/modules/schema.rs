//! The declared shape of every module: which fields exist, their types, and the functions with
//! their overloads. The compiler types `pe.sections[0].name` or `hash.md5(0, filesize)`
//! against these declarations, so an unknown field or a wrong argument is a compile error, as
//! in YARA; at scan time a module fills an [`Object`](super::Object) tree of the same shape,
//! leaving out what the input does not define.

use super::{CallArgs, Returned};

/// The type of a module member.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A 64-bit integer (also used as a boolean, as YARA's modules do).
    Int,
    /// An integer constant of the module (`pe.MACHINE_AMD64`): the same for every input.
    Constant(i64),
    /// A floating-point number.
    Float,
    /// A byte string.
    Text,
    /// A structure with named members.
    Struct(&'static [Member]),
    /// An array indexed by integers from 0.
    Array(&'static Kind),
    /// A dictionary indexed by texts.
    Dict(&'static Kind),
    /// A function with one or more overloads.
    Function(&'static [Overload]),
    /// A member YARA declares that this build does not compute yet: a rule using it is
    /// unsupported (skipped with `skip_unsupported`), never silently different.
    NotProvided,
}

/// A named member of a structure.
#[derive(Debug)]
pub struct Member {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// The type of a function argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An integer.
    Int,
    /// A boolean (passed to the function as the integer 0 or 1).
    Bool,
    /// A floating-point number.
    Float,
    /// A text.
    Text,
    /// A regular expression literal (`/.../i`), as `pe.exports(/^Dll/)` takes.
    Regex,
}

/// The type a function returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// An integer.
    Int,
    /// A floating-point number.
    Float,
    /// A text.
    Text,
    /// A boolean.
    Bool,
}

/// One overload of a function: its argument types, its result type and its implementation.
pub struct Overload {
    /// Argument types, in order.
    pub args: &'static [Arg],
    /// Result type.
    pub ret: Ret,
    /// The implementation: `None` is YARA's undefined.
    pub call: fn(&CallArgs<'_>) -> Option<Returned>,
}

impl std::fmt::Debug for Overload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} -> {:?}", self.args, self.ret)
    }
}

/// A member of a structure declaration (shorthand for the module tables).
pub const fn member(name: &'static str, kind: Kind) -> Member {
    Member { name, kind }
}

/// The member `name` of structure `members`.
pub fn find(members: &'static [Member], name: &str) -> Option<&'static Member> {
    members.iter().find(|m| m.name == name)
}
