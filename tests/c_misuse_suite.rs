//! Generates `tests/c/null_args.c` from `include/specrt.h`: for every exported function, a call
//! with NULL in each pointer argument and a call with a handle of the wrong type in each handle
//! argument, the other arguments valid. `make test` runs the C file (C99, C++17, ASan+UBSan);
//! this test fails when the committed file is stale (`SPECRT_BLESS=1 cargo test --test
//! c_misuse_suite` rewrites it).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// Arguments for which NULL is documented as valid, with the reason.
const NULLABLE: &[(&str, &str, &str)] = &[
    ("*", "user_data", "passed through to callbacks"),
    ("specrt_context_new", "options", "NULL: default options"),
    ("specrt_scanner_new", "context", "NULL: a CPU-only scanner"),
    ("specrt_ruleset_add_string", "mask", "NULL: an exact string"),
    ("specrt_scan", "options", "NULL: default options"),
    ("specrt_scan", "on_match", "optional callback"),
    ("specrt_scan_file", "options", "NULL: default options"),
    ("specrt_scan_file", "on_match", "optional callback"),
    ("specrt_scan_file", "progress", "optional callback"),
    ("specrt_scan_batch", "options", "NULL: default options"),
    ("specrt_scan_files", "options", "NULL: default options"),
    ("specrt_ruleset_compile", "options", "NULL: default options"),
    ("specrt_compiler_new", "options", "NULL: default options"),
    (
        "specrt_compiler_set_include_callback",
        "callback",
        "NULL: files again",
    ),
    (
        "specrt_compiler_set_include_callback",
        "free_callback",
        "optional callback",
    ),
    (
        "specrt_compiler_add_source",
        "namespace_",
        "NULL: the default namespace",
    ),
    (
        "specrt_compiler_add_source",
        "origin",
        "NULL: the options' origin",
    ),
    (
        "specrt_compiler_add_file",
        "namespace_",
        "NULL: the default namespace",
    ),
    (
        "specrt_dispatch_prefilter_confirm",
        "confirm",
        "needed only on the serial path",
    ),
    (
        "specrt_context_adapter_id",
        "buf",
        "NULL with cap 0 asks for the size",
    ),
    (
        "specrt_persistent_decision_format",
        "buf",
        "NULL with cap 0 asks for the size",
    ),
];

/// Handle types the generated setup creates (the confirm I/O exists only inside a callback).
const CREATED: &[&str] = &[
    "specrt_speculator",
    "specrt_autotune_store",
    "specrt_paired_window",
    "specrt_context",
    "specrt_program",
    "specrt_dispatch_outcome",
    "specrt_ruleset",
    "specrt_scanner",
    "specrt_scan_result",
    "specrt_batch_result",
];

/// Fixtures for pointers to structs whose contents matter.
const STRUCT_FIXTURES: &[(&str, &str)] = &[
    ("specrt_spec_cache_key", "&fx_key"),
    ("specrt_autotune_record", "&fx_record"),
    ("specrt_context_options", "&fx_context_options"),
    ("specrt_dispatch_plan", "&fx_plan"),
    ("specrt_input_list", "&fx_inputs"),
    ("specrt_dispatch_config", "&fx_config"),
    ("specrt_program_desc", "&fx_program_desc"),
    ("specrt_variant_race", "&fx_race"),
    ("specrt_scan_options", "&fx_scan_options"),
    ("specrt_bytes", "&fx_item"),
    ("specrt_compile_options", "&fx_compile_options"),
];

#[derive(Debug)]
struct Param {
    ty: String,
    name: String,
}

#[derive(Debug)]
struct Function {
    ret: String,
    name: String,
    params: Vec<Param>,
}

enum Kind {
    Handle(String),
    Pointer,
    FnPointer,
    Value,
}

struct Header {
    functions: Vec<Function>,
    fn_typedefs: HashMap<String, (String, Vec<Param>)>,
    structs: BTreeSet<String>,
}

fn split_params(list: &str) -> Vec<Param> {
    let list = list.trim();
    if list == "void" || list.is_empty() {
        return Vec::new();
    }
    list.split(',')
        .map(|p| {
            let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
            let at = p
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .expect("a type before the name");
            Param {
                ty: p[..=at].trim().to_string(),
                name: p[at + 1..].to_string(),
            }
        })
        .collect()
}

