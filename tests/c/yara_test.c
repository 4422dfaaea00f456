/* YARA rule sets through the C ABI: compilation, errors with line and column, skipped rules,
 * rule and string names, rule results of scans and batches on every backend, modules, and
 * misuse. Run from the repository root (it reads tests/yara/pe/fixtures).
 * Usage: yara_test SCRATCH_DIR KERNEL_DIR (the kernel dir is unused). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char RULES[] =
    "rule mz_header : pe { condition: uint16(0) == 0x5A4D }\n"
    "private rule has_key { strings: $k = \"KEY\" nocase condition: $k }\n"
    "rule key_and_hex {\n"
    "  strings:\n"
    "    $h = { 4B 45 59 ( 3D | 3A 20 ) [1-2] 31 }\n"
    "    $ = \"unused-anon\"\n"
    "  condition: has_key and #h == 2 and not all of them\n"
    "}\n";

static specrt_ruleset *compile_ok(const char *source) {
    specrt_ruleset *rs = NULL;
    CHECK_OK(specrt_ruleset_compile(source, strlen(source), NULL, &rs));
    return rs;
}

static void check_rules(const specrt_scan_result *r, const uint32_t *want, size_t n) {
    size_t i;
    CHECK(specrt_scan_result_rule_count(r) == n);
    if (specrt_scan_result_rule_count(r) != n) return;
    for (i = 0; i < n; i++) CHECK(specrt_scan_result_rules(r)[i] == want[i]);
}

static void errors(void) {
    specrt_ruleset *rs = (specrt_ruleset *)0x1;
    const char *bad = "rule a {\n  strings: $a = \"x\"\n  condition: $a and\n}";
    const char *regex = "rule a { strings: $r = \"ab\" xor wide fullword condition: $r }\n"
                        "rule b { condition: a }\nrule c { condition: true }";
    specrt_compile_options o;
    specrt_skipped_rule s;

    memset(&o, 0, sizeof o);
    o.origin = "my.yar";
    CHECK_STATUS(specrt_ruleset_compile(bad, strlen(bad), &o, &rs), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("my.yar:4:1");
    CHECK(rs == (specrt_ruleset *)0x1); /* outputs are written only on success */
    CHECK_STATUS(specrt_ruleset_compile(regex, strlen(regex), &o, &rs), SPECRT_ERROR_UNSUPPORTED);
    CHECK_ERROR_MENTIONS("my.yar:1:29");
    CHECK_ERROR_MENTIONS("`xor` with `wide` and `fullword`");

    o.flags = SPECRT_COMPILE_SKIP_UNSUPPORTED;
    CHECK_OK(specrt_ruleset_compile(regex, strlen(regex), &o, &rs));
    CHECK(specrt_ruleset_skipped_count(rs) == 2);
    CHECK_OK(specrt_ruleset_skipped(rs, 0, &s));
    CHECK(strcmp(s.rule, "a") == 0 && s.line == 1 && s.column == 29);
    CHECK(strstr(s.construct, "xor") != NULL);
    CHECK_OK(specrt_ruleset_skipped(rs, 1, &s));
    CHECK(strcmp(s.rule, "b") == 0 && strstr(s.construct, "skipped rule `a`") != NULL);
    CHECK_STATUS(specrt_ruleset_skipped(rs, 2, &s), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_ruleset_add_string(rs, 0, 0, (const uint8_t *)"x", NULL, 1, 0),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("YARA");
    specrt_ruleset_free(rs);

    o.flags = 0x80;
    CHECK_STATUS(specrt_ruleset_compile("rule a { condition: true }", 26, &o, &rs),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_ruleset_compile(NULL, 3, NULL, &rs), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_ruleset_compile("x", 1, NULL, NULL), SPECRT_ERROR_NULL_POINTER);
    CHECK_STATUS(specrt_ruleset_compile("\xff\xfe", 2, NULL, &rs), SPECRT_ERROR_PARSE);
    CHECK(specrt_ruleset_skipped_count(NULL) == 0);
    CHECK_STATUS(specrt_ruleset_skipped(NULL, 0, &s), SPECRT_ERROR_NULL_POINTER);
}

