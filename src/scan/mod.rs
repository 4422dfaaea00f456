//! The pattern scanner: rule sets of byte patterns scanned on the GPU (fused or serial path,
//! routed by the speculator) or on the CPU, with identical results.
//!
//! - [`rules`]: the programmatic rule set (strings as bytes + mask + flags, grouped in rules);
//! - [`atoms`]: the choice of each pattern's anchor by rarity, and atom statistics;
//! - [`compile`]: expansion (nocase, wide), anchor choice, and the tables both backends use;
//! - [`cpu`]: the CPU backend (Aho-Corasick over the anchors, then verification);
//! - [`gpu`]: the GPU backend (the WGSL of `shaders/`);
//! - [`results`]: matches, truncation and per-chunk reports;
//! - [`bounded`]: the per-pattern cap on stored matches that keeps memory bounded;
//! - [`chain`]: hex strings cut at long jumps, their parts joined after the scan;
//! - [`stream`]: cutting large inputs into overlapping chunks;
//! - [`scanner`]: the scanner that ties them together, and file scanning;
//! - [`files`]: many files at once, small ones packed into large GPU chunks;
//! - [`batch`]: many small inputs in one persistent dispatch or one scan each;
//! - [`tune`]: racing kernel variants per shape bucket and remembering the winners;
//! - [`logic`]: rule names and conditions of YARA rule sets, evaluated after a scan;
//! - [`yara`]: the compiler from YARA source text;
//! - [`regex`]: regular-expression strings, their atoms and their verification;
//! - [`modules`]: YARA's modules (`pe`, `elf`, `math`, `hash`, `time`, `string`);
//! - [`saved`]: compiled rule sets saved to a file and loaded back.

pub mod atoms;
pub mod batch;
pub mod bounded;
pub mod chain;
pub mod compile;
pub mod cpu;
pub mod files;

pub mod gpu;
pub mod logic;
pub mod modules;
pub mod regex;
pub mod results;
pub mod rules;
pub mod saved;
pub mod scanner;
pub mod stream;
pub mod tune;
pub mod yara;

pub use compile::CompiledRules;
pub use results::{Match, ScanResult};
pub use rules::{RuleSet, StringFlags};
pub use scanner::{Backend, BackendReason, RegexVerification, ScanOptions, Scanner};