fn parse_header(text: &str) -> Header {
    let mut functions = Vec::new();
    let mut fn_typedefs = HashMap::new();
    let mut structs = BTreeSet::new();
    let mut statement = String::new();
    let mut in_comment = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if in_comment {
            in_comment = !line.contains("*/");
            continue;
        }
        if trimmed.starts_with("/*") {
            in_comment = !line.contains("*/");
            continue;
        }
        if let Some(rest) = line.strip_prefix("typedef struct ") {
            if rest.ends_with('{') {
                structs.insert(rest.trim_end_matches(" {").to_string());
            }
            continue;
        }
        if statement.is_empty() && !(line.starts_with("typedef ") || line.contains("specrt_")) {
            continue;
        }
        if statement.is_empty() && (line.starts_with('#') || line.starts_with(' ')) {
            continue;
        }
        statement.push_str(line);
        statement.push(' ');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let s = std::mem::take(&mut statement);
        if let Some(rest) = s.strip_prefix("typedef ") {
            // typedef RET (*NAME)(PARAMS);
            if let (Some(open), Some(close)) = (rest.find("(*"), rest.find(")(")) {
                let ret = rest[..open].trim().to_string();
                let name = rest[open + 2..close].to_string();
                let params = &rest[close + 2..rest.rfind(')').unwrap()];
                fn_typedefs.insert(name, (ret, split_params(params)));
            }
            continue;
        }
        let Some(open) = s.find('(') else { continue };
        let head = &s[..open];
        let at = head.rfind([' ', '*']).unwrap();
        let name = head[at + 1..].to_string();
        if !name.starts_with("specrt_") {
            continue;
        }
        functions.push(Function {
            ret: head[..=at].trim().to_string(),
            name,
            params: split_params(&s[open + 1..s.rfind(')').unwrap()]),
        });
    }
    Header {
        functions,
        fn_typedefs,
        structs,
    }
}

fn kind(header: &Header, ty: &str) -> Kind {
    if let Some(handle) = ty
        .trim_start_matches("const ")
        .strip_prefix("struct ")
        .and_then(|t| t.strip_suffix(" *"))
    {
        if !header.structs.contains(handle) {
            return Kind::Handle(handle.to_string());
        }
    }
    if ty.ends_with('*') {
        Kind::Pointer
    } else if header.fn_typedefs.contains_key(ty) {
        Kind::FnPointer
    } else {
        Kind::Value
    }
}

fn pointee_struct(ty: &str) -> Option<&str> {
    ty.trim_start_matches("const ")
        .strip_prefix("struct ")
        .and_then(|t| t.strip_suffix(" *"))
}

/// A valid argument of type `ty` named `name`.
fn valid(header: &Header, ty: &str, name: &str) -> String {
    match kind(header, ty) {
        Kind::Handle(h) if CREATED.contains(&h.as_str()) => format!("h_{}", &h[7..]),
        Kind::Handle(h) => format!("(struct {h} *)h_speculator"),
        Kind::FnPointer => format!("stub_{ty}"),
        Kind::Pointer => {
            if let Some((_, fx)) =
                pointee_struct(ty).and_then(|s| STRUCT_FIXTURES.iter().find(|(t, _)| *t == s))
            {
                return fx.to_string();
            }
            match (ty, name) {
                (_, "path") => "fx_path".into(),
                (_, "paths") => "fx_paths".into(),
                ("const char *", _) => "fx_text".into(),
                _ => format!("({ty})fx_scratch"),
            }
        }
        Kind::Value => {
            let base = ty.trim_start_matches("struct ");
            if header.structs.contains(base) {
                return format!("fx_value_{base}");
            }
            match name {
                "len" | "cap" => "8".into(),
                "count" => "1".into(),
                "threshold_pct" => "50".into(),
                _ if ty == "bool" => "false".into(),
                _ => "0".into(),
            }
        }
    }
}

fn nullable(function: &str, param: &str) -> bool {
    NULLABLE
        .iter()
        .any(|(f, p, _)| (*f == "*" || *f == function) && *p == param)
}

fn call(f: &Function, args: &[String]) -> String {
    format!("{}({})", f.name, args.join(", "))
}