static void names_and_results(specrt_context *ctx) {
    static const uint8_t data[] = "MZ..KEY: x1..KEY=xy1";
    specrt_ruleset *rs = compile_ok(RULES);
    specrt_scanner *scanner = NULL;
    specrt_rule_info info;
    specrt_string_info si;
    const uint32_t want[] = {0, 2};
    specrt_scan_backend backends[] = {SPECRT_SCAN_BACKEND_CPU, SPECRT_SCAN_BACKEND_AUTO};
    size_t b;

    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    specrt_ruleset_free(rs); /* the scanner keeps what it needs */
    CHECK(specrt_scanner_rule_count(scanner) == 3);
    CHECK_OK(specrt_scanner_rule_info(scanner, 0, &info));
    CHECK(strcmp(info.name, "mz_header") == 0 && strcmp(info.tags, "pe") == 0);
    CHECK(info.string_count == 0 && !info.is_private && !info.is_global);
    CHECK_OK(specrt_scanner_rule_info(scanner, 1, &info));
    CHECK(strcmp(info.name, "has_key") == 0 && info.is_private && info.string_count == 1);
    CHECK_OK(specrt_scanner_string_info(scanner, 2, 0, &si));
    CHECK(strcmp(si.name, "$h") == 0 && si.is_hex);
    CHECK_OK(specrt_scanner_string_info(scanner, 2, 1, &si));
    CHECK(strcmp(si.name, "$") == 0 && !si.is_hex);
    CHECK_STATUS(specrt_scanner_rule_info(scanner, 3, &info), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_scanner_string_info(scanner, 2, 2, &si), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_scanner_rule_info(scanner, 0, NULL), SPECRT_ERROR_NULL_POINTER);

    for (b = 0; b < 2; b++) {
        specrt_scan_options o = specrt_scan_options_default();
        specrt_scan_result *r = NULL;
        const specrt_match *m;
        /* The GPU backend, software adapters included (the automatic choice skips them). */
        o.backend = b == 1 && specrt_scanner_has_gpu(scanner) ? SPECRT_SCAN_BACKEND_GPU : backends[b];
        o.tune = false;
        CHECK_OK(specrt_scan(scanner, data, sizeof data - 1, &o, NULL, NULL, &r));
        check_rules(r, want, 2);
        /* $h: "KEY: x1" (offset 4: second alternative, jump 1) and "KEY=xy1" (offset 13:
         * first alternative, jump 2); `has_key` is private: its matches are listed, the rule
         * is not. */
        m = specrt_scan_result_matches(r);
        CHECK(specrt_scan_result_match_count(r) == 4);
        if (specrt_scan_result_match_count(r) == 4) {
            CHECK(m[0].offset == 4 && m[0].rule_id == 1);
            CHECK(m[1].offset == 4 && m[1].rule_id == 2 && m[1].string_id == 0 && m[1].length == 7);
            CHECK(m[3].offset == 13 && m[3].rule_id == 2 && m[3].length == 7);
        }
        specrt_scan_result_free(r);
    }
    {
        specrt_bytes items[3];
        specrt_batch_result *batch = NULL;
        const uint32_t *rules;
        size_t count;
        items[0].data = data;
        items[0].len = sizeof data - 1;
        items[1].data = (const uint8_t *)"MZ";
        items[1].len = 2;
        items[2].data = NULL;
        items[2].len = 0;
        CHECK_OK(specrt_scan_batch(scanner, items, 3, NULL, &batch));
        CHECK_OK(specrt_batch_result_item_rules(batch, 0, &rules, &count));
        CHECK(count == 2 && rules[0] == 0 && rules[1] == 2);
        CHECK_OK(specrt_batch_result_item_rules(batch, 1, &rules, &count));
        CHECK(count == 1 && rules[0] == 0);
        CHECK_OK(specrt_batch_result_item_rules(batch, 2, &rules, &count));
        CHECK(count == 0);
        CHECK_STATUS(specrt_batch_result_item_rules(batch, 3, &rules, &count),
                     SPECRT_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(specrt_batch_result_item_rules(batch, 0, NULL, &count),
                     SPECRT_ERROR_NULL_POINTER);
        specrt_batch_result_free(batch);
    }
    specrt_scanner_free(scanner);
}

static void programmatic_sets(specrt_context *ctx) {
    specrt_ruleset *rs = NULL;
    specrt_scanner *scanner = NULL;
    specrt_scan_result *r = NULL;
    specrt_rule_info info;
    const uint32_t want[] = {2, 5};
    CHECK_OK(specrt_ruleset_new(&rs));
    CHECK_OK(specrt_ruleset_add_string(rs, 5, 0, (const uint8_t *)"abc", NULL, 3, 0));
    CHECK_OK(specrt_ruleset_add_string(rs, 2, 0, (const uint8_t *)"xyz", NULL, 3, 0));
    CHECK_OK(specrt_ruleset_add_string(rs, 9, 0, (const uint8_t *)"nope", NULL, 4, 0));
    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    CHECK_OK(specrt_scan(scanner, (const uint8_t *)"xyz abc", 7, NULL, NULL, NULL, &r));
    check_rules(r, want, 2);
    CHECK(specrt_scanner_rule_count(scanner) == 0);
    CHECK_STATUS(specrt_scanner_rule_info(scanner, 0, &info), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("not compiled from YARA");
    CHECK(specrt_scan_result_rule_count(NULL) == 0);
    CHECK(specrt_scan_result_rules(NULL) == NULL);
    CHECK(specrt_scan_result_rule_count((const specrt_scan_result *)scanner) == 0);
    CHECK_ERROR_MENTIONS("specrt_scan_result");
    specrt_scan_result_free(r);
    specrt_scanner_free(scanner);
    specrt_ruleset_free(rs);
}

/* What the specrt_scan_files callback saw. */
typedef struct files_seen {
    int calls, ok, missing, matched_rule;
    specrt_status missing_status;
    uint64_t capped;
} files_seen;

static int on_file(size_t index, specrt_status status, const specrt_scan_result *result,
                   void *user_data) {
    files_seen *seen = (files_seen *)user_data;
    seen->calls++;
    if (status == SPECRT_OK) {
        specrt_scan_summary sum;
        seen->ok++;
        CHECK(result != NULL);
        CHECK_OK(specrt_scan_result_summary(result, &sum));
        seen->capped += sum.capped_strings;
        if (index == 0) seen->matched_rule = (int)specrt_scan_result_rule_count(result);
    } else {
        CHECK(result == NULL);
        CHECK(index == 1);
        CHECK(strlen(specrt_last_error()) > 0);
        seen->missing++;
        seen->missing_status = status;
    }
    return 0;
}

/* Many files at once: results per file, an unreadable file reported with its error, and a
 * string past the per-string match cap. */
static void many_files(specrt_context *ctx, const char *scratch) {
    const char *source = "rule key { strings: $k = \"KEY=1\" condition: $k }\n"
                         "rule zeros { strings: $z = { 00 } condition: #z == 1500000 }\n";
    char paths[3][512];
    const char *list[3];
    specrt_ruleset *rs = compile_ok(source);
    specrt_scanner *scanner = NULL;
    specrt_scan_options opts = specrt_scan_options_default();
    files_seen seen;
    FILE *f;
    int backend, i;
    snprintf(paths[0], sizeof paths[0], "%s/key.txt", scratch);
    snprintf(paths[1], sizeof paths[1], "%s/missing.txt", scratch);
    snprintf(paths[2], sizeof paths[2], "%s/zeros.bin", scratch);
    f = fopen(paths[0], "wb");
    fputs("xx KEY=1 yy", f);
    fclose(f);
    f = fopen(paths[2], "wb");
    for (i = 0; i < 1500000; i++) fputc(0, f);
    fclose(f);
    for (i = 0; i < 3; i++) list[i] = paths[i];
    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    for (backend = 0; backend < 2; backend++) {
        opts.backend = backend ? SPECRT_SCAN_BACKEND_CPU
                               : specrt_scanner_has_gpu(scanner) ? SPECRT_SCAN_BACKEND_GPU
                                                                 : SPECRT_SCAN_BACKEND_AUTO;
        memset(&seen, 0, sizeof seen);
        CHECK_OK(specrt_scan_files(scanner, list, 3, &opts, on_file, &seen));
        CHECK(seen.calls == 3 && seen.ok == 2 && seen.missing == 1);
        CHECK(seen.missing_status == SPECRT_ERROR_IO);
        CHECK(seen.matched_rule == 1);
        CHECK(seen.capped == 1);
    }
    CHECK(specrt_scan_files(scanner, list, 3, &opts, NULL, &seen) == SPECRT_ERROR_NULL_POINTER);
    remove(paths[0]);
    remove(paths[2]);
    specrt_scanner_free(scanner);
    specrt_ruleset_free(rs);
}

/* Saved and loaded rule sets: the same results, and corrupt or foreign files refused. */
static void save_and_load(specrt_context *ctx, const char *scratch) {
    char path[512], bad[512];
    specrt_ruleset *rs = compile_ok(RULES), *loaded = (specrt_ruleset *)0x1;
    specrt_scanner *a = NULL, *b = NULL;
    specrt_scan_result *ra = NULL, *rb = NULL;
    const char data[] = "MZ KEY=1 key: 1 xx";
    FILE *f;
    long size;
    char *bytes;
    snprintf(path, sizeof path, "%s/rules.srs", scratch);
    snprintf(bad, sizeof bad, "%s/bad.srs", scratch);
    CHECK_OK(specrt_ruleset_save(rs, path));
    loaded = NULL;
    CHECK_OK(specrt_ruleset_load(path, &loaded));
    CHECK_OK(specrt_scanner_new(ctx, rs, &a));
    CHECK_OK(specrt_scanner_new(ctx, loaded, &b));
    specrt_ruleset_free(loaded);
    CHECK_OK(specrt_scan(a, (const uint8_t *)data, sizeof data - 1, NULL, NULL, NULL, &ra));
    CHECK_OK(specrt_scan(b, (const uint8_t *)data, sizeof data - 1, NULL, NULL, NULL, &rb));
    CHECK(specrt_scan_result_rule_count(ra) >= 1);
    CHECK(specrt_scan_result_rule_count(ra) == specrt_scan_result_rule_count(rb));
    CHECK(specrt_scan_result_match_count(ra) == specrt_scan_result_match_count(rb));
    /* A flipped byte, a cut file, YARA source and a missing file. */
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = (char *)malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    bytes[size / 2] ^= 0x10;
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)size, f);
    fclose(f);
    loaded = (specrt_ruleset *)0x1;
    CHECK(specrt_ruleset_load(bad, &loaded) == SPECRT_ERROR_PARSE);
    CHECK(strstr(specrt_last_error(), "checksum") != NULL);
    CHECK(loaded == (specrt_ruleset *)0x1); /* outputs are written only on success */
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)size / 2, f);
    fclose(f);
    CHECK(specrt_ruleset_load(bad, &loaded) == SPECRT_ERROR_PARSE);
    CHECK(strstr(specrt_last_error(), "truncated") != NULL);
    f = fopen(bad, "wb");
    fputs(RULES, f);
    fclose(f);
    CHECK(specrt_ruleset_load(bad, &loaded) == SPECRT_ERROR_PARSE);
    CHECK(strstr(specrt_last_error(), "magic") != NULL);
    remove(bad);
    CHECK(specrt_ruleset_load(bad, &loaded) == SPECRT_ERROR_IO);
    remove(path);
    free(bytes);
    specrt_scan_result_free(ra);
    specrt_scan_result_free(rb);
    specrt_scanner_free(a);
    specrt_scanner_free(b);
    specrt_ruleset_free(rs);
}

