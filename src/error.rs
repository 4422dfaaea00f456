//! The crate's error type. Every variant maps to one C status code (see `ffi::status`).

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in specrt, with a message that says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required pointer argument was NULL.
    #[error("argument `{0}` is NULL; pass a valid pointer")]
    NullPointer(&'static str),
    /// A handle was freed, corrupt, or of another type than the call expects.
    #[error("argument `{arg}` is not a live {expected} handle ({found}); pass the handle returned by the matching _new call")]
    InvalidHandle {
        /// Name of the argument.
        arg: &'static str,
        /// The handle type the call expects.
        expected: &'static str,
        /// What was found instead.
        found: &'static str,
    },
    /// An argument value is out of its documented domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A caller buffer is smaller than needed.
    #[error("buffer too small: {needed} bytes needed, {capacity} given")]
    BufferTooSmall {
        /// Bytes needed, including any NUL terminator.
        needed: usize,
        /// Bytes the caller provided.
        capacity: usize,
    },
    /// A counter, total or sum would overflow; nothing was changed.
    #[error("overflow: {0}; the object was left unchanged")]
    Overflow(String),
    /// An operating-system I/O error on a file.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file or text could not be parsed.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// The file name or source label.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// A file that is not what it should be (a compiled rule set of another kind, version, or
    /// corrupt).
    #[error("bad file format: {0}")]
    Format(String),
    /// An input exceeds a documented size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A counter tail is missing or malformed.
    #[error("counter tail: {0}")]
    CounterTail(String),
    /// The backend cannot do what was asked.
    #[error("unsupported feature: {0}")]
    Unsupported(String),
    /// No suitable GPU adapter was found.
    #[error("no adapter: {0}")]
    NoAdapter(String),
    /// A WGSL program failed to compile.
    #[error("shader error: {0}")]
    Shader(String),
    /// A GPU validation or internal error.
    #[error("gpu error: {0}")]
    Gpu(String),
    /// The GPU ran out of memory.
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    /// The GPU device was lost; make a new context.
    #[error("device lost: {0}; create a new context")]
    DeviceLost(String),
    /// A host callback failed or returned malformed results.
    #[error("callback failed: {message}")]
    Callback {
        /// The non-zero status the callback returned (a `SPECRT_ERROR_*` code propagates as
        /// itself), or 0 when the callback returned malformed results.
        status: i32,
        /// What went wrong.
        message: String,
    },
    /// A scan ran past its time limit (`ScanOptions::timeout`).
    #[error("timeout: {0}")]
    Timeout(String),
    /// A panic was caught at the C boundary.
    #[error(
        "internal panic: {0}; the objects involved were left as they were, please report this"
    )]
    Panic(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }

    /// Shorthand for an [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}