/// The check of one misuse call. `expect`: the status for status functions.
fn check(f: &Function, args: &[String], expect: &str, what: &str, needle: &str) -> String {
    let c = call(f, args);
    let label = format!("{} ({what})", f.name);
    match f.ret.as_str() {
        "void" => format!("    {c}; /* {label}: must not crash */\n"),
        "specrt_status" if expect == "ANY" => {
            // A call that succeeds hands out a handle through the scratch output: free it.
            let created = f.params.iter().zip(args).find_map(|(p, a)| {
                let handle = p.ty.strip_prefix("struct ")?.strip_suffix(" **")?;
                a.contains("fx_scratch").then(|| handle.to_string())
            });
            match created {
                Some(h) => format!(
                    "    if (CHECK_VALID_STATUS({c}, \"{label}\") == SPECRT_OK) {h}_free(*(struct {h} **)fx_scratch);\n"
                ),
                None => format!("    (void)CHECK_VALID_STATUS({c}, \"{label}\");\n"),
            }
        }
        "specrt_status" => {
            format!("    CHECK_MISUSE_STATUS({c}, {expect}, \"{needle}\", \"{label}\");\n")
        }
        _ if expect == "ANY" => format!("    (void){c}; /* {label} */\n"),
        _ => format!("    CHECK_MISUSE_VALUE({c}, \"{needle}\", \"{label}\");\n"),
    }
}

fn generate(header: &Header) -> String {
    let mut out = String::new();
    out.push_str(PRELUDE);
    // Stubs for callback typedefs and zeroed values for structs passed by value.
    let mut names: Vec<&String> = header.fn_typedefs.keys().collect();
    names.sort();
    for name in names {
        let (ret, params) = &header.fn_typedefs[name];
        let list: Vec<String> = params
            .iter()
            .map(|p| format!("{} {}", p.ty, p.name))
            .collect();
        let _ = writeln!(out, "static {ret} stub_{name}({}) {{", list.join(", "));
        for p in params {
            let _ = writeln!(out, "    (void){};", p.name);
        }
        match ret.trim() {
            "void" => out.push_str("}\n\n"),
            _ => out.push_str("    return 0;\n}\n\n"),
        }
    }
    let by_value: BTreeSet<&str> = header
        .functions
        .iter()
        .filter(|f| {
            f.params.iter().any(|p| {
                matches!(
                    kind(header, &p.ty),
                    Kind::Handle(_) | Kind::Pointer | Kind::FnPointer
                )
            })
        })
        .flat_map(|f| &f.params)
        .filter_map(|p| p.ty.strip_prefix("struct "))
        .filter(|s| header.structs.contains(*s))
        .collect();
    for s in by_value {
        let _ = writeln!(out, "static struct {s} fx_value_{s};");
    }
    out.push_str("\nstatic void misuse_every_function(void) {\n");
    for f in &header.functions {
        let valid_args: Vec<String> = f
            .params
            .iter()
            .map(|p| valid(header, &p.ty, &p.name))
            .collect();
        // Functions of the confirm I/O get a wrong-typed handle there, so either error is fine.
        let io_bound = f.params.iter().any(
            |p| matches!(kind(header, &p.ty), Kind::Handle(h) if !CREATED.contains(&h.as_str())),
        );
        for (i, p) in f.params.iter().enumerate() {
            let is_pointer = matches!(
                kind(header, &p.ty),
                Kind::Handle(_) | Kind::Pointer | Kind::FnPointer
            );
            if is_pointer {
                let mut args = valid_args.clone();
                args[i] = "NULL".into();
                let (expect, needle) = if nullable(&f.name, &p.name) {
                    ("ANY", "")
                } else if io_bound
                    && !matches!(kind(header, &p.ty), Kind::Handle(ref h) if !CREATED.contains(&h.as_str()))
                {
                    ("NULL_OR_HANDLE", "")
                } else {
                    ("SPECRT_ERROR_NULL_POINTER", "NULL")
                };
                out.push_str(&check(
                    f,
                    &args,
                    expect,
                    &format!("NULL {}", p.name),
                    needle,
                ));
            }
            if let Kind::Handle(h) = kind(header, &p.ty) {
                let mut args = valid_args.clone();
                let wrong = if h == "specrt_speculator" {
                    "h_paired_window"
                } else {
                    "h_speculator"
                };
                args[i] = format!("(struct {h} *)(void *){wrong}");
                out.push_str(&check(
                    f,
                    &args,
                    "SPECRT_ERROR_INVALID_HANDLE",
                    &format!("wrong handle {}", p.name),
                    "handle",
                ));
            }
        }
    }
    out.push_str("}\n");
    out.push_str(EPILOGUE);
    out
}