/* External variables of every kind, and rule metadata read back. */
static void externals_and_meta(void) {
    static const char source[] =
        "rule ext : t { meta: who = \"a\\x00b\" n = -3 ok = true\n"
        "  condition: name == \"sample.exe\" and name iendswith \".EXE\" and size > 4 and\n"
        "             ratio * 2 > 2.5 and strict }";
    static const uint8_t text[] = "sample.exe";
    static const uint8_t data[] = "x";
    specrt_external ext[4];
    specrt_compile_options o;
    specrt_ruleset *rs = NULL;
    specrt_scanner *scanner = NULL;
    specrt_scan_result *r = NULL;
    specrt_scan_options so = specrt_scan_options_default();
    specrt_rule_info info;
    specrt_meta m;
    const uint32_t want[] = {0};

    memset(ext, 0, sizeof ext);
    memset(&o, 0, sizeof o);
    ext[0].name = "name";
    ext[0].kind = SPECRT_EXTERNAL_TEXT;
    ext[0].text = text;
    ext[0].text_len = sizeof text - 1;
    ext[1].name = "size";
    ext[1].kind = SPECRT_EXTERNAL_INTEGER;
    ext[1].integer = 5;
    ext[2].name = "ratio";
    ext[2].kind = SPECRT_EXTERNAL_FLOAT;
    ext[2].number = 1.5;
    ext[3].name = "strict";
    ext[3].kind = SPECRT_EXTERNAL_BOOLEAN;
    ext[3].boolean = true;
    o.externals = ext;
    o.external_count = 4;
    CHECK_OK(specrt_ruleset_compile(source, strlen(source), &o, &rs));
    CHECK_OK(specrt_scanner_new(NULL, rs, &scanner));
    so.backend = SPECRT_SCAN_BACKEND_CPU;
    CHECK_OK(specrt_scan(scanner, data, 1, &so, NULL, NULL, &r));
    check_rules(r, want, 1);
    specrt_scan_result_free(r);

    CHECK_OK(specrt_scanner_rule_info(scanner, 0, &info));
    CHECK(info.meta_count == 3);
    CHECK_OK(specrt_scanner_rule_meta(scanner, 0, 0, &m));
    CHECK(strcmp(m.key, "who") == 0 && m.kind == SPECRT_META_TEXT && m.text_len == 3 &&
          memcmp(m.text, "a\0b", 4) == 0);
    CHECK_OK(specrt_scanner_rule_meta(scanner, 0, 1, &m));
    CHECK(m.kind == SPECRT_META_INTEGER && m.integer == -3);
    CHECK_OK(specrt_scanner_rule_meta(scanner, 0, 2, &m));
    CHECK(m.kind == SPECRT_META_BOOLEAN && m.boolean);
    CHECK_STATUS(specrt_scanner_rule_meta(scanner, 0, 3, &m), SPECRT_ERROR_INVALID_ARGUMENT);
    specrt_scanner_free(scanner);
    specrt_ruleset_free(rs);

    /* Without the externals the names are undefined; bad definitions are refused. */
    memset(&o, 0, sizeof o);
    CHECK_STATUS(specrt_ruleset_compile(source, strlen(source), &o, &rs), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("undefined identifier `name`");
    o.externals = ext;
    o.external_count = 1;
    ext[0].kind = 9;
    CHECK_STATUS(specrt_ruleset_compile(source, strlen(source), &o, &rs),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    ext[0].kind = SPECRT_EXTERNAL_TEXT;
    ext[0].name = "not an identifier";
    CHECK_STATUS(specrt_ruleset_compile(source, strlen(source), &o, &rs),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    o.externals = NULL;
    CHECK_STATUS(specrt_ruleset_compile(source, strlen(source), &o, &rs),
                 SPECRT_ERROR_NULL_POINTER);
}

/* Regular-expression strings and `matches`: compiled, scanned on the CPU and on the context's
 * backend with the candidates verified on the CPU and (where the scanner has a GPU) on the GPU,
 * with yara's offsets and lengths; a bad expression is a parse error at its place. */
static void regular_expressions(specrt_context *ctx) {
    static const char source[] =
        "rule url { strings: $u = /https?:\\/\\/[a-z.]+\\/[a-z]*/ nocase condition: $u }\n"
        "rule runs { strings: $r = /[a-z]+42/ condition: #r == 3 }\n"
        "rule text { condition: \"v1.2\" matches /^v\\d\\.\\d$/ }\n";
    static const uint8_t data[] = "..HTTP://Example.COM/Index ..abc42..";
    const uint32_t want[] = {0, 1, 2};
    specrt_scan_backend backends[] = {SPECRT_SCAN_BACKEND_CPU, SPECRT_SCAN_BACKEND_AUTO};
    specrt_ruleset *rs = compile_ok(source);
    specrt_scanner *scanner = NULL;
    specrt_scan_options so = specrt_scan_options_default();
    specrt_regex_verification verify[] = {SPECRT_REGEX_VERIFY_CPU, SPECRT_REGEX_VERIFY_GPU};
    specrt_scan_result *bad = NULL;
    size_t b;

    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    specrt_ruleset_free(rs);
    for (b = 0; b < 4; b++) {
        specrt_scan_result *r = NULL;
        const specrt_match *m;
        so.backend = backends[b % 2];
        so.regex_verification = verify[b / 2];
        CHECK_OK(specrt_scan(scanner, data, sizeof data - 1, &so, NULL, NULL, &r));
        check_rules(r, want, 3);
        /* The URL, then every start of `[a-z]+` before "42". */
        CHECK(specrt_scan_result_match_count(r) == 4);
        m = specrt_scan_result_matches(r);
        if (specrt_scan_result_match_count(r) == 4) {
            CHECK(m[0].offset == 2 && m[0].length == 24 && m[0].rule_id == 0);
            CHECK(m[1].offset == 29 && m[1].length == 5 && m[1].rule_id == 1);
            CHECK(m[3].offset == 31 && m[3].length == 3);
        }
        specrt_scan_result_free(r);
    }
    so.regex_verification = 7;
    CHECK_STATUS(specrt_scan(scanner, data, sizeof data - 1, &so, NULL, NULL, &bad),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("SPECRT_REGEX_VERIFY_");
    CHECK(bad == NULL);
    specrt_scanner_free(scanner);

    rs = (specrt_ruleset *)0x1;
    CHECK_STATUS(specrt_ruleset_compile("rule a { strings: $a = /a(b/ condition: $a }", 44, NULL,
                                        &rs),
                 SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("invalid regular expression");
    CHECK(rs == (specrt_ruleset *)0x1);
}

/* Modules: pe values of a signed fixture read from a file, hash and math on a buffer, and a
 * module not provided, which is an unsupported-construct error naming it. */
static void modules(specrt_context *ctx) {
    static const char source[] =
        "import \"pe\"\n"
        "import \"hash\"\n"
        "import \"math\"\n"
        "rule signed { condition: pe.number_of_signatures == 2 and\n"
        "  pe.signatures[1].serial == \"77:01:9a:08:23:85:e4:b7:3f:56:95:69:c9:f8:7b:b8\" }\n"
        "rule dll { condition: pe.is_dll() and pe.machine == pe.MACHINE_AMD64 }\n"
        "rule digest { condition: hash.md5(0, filesize) == \"900150983cd24fb0d6963f7d28e17f72\" }\n"
        "rule spread { condition: math.entropy(0, filesize) > 1.5 and not defined pe.entry_point }\n";
    static const uint8_t abc[] = "abc";
    const uint32_t on_file[] = {0, 1};
    const uint32_t on_buffer[] = {2, 3};
    specrt_ruleset *rs = compile_ok(source);
    specrt_scanner *scanner = NULL;
    specrt_scan_result *r = NULL;
    specrt_scan_options so = specrt_scan_options_default();

    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    specrt_ruleset_free(rs);
    so.max_chunk_bytes = 4096;
    CHECK_OK(specrt_scan_file(scanner, "tests/yara/pe/fixtures/signed_dual.dll", &so, NULL, NULL,
                              NULL, &r));
    check_rules(r, on_file, 2);
    specrt_scan_result_free(r);
    r = NULL;
    CHECK_OK(specrt_scan(scanner, abc, 3, &so, NULL, NULL, &r));
    check_rules(r, on_buffer, 2);
    specrt_scan_result_free(r);
    specrt_scanner_free(scanner);

    /* console messages, in evaluation order, in the result. */
    {
        static const char logs[] = "import \"console\"\n"
                                   "rule logs { condition: console.log(\"n=\", filesize) and "
                                   "console.hex(255) and console.log(\"a\\x00b\") }\n";
        const uint32_t want[] = {0};
        const uint8_t *message = NULL;
        size_t length = 0;
        rs = compile_ok(logs);
        CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
        specrt_ruleset_free(rs);
        r = NULL;
        CHECK_OK(specrt_scan(scanner, abc, 3, &so, NULL, NULL, &r));
        check_rules(r, want, 1);
        CHECK(specrt_scan_result_console_count(r) == 3);
        CHECK_OK(specrt_scan_result_console_message(r, 0, &message, &length));
        CHECK(length == 3 && memcmp(message, "n=3", 3) == 0);
        CHECK_OK(specrt_scan_result_console_message(r, 1, &message, &length));
        CHECK(length == 4 && memcmp(message, "0xff", 4) == 0);
        CHECK_OK(specrt_scan_result_console_message(r, 2, &message, &length));
        CHECK(length == 6 && memcmp(message, "a\\x00b", 6) == 0);
        CHECK_STATUS(specrt_scan_result_console_message(r, 3, &message, &length),
                     SPECRT_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(specrt_scan_result_console_message(r, 0, NULL, &length),
                     SPECRT_ERROR_NULL_POINTER);
        specrt_scan_result_free(r);
        specrt_scanner_free(scanner);
    }

    rs = (specrt_ruleset *)0x1;
    CHECK_STATUS(specrt_ruleset_compile("import \"dotnet\" rule a { condition: true }", 42, NULL,
                                        &rs),
                 SPECRT_ERROR_UNSUPPORTED);
    CHECK_ERROR_MENTIONS("dotnet");
    CHECK(rs == (specrt_ruleset *)0x1);
}

/* The include callback: "virtual" is a rule in memory; counts what it hands out and frees. */
static int includes_given, includes_freed;
static const char *find_include(const char *name, const char *including, void *user,
                                size_t *len) {
    static const char text[] = "rule cb { condition: true }";
    (void)including;
    CHECK(user == &includes_given);
    if (strcmp(name, "virtual") != 0) return NULL;
    includes_given++;
    *len = sizeof text - 1;
    return text;
}
static void free_include(const char *text, void *user) {
    (void)text;
    (void)user;
    includes_freed++;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Several sources in namespaces, includes from files and from a callback, and misuse. */
static void compiler_and_includes(specrt_context *ctx, const char *scratch) {
    static const uint8_t data[] = "..KEY..";
    static const char *want[][2] = {
        {"files", "inner"}, {"files", "main"}, {"memory", "main"}, {"default", "cb"},
        {"default", "uses_cb"}};
    const char *dup = "rule main { condition: true }";
    const char *virt = "include \"virtual\"\nrule uses_cb { condition: cb }";
    char dir[512], inner[600], main_path[600];
    specrt_compiler *c = NULL;
    specrt_ruleset *rs = NULL;
    specrt_scanner *scanner = NULL;
    specrt_scan_result *r = NULL;
    specrt_scan_options o = specrt_scan_options_default();
    specrt_compile_options co;
    specrt_rule_info info;
    size_t i;

    snprintf(dir, sizeof dir, "%s/inc", scratch);
    snprintf(inner, sizeof inner, "%s/inner.yar", dir);
    snprintf(main_path, sizeof main_path, "%s/main.yar", scratch);
    {
        char command[700];
        snprintf(command, sizeof command, "mkdir -p '%s'", dir);
        CHECK(system(command) == 0);
    }
    write_text(inner, "rule inner { strings: $k = \"KEY\" condition: $k }\n");
    write_text(main_path, "include \"inc/inner.yar\"\nrule main { condition: inner }\n");

    CHECK_OK(specrt_compiler_new(NULL, &c));
    CHECK_OK(specrt_compiler_add_file(c, main_path, "files"));
    /* The same rule name in another namespace. */
    CHECK_OK(specrt_compiler_add_source(c, dup, strlen(dup), "memory", "memory.yar"));
    CHECK_OK(specrt_compiler_set_include_callback(c, find_include, free_include, &includes_given));
    CHECK_OK(specrt_compiler_add_source(c, virt, strlen(virt), NULL, NULL));
    CHECK(includes_given == 1 && includes_freed == 1);
    CHECK_OK(specrt_compiler_build(c, &rs));
    CHECK_STATUS(specrt_compiler_build(c, &rs), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("already built");
    specrt_compiler_free(c);

    CHECK_OK(specrt_scanner_new(ctx, rs, &scanner));
    specrt_ruleset_free(rs);
    CHECK(specrt_scanner_rule_count(scanner) == 5);
    for (i = 0; i < 5; i++) {
        CHECK_OK(specrt_scanner_rule_info(scanner, (uint32_t)i, &info));
        CHECK(strcmp(info.namespace_, want[i][0]) == 0 && strcmp(info.name, want[i][1]) == 0);
    }
    o.backend = SPECRT_SCAN_BACKEND_CPU;
    CHECK_OK(specrt_scan(scanner, data, sizeof data - 1, &o, NULL, NULL, &r));
    CHECK(specrt_scan_result_rule_count(r) == 5);
    specrt_scan_result_free(r);
    specrt_scanner_free(scanner);

    /* A duplicate name in one namespace fails that source, and the compiler stays failed. */
    CHECK_OK(specrt_compiler_new(NULL, &c));
    CHECK_OK(specrt_compiler_add_source(c, dup, strlen(dup), NULL, "a.yar"));
    CHECK_STATUS(specrt_compiler_add_source(c, dup, strlen(dup), NULL, "b.yar"), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("b.yar:1:6: duplicate rule name `main`");
    CHECK_STATUS(specrt_compiler_add_source(c, dup, strlen(dup), "x", NULL),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("earlier source");
    CHECK_STATUS(specrt_compiler_build(c, &rs), SPECRT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(specrt_compiler_add_file(c, "/nonexistent/x.yar", NULL), SPECRT_ERROR_IO);
    CHECK_STATUS(specrt_compiler_add_source(c, dup, strlen(dup), "", NULL),
                 SPECRT_ERROR_INVALID_ARGUMENT);
    specrt_compiler_free(c);

    /* Includes refused, and a missing include named with its position. */
    memset(&co, 0, sizeof co);
    co.flags = SPECRT_COMPILE_NO_INCLUDES;
    co.origin = "main.yar";
    CHECK_STATUS(specrt_ruleset_compile(virt, strlen(virt), &co, &rs), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("main.yar:1:1: cannot include `virtual`: includes are disabled");
    CHECK_OK(specrt_compiler_new(NULL, &c));
    CHECK_STATUS(specrt_compiler_add_source(c, virt, strlen(virt), NULL, "m.yar"), SPECRT_ERROR_PARSE);
    CHECK_ERROR_MENTIONS("cannot include `virtual`");
    specrt_compiler_free(c);
    CHECK_STATUS(specrt_compiler_build((specrt_compiler *)(void *)scanner, &rs),
                 SPECRT_ERROR_INVALID_HANDLE);
}

int main(int argc, char **argv) {
    specrt_context_options copts = specrt_context_options_default();
    specrt_context *ctx = NULL;
    (void)argc;
    copts.allow_software = true;
    copts.cpu_fallback = true;
    CHECK_OK(specrt_context_new(&copts, &ctx));
    errors();
    names_and_results(ctx);
    programmatic_sets(ctx);
    many_files(ctx, argv[1]);
    save_and_load(ctx, argv[1]);
    externals_and_meta();
    regular_expressions(ctx);
    modules(ctx);
    compiler_and_includes(ctx, argv[1]);
    specrt_context_free(ctx);
    return check_report("yara_test");
}