#[test]
fn the_generated_misuse_suite_is_fresh() {
    let header = include_str!("../include/specrt.h");
    let parsed = parse_header(header);
    assert!(
        parsed.functions.len() >= 80,
        "parsed {} functions",
        parsed.functions.len()
    );
    assert!(parsed.fn_typedefs.contains_key("specrt_match_fn"));
    let generated = generate(&parsed);
    // Relative to the package root, where cargo runs tests.
    let path = "tests/c/null_args.c";
    if std::env::var("SPECRT_BLESS").as_deref() == Ok("1") {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "tests/c/null_args.c is stale: run SPECRT_BLESS=1 cargo test --test c_misuse_suite"
    );
}

const PRELUDE: &str = r#"/* Generated by tests/c_misuse_suite.rs from include/specrt.h. Do not edit.
 *
 * Every exported function is called with NULL in each pointer argument and with a handle of the
 * wrong type in each handle argument, the other arguments valid: each call must return
 * SPECRT_ERROR_NULL_POINTER or SPECRT_ERROR_INVALID_HANDLE (value-returning functions: a zero
 * value and a last error), except where NULL is documented as valid. Afterwards every object is
 * used again and must still work.
 * Usage: null_args SCRATCH_DIR KERNEL_DIR (the kernel dir is unused). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define NULL_OR_HANDLE (-1)

/* A status that is a valid, non-panic code; returns it. */
static specrt_status check_valid_status(specrt_status s, const char *label) {
    if (s < 0 || s >= SPECRT_ERROR_PANIC) {
        fprintf(stderr, "%s: status %d\n", label, (int)s);
        check_failures++;
    }
    return s;
}
#define CHECK_VALID_STATUS(call, label) check_valid_status((call), (label))

#define CHECK_MISUSE_STATUS(call, expected, needle, label)                               \
    do {                                                                                 \
        specrt_status s_ = (call);                                                       \
        int ok_ = (expected) == NULL_OR_HANDLE                                           \
                      ? (s_ == SPECRT_ERROR_NULL_POINTER || s_ == SPECRT_ERROR_INVALID_HANDLE) \
                      : s_ == (expected);                                                \
        if (!ok_ || strstr(specrt_last_error(), needle) == NULL) {                       \
            fprintf(stderr, "%s: got %s (%s)\n", label, specrt_status_str(s_),          \
                    specrt_last_error());                                                \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_MISUSE_VALUE(call, needle, label)                                          \
    do {                                                                                 \
        int zero_ = !(call);                                                             \
        if (!zero_ || strstr(specrt_last_error(), needle) == NULL) {                     \
            fprintf(stderr, "%s: not a zero value with a last error (%s)\n", label,      \
                    specrt_last_error());                                                \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

static union {
    uint64_t align;
    uint8_t bytes[1 << 16];
} fx_scratch_memory;
static void *const fx_scratch = &fx_scratch_memory;
static char fx_text[1 << 16] = "rule a { strings: $a = \"ab\" condition: $a }";
static char fx_path[4096];
static const char *const fx_paths[1] = {fx_path};

static const char *const WGSL =
    "@group(0) @binding(0) var<storage, read> input: array<u32>;\n"
    "@group(0) @binding(1) var<storage, read_write> output: array<u32>;\n"
    "@compute @workgroup_size(64)\n"
    "fn main(@builtin(global_invocation_id) id: vec3<u32>) {\n"
    "    if (id.x < arrayLength(&output)) { output[id.x] = input[id.x]; }\n"
    "}\n";

static specrt_spec_cache_key fx_key = {1, 2, {64, 1, 1}, 3};
static specrt_autotune_record fx_record = {{64, 1, 1}, 1, {1, 1, 1}, "2026-01-01"};
static specrt_context_options fx_context_options;
static specrt_size_rule fx_output_size = {0, 0, 4, 1, 4};
static specrt_program_desc fx_program_desc;
static uint8_t fx_input_bytes[64];
static specrt_bytes fx_item = {fx_input_bytes, sizeof fx_input_bytes};
static specrt_input_list fx_inputs = {&fx_item, 1};
static specrt_dispatch_plan fx_plan;
static specrt_dispatch_config fx_config = {SPECRT_SPECULATION_AUTO};
static specrt_variant_race fx_race;
static specrt_scan_options fx_scan_options;
static specrt_compile_options fx_compile_options; /* zero: static storage */

static specrt_speculator *h_speculator;
static specrt_autotune_store *h_autotune_store;
static specrt_paired_window *h_paired_window;
static specrt_context *h_context;
static specrt_program *h_program;
static specrt_dispatch_outcome *h_dispatch_outcome;
static specrt_ruleset *h_ruleset;
static specrt_scanner *h_scanner;
static specrt_scan_result *h_scan_result;
static specrt_batch_result *h_batch_result;

static void setup(const char *scratch_dir) {
    FILE *f;
    snprintf(fx_path, sizeof fx_path, "%s/fixture.bin", scratch_dir);
    f = fopen(fx_path, "wb");
    if (f) {
        fputs("abab", f);
        fclose(f);
    }
    fx_context_options = specrt_context_options_default();
    fx_context_options.allow_software = true;
    fx_context_options.cpu_fallback = true;
    fx_scan_options = specrt_scan_options_default();
    fx_program_desc.wgsl = WGSL;
    fx_program_desc.entry_point = "main";
    fx_program_desc.input_count = 1;
    fx_program_desc.output_count = 1;
    fx_program_desc.output_sizes = &fx_output_size;
    fx_program_desc.workgroups_x.unit = 1;
    fx_program_desc.workgroups_x.numerator = 1;
    fx_program_desc.workgroups_x.denominator = 256;
    CHECK_OK(specrt_speculator_new(50, &h_speculator));
    CHECK_OK(specrt_autotune_store_new(&h_autotune_store));
    CHECK_OK(specrt_paired_window_new(&h_paired_window));
    CHECK_OK(specrt_context_new(&fx_context_options, &h_context));
    CHECK_OK(specrt_program_new(h_context, &fx_program_desc, &h_program));
    fx_plan.fused = h_program;
    fx_plan.prefilter = h_program;
    CHECK_OK(specrt_program_dispatch(h_context, h_program, &fx_inputs, &h_dispatch_outcome));
    CHECK_OK(specrt_ruleset_compile(fx_text, strlen(fx_text), NULL, &h_ruleset));
    CHECK_OK(specrt_scanner_new(h_context, h_ruleset, &h_scanner));
    CHECK_OK(specrt_scan(h_scanner, (const uint8_t *)"abab", 4, NULL, NULL, NULL, &h_scan_result));
    CHECK_OK(specrt_scan_batch(h_scanner, &fx_item, 1, NULL, &h_batch_result));
}

"#;

const EPILOGUE: &str = r#"
/* Every object still works after the misuse, and frees cleanly. */
static void objects_still_work(void) {
    specrt_scan_result *again = NULL;
    specrt_dispatch_outcome *outcome = NULL;
    specrt_report report = {3, 1};
    CHECK_OK(specrt_speculator_record(h_speculator, report));
    CHECK(specrt_speculator_samples(h_speculator) >= 1);
    CHECK_OK(specrt_autotune_store_put(h_autotune_store, &fx_key, "adapter", &fx_record));
    CHECK(specrt_autotune_store_len(h_autotune_store) >= 1);
    CHECK(specrt_paired_window_len(h_paired_window) < 1000);
    CHECK(!specrt_context_is_lost(h_context));
    CHECK_OK(specrt_program_dispatch(h_context, h_program, &fx_inputs, &outcome));
    CHECK(specrt_dispatch_outcome_output_count(h_dispatch_outcome) == 1);
    CHECK(specrt_ruleset_string_count(h_ruleset) == 1);
    CHECK_OK(specrt_scan(h_scanner, (const uint8_t *)"xxabxab", 7, NULL, NULL, NULL, &again));
    CHECK(specrt_scan_result_match_count(again) == 2);
    CHECK(specrt_scan_result_match_count(h_scan_result) == 2);
    CHECK(specrt_scan_result_rule_count(h_scan_result) == 1);
    specrt_scan_result_free(again);
    specrt_dispatch_outcome_free(outcome);
    specrt_batch_result_free(h_batch_result);
    specrt_scan_result_free(h_scan_result);
    specrt_scanner_free(h_scanner);
    specrt_ruleset_free(h_ruleset);
    specrt_dispatch_outcome_free(h_dispatch_outcome);
    specrt_program_free(h_program);
    specrt_context_free(h_context);
    specrt_paired_window_free(h_paired_window);
    specrt_autotune_store_free(h_autotune_store);
    specrt_speculator_free(h_speculator);
}

int main(int argc, char **argv) {
    setup(argc > 1 ? argv[1] : ".");
    misuse_every_function();
    objects_still_work();
    return check_report("null_args");
}
"#;
