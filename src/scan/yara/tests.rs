//! Tests of the YARA compiler: accepted constructs, errors and skipping.

use super::*;

fn ok(src: &str) -> CompiledSource {
    compile(src.as_bytes(), "t.yar", CompileOptions::default())
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> Error {
    compile(src.as_bytes(), "t.yar", CompileOptions::default()).unwrap_err()
}

#[test]
fn compiles_rules_strings_and_conditions() {
    let c = ok(r#"
        // comment
        private rule base { condition: filesize > 1KB }
        global rule g : tag1 tag2 {
            meta: author = "x" version = 2 ok = true neg = -1
            strings:
                $a = "ab\x00\"" ascii wide nocase fullword
                $h = { 4D 5A [1-2] ( 90 | 91 92 ) }
                $ = "anon"
            condition:
                base and ($a at 0 or $h in (0..100)) and #a >= 2 and 2 of them
                and uint16(0) == 0x5A4D and uint32be(4) != 1 and none of ($h*)
                and not any of ($a, $h)
        }"#);
    let logic = c.rules.logic().unwrap();
    assert_eq!(logic.rules.len(), 2);
    assert!(logic.rules[0].private && logic.rules[1].global);
    assert_eq!(logic.rules[1].tags, ["tag1", "tag2"]);
    use crate::scan::logic::MetaValue;
    assert_eq!(
        logic.rules[1].meta,
        [
            ("author".to_string(), MetaValue::Text(b"x".to_vec())),
            ("version".to_string(), MetaValue::Integer(2)),
            ("ok".to_string(), MetaValue::Boolean(true)),
            ("neg".to_string(), MetaValue::Integer(-1)),
        ]
    );
    assert_eq!(logic.rules[1].strings.len(), 3);
    assert!(logic.rules[1].strings[1].is_hex);
    // "ab.." (1 pattern, both forms) + 4 hex variants + anon.
    assert_eq!(c.rules.string_count(), 6);
    assert_eq!(logic.probes.len(), 2);
    assert!(logic.reads_input);
}

#[test]
fn integer_expressions_fold_constants_and_keep_the_rest() {
    use crate::scan::logic::{Arith, Comparison, Expr};
    let c = ok("rule a { strings: $a = \"x\" condition:
        uint32(0x3c + 4) == 1 and int16(uint32(0x3c) + 0x5c) == -2 and
        $a at 0x10 * 2 and ~0 == 2 - 3 }");
    let logic = c.rules.logic().unwrap();
    let Expr::And(items) = &logic.rules[0].condition else {
        panic!("{:?}", logic.rules[0].condition)
    };
    let read = |offset: Expr, width, signed| Expr::Read {
        offset: Box::new(offset),
        width,
        big_endian: false,
        signed,
    };
    let compare = |a, b| Expr::Compare(Comparison::Eq, Box::new(a), Box::new(b));
    assert_eq!(
        items[0],
        compare(read(Expr::Int(0x40), 4, false), Expr::Int(1))
    );
    let header = read(Expr::Int(0x3c), 4, false);
    let field = Expr::Arith(Arith::Add, Box::new(header), Box::new(Expr::Int(0x5c)));
    assert_eq!(items[1], compare(read(field, 2, true), Expr::Int(-2)));
    assert_eq!(logic.probes[0].lo, 0x20);
    assert_eq!(items[3], compare(Expr::Int(-1), Expr::Int(-1)));
}

#[test]
fn externals_are_constants_of_their_type() {
    use crate::scan::logic::{Expr, TextOp};
    let options = CompileOptions {
        externals: vec![
            ("name".into(), External::Text(b"a.exe".to_vec())),
            ("size".into(), External::Integer(7)),
            ("ratio".into(), External::Float(0.5)),
            ("strict".into(), External::Boolean(true)),
        ],
        ..Default::default()
    };
    let source = "rule a { condition: name endswith \".exe\" and size + 1 == 8 and ratio < 1 \
                  and strict }";
    let c = compile(source.as_bytes(), "t.yar", options.clone()).unwrap();
    let crate::scan::logic::Expr::And(items) = &c.rules.logic().unwrap().rules[0].condition else {
        panic!()
    };
    assert_eq!(
        items[0],
        Expr::TextOp(
            TextOp::EndsWith,
            Box::new(Expr::Text(b"a.exe".to_vec())),
            Box::new(Expr::Text(b".exe".to_vec()))
        )
    );
    assert_eq!(items[3], Expr::Bool(true));
    for (src, what) in [
        ("rule a { condition: name + 1 == 2 }", "`+` needs integers"),
        ("rule a { condition: ratio % 2 == 1 }", "`%` needs integers"),
        ("rule a { condition: name == 1 }", "integers on both sides"),
        (
            "rule a { condition: size contains \"x\" }",
            "texts on both sides",
        ),
    ] {
        let e = compile(src.as_bytes(), "t.yar", options.clone()).unwrap_err();
        assert!(e.to_string().contains(what), "{src}: {e}");
    }
}

#[test]
fn errors_name_line_column_and_construct() {
    let cases = [
        (
            "rule a { strings: $a = \"ab\" xor wide fullword condition: $a }",
            "1:29",
            "`xor` with `wide` and `fullword`",
        ),
        (
            "import \"dotnet\"\nrule a { condition: true }",
            "1:8",
            "the module `dotnet`",
        ),
        (
            "rule a { strings: $a = \"x\" xor wide fullword condition: $a }",
            "1:28",
            "`xor` with `wide` and `fullword`",
        ),
        (
            "rule a { strings: $a = \"x\" condition: 1 of ($a) in (0..9) }",
            "1:",
            "in/at",
        ),
    ];
    for (src, place, what) in cases {
        let e = err(src);
        let text = e.to_string();
        assert!(matches!(e, Error::Unsupported(_)), "{src}: {text}");
        assert!(text.contains(&format!("t.yar:{place}")), "{src}: {text}");
        assert!(text.contains(what), "{src}: {text}");
    }
    for (src, what) in [
        ("rule a { condition: b }", "undefined identifier `b`"),
        (
            "rule a { condition: pe.is_dll() }",
            "undefined identifier `pe`",
        ),
        (
            "rule a { strings: $a = \"x\" $b = \"y\" condition: $a }",
            "`$b`",
        ),
        (
            "rule a { condition: true } rule a { condition: true }",
            "duplicate rule",
        ),
        ("rule a { strings: $a = \"\" condition: $a }", "empty text"),
        ("rule a { condition: $x }", "undefined string"),
        ("rule a { condition: true", "expected `}`"),
        ("rule and { condition: true }", "rule name"),
        (
            "rule a { condition: filesize == true }",
            "integers on both sides",
        ),
        (
            "rule a { condition: filesize + true > 1 }",
            "`+` needs integers on both sides",
        ),
        ("rule a { condition: -true }", "`-` needs an integer"),
        (
            "rule a { condition: @ == 0 }",
            "only in a `for ... of` body",
        ),
        (
            "rule a { condition: for any i in (0..1) : (for all i in (0..1) : (true)) }",
            "duplicated loop identifier",
        ),
        (
            "rule a { strings: $a = \"x\" condition: 101% of them }",
            "between 1 and 100",
        ),
        (
            "rule a { strings: $a = \"x\" xor nocase condition: $a }",
            "invalid modifier combination",
        ),
        (
            "rule a { strings: $a = \"xy\" base64 fullword condition: $a }",
            "invalid modifier combination",
        ),
        (
            "rule a { strings: $a = \"xy\" base64(\"abc\") condition: $a }",
            "64 characters",
        ),
        (
            "rule a { strings: $a = \"xy\" xor(5-2) condition: $a }",
            "lower bound",
        ),
        (
            "rule a { strings: $a = \"xy\" xor(256) condition: $a }",
            "0 to 255",
        ),
        (
            "rule a { condition: 1 \\ (2 - 2) == 1 }",
            "division by zero",
        ),
        (
            "rule a { condition: uint8(true) == 1 }",
            "needs an integer offset",
        ),
        (
            "rule a { strings: $a = { 41 ( 42 } condition: $a }",
            "unterminated",
        ),
    ] {
        let e = err(src);
        assert!(matches!(e, Error::Parse { .. }), "{src}: {e}");
        assert!(e.to_string().contains(what), "{src}: {e}");
    }
}

#[test]
fn skip_option_lists_skipped_rules_and_their_dependents() {
    let src = r#"
        import "dotnet"
        rule keep { strings: $a = "x" condition: $a }
        rule regex { strings: $r = "ab" xor wide fullword condition: $r }
        rule uses_regex { condition: regex or keep }
        rule module { condition: dotnet.number_of_streams > 1 }
        rule also_kept { condition: keep }
        rule by_set { condition: any of (regex, keep) }
        rule by_prefix { condition: any of (reg*) }
        rule set_kept { condition: all of (keep, also*) }
    "#;
    let c = compile(
        src.as_bytes(),
        "t.yar",
        CompileOptions {
            skip_unsupported: true,
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = c.skipped.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(
        names,
        ["regex", "uses_regex", "module", "by_set", "by_prefix"]
    );
    assert_eq!((c.skipped[0].line, c.skipped[0].column), (4, 41));
    let logic = c.rules.logic().unwrap();
    let kept: Vec<&str> = logic.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(kept, ["keep", "also_kept", "set_kept"]);
    assert_eq!(logic.rules[1].condition, crate::scan::logic::Expr::Rule(0));
    assert_eq!(
        logic.rules[2].condition,
        crate::scan::logic::Expr::RulesOf {
            quantity: crate::scan::logic::Quantity::All,
            rules: vec![0, 1],
        }
    );
}

#[test]
fn limits_are_enforced() {
    let deep = format!(
        "rule a {{ condition: {}true{} }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(err(&deep).to_string().contains("nested deeper"));
    let nots = format!("rule a {{ condition: {}true }}", "not ".repeat(5000));
    assert!(err(&nots).to_string().contains("nested deeper"));
    let big = vec![b' '; MAX_SOURCE_BYTES + 1];
    assert!(matches!(
        compile(&big, "t", CompileOptions::default()),
        Err(Error::TooLarge(_))
    ));
}

#[test]
fn regular_expressions_compile_or_fail_with_their_place() {
    let c = ok(r#"rule r {
        strings:
            $a = /ab+c/ nocase wide ascii fullword private
            $b = /x{,3}?[\w.]+?y/is
        condition: $a and $b and "abc" matches /^a.c$/ }"#);
    let strings = &c.rules.rules()[0].strings;
    let flags = strings[0].regex.as_ref().unwrap().flags();
    assert!(flags.nocase && flags.wide && flags.ascii && flags.fullword);
    let b = strings[1].regex.as_ref().unwrap().flags();
    assert!(b.nocase && b.dot_all && !b.wide && b.ascii);
    assert!(c.rules.logic().unwrap().rules[0].strings[0].private);
    for (src, place, what) in [
        (
            "rule a { strings: $a = /ab(/ condition: $a }",
            "1:28",
            "missing `)`",
        ),
        (
            "rule a { strings: $a = /a.*b.*?c/ condition: $a }",
            "1:25",
            "can't be mixed",
        ),
        (
            "rule a { strings: $a = /a\\1/ condition: $a }",
            "1:26",
            "backreferences",
        ),
        (
            "rule a { strings: $a = /a{9,2}/ condition: $a }",
            "1:26",
            "bad repeat interval",
        ),
        (
            "rule a { strings: $a = /a/ xor condition: $a }",
            "1:24",
            "take only the nocase",
        ),
        (
            "rule a { condition: \"x\" matches /[/ }",
            "1:35",
            "missing terminating ]",
        ),
        (
            "rule a { condition: 1 matches /a/ }",
            "1:23",
            "text on its left",
        ),
    ] {
        let e = err(src);
        assert!(matches!(e, Error::Parse { .. }), "{src}: {e}");
        let text = e.to_string();
        assert!(text.contains(place) && text.contains(what), "{src}: {text}");
    }
}

mod sources {
    use super::super::{compile_sources, CompileOptions, IncludeResolver, NoIncludes, Source};
    use crate::scan::{Backend, ScanOptions, Scanner};
    use crate::Error;

    fn source(text: &str, origin: &str, namespace: &str) -> Source {
        Source {
            text: text.as_bytes().to_vec(),
            origin: origin.into(),
            namespace: namespace.into(),
        }
    }

    /// Includes from a table of names.
    struct Table(Vec<(&'static str, &'static str)>);

    impl IncludeResolver for Table {
        fn include(&mut self, name: &str, _from: &str) -> Result<(String, Vec<u8>), String> {
            self.0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, text)| (format!("mem:{n}"), text.as_bytes().to_vec()))
                .ok_or_else(|| format!("no source named `{name}`"))
        }
    }

    fn matching(
        sources: &[Source],
        includes: &mut dyn IncludeResolver,
        data: &[u8],
    ) -> Vec<String> {
        let compiled = compile_sources(sources, CompileOptions::default(), includes)
            .unwrap_or_else(|e| panic!("{e}"));
        let scanner = Scanner::new(None, &compiled.rules).unwrap();
        let options = ScanOptions {
            backend: Backend::Cpu,
            ..Default::default()
        };
        let result = scanner.scan(data, &options, None, None).unwrap();
        let logic = compiled.rules.logic().unwrap();
        result
            .rules
            .iter()
            .map(|&r| {
                let rule = &logic.rules[r as usize];
                format!(
                    "{}:{}",
                    logic.namespaces[rule.namespace as usize], rule.name
                )
            })
            .collect()
    }

    #[test]
    fn namespaces_scope_names_references_and_globals() {
        let sources = [
            source(
                "rule a { strings: $x = \"abc\" condition: $x }",
                "one.yar",
                "one",
            ),
            // The same name in another namespace; `a` here is this namespace's.
            source(
                "rule a { condition: false } rule b { condition: not a }",
                "two.yar",
                "two",
            ),
            // A second source of namespace one sees its rules.
            source(
                "rule c { condition: a and any of (a*) }",
                "three.yar",
                "one",
            ),
            // A false global rule hides its namespace only.
            source(
                "global rule g { condition: filesize > 1000 } rule d { condition: true }",
                "four.yar",
                "three",
            ),
        ];
        assert_eq!(
            matching(&sources, &mut NoIncludes, b"..abc.."),
            ["one:a", "two:b", "one:c"]
        );
        let clash = [
            source("rule a { condition: true }", "x.yar", "one"),
            source("rule a { condition: true }", "y.yar", "one"),
        ];
        let e = compile_sources(&clash, CompileOptions::default(), &mut NoIncludes).unwrap_err();
        assert!(
            e.to_string().contains("y.yar:1:6: duplicate rule name `a`"),
            "{e}"
        );
        let unseen = [
            source("rule a { condition: true }", "x.yar", "one"),
            source("rule b { condition: a }", "y.yar", "two"),
        ];
        let e = compile_sources(&unseen, CompileOptions::default(), &mut NoIncludes).unwrap_err();
        assert!(e.to_string().contains("y.yar:1:21"), "{e}");
    }

    #[test]
    fn includes_splice_sources_and_errors_name_the_included_text() {
        let mut table = Table(vec![
            (
                "strings.yar",
                "rule inc { strings: $x = \"abc\" condition: $x }\ninclude \"more.yar\"",
            ),
            ("more.yar", "rule more { condition: inc }"),
            ("broken.yar", "\n\nrule broken { condition: nope }"),
            ("loop.yar", "include \"loop.yar\""),
        ]);
        let main = source(
            "include \"strings.yar\"\nrule main { condition: inc and more }",
            "main.yar",
            "default",
        );
        assert_eq!(
            matching(&[main], &mut table, b"abc"),
            ["default:inc", "default:more", "default:main"]
        );
        let cases = [
            (
                "include \"broken.yar\"",
                "mem:broken.yar:3:26: undefined identifier `nope`",
            ),
            (
                "\ninclude \"absent.yar\"",
                "main.yar:2:1: cannot include `absent.yar`: no source",
            ),
            ("include \"loop.yar\"", "includes nest deeper than 16"),
        ];
        for (text, expected) in cases {
            let e = compile_sources(
                &[source(text, "main.yar", "default")],
                CompileOptions::default(),
                &mut table,
            )
            .unwrap_err();
            assert!(matches!(e, Error::Parse { .. }), "{e}");
            assert!(e.to_string().contains(expected), "{text}: {e}");
        }
        let e = compile_sources(
            &[source("include \"strings.yar\"", "main.yar", "default")],
            CompileOptions::default(),
            &mut NoIncludes,
        )
        .unwrap_err();
        assert!(e.to_string().contains("includes are disabled"), "{e}");
    }

    #[test]
    fn file_includes_are_found_beside_the_including_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            dir.path().join("sub/inner.yar"),
            "rule inner { strings: $x = \"abc\" condition: $x }",
        )
        .unwrap();
        std::fs::write(dir.path().join("sub/outer.yar"), "include \"inner.yar\"").unwrap();
        let main = dir.path().join("main.yar");
        let text = "include \"sub/outer.yar\"\nrule main { condition: inner }";
        std::fs::write(&main, text).unwrap();
        let compiled = super::super::compile(
            text.as_bytes(),
            main.to_str().unwrap(),
            CompileOptions::default(),
        )
        .unwrap();
        // Devices and FIFOs are refused rather than read (they could block).
        let e = super::super::compile(
            b"include \"/dev/null\"",
            main.to_str().unwrap(),
            CompileOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let names: Vec<_> = compiled
            .rules
            .logic()
            .unwrap()
            .rules
            .iter()
            .map(|r| r.name.clone())
            .collect();
        assert_eq!(names, ["inner", "main"]);
    }
}

/// Compiles `src` skipping unsupported rules.
fn skipping(src: &str) -> Result<CompiledSource> {
    let options = CompileOptions {
        skip_unsupported: true,
        ..Default::default()
    };
    compile(src.as_bytes(), "t.yar", options)
}

#[test]
fn constructs_that_parse_but_cannot_run_skip_their_rule_alone() {
    for (rule, construct, position) in [
        (
            "rule r { strings: $a = \"x\" condition: any of ($a) in (0..10) }",
            "`of ... in/at` ranges",
            (1, 39),
        ),
        (
            "rule r { strings: $a = \"x\" condition: all of them at 0 }",
            "`of ... in/at` ranges",
            (1, 39),
        ),
        (
            "rule r { strings: $a = \"x\" condition: any of ($a, keep) }",
            "rule sets after `of`",
            (1, 51),
        ),
        (
            "rule r { condition: for filesize i in (1..2) : (i > 0) }",
            "a quantifier that is not a constant",
            (1, 25),
        ),
        (
            "rule r { strings: $a = \"x\" condition: #a of them }",
            "a quantifier that is not a constant",
            (1, 39),
        ),
        (
            "rule r { condition: with n = filesize : (n > 1) }",
            "`with` declarations",
            (1, 21),
        ),
        (
            "rule r { condition: for any s in (\"a\", \"b\") : (s == \"a\") }",
            "a loop over texts",
            (1, 35),
        ),
    ] {
        let src =
            format!("rule keep {{ condition: true }}\n{rule}\nrule after {{ condition: keep }}");
        let c = skipping(&src).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(c.skipped.len(), 1, "{rule}");
        let s = &c.skipped[0];
        assert_eq!(s.rule, "r");
        assert!(s.construct.contains(construct), "{rule}: {}", s.construct);
        assert_eq!((s.line - 1, s.column), position, "{rule}");
        let kept: Vec<&str> = c
            .rules
            .logic()
            .unwrap()
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(kept, ["keep", "after"], "{rule}");
        let e = err(&src);
        assert!(matches!(e, Error::Unsupported(_)), "{rule}: {e}");
    }
}

#[test]
fn a_syntax_error_fails_even_in_a_rule_that_would_skip() {
    // The whole rule is parsed before it is lowered: a rule with an unsupported construct
    // and a syntax error is an error, not a skipped rule.
    let src = "import \"dotnet\"\nrule r { condition: dotnet.version == \"x\" and }";
    let e = skipping(src).unwrap_err();
    assert!(matches!(e, Error::Parse { line: 2, .. }), "{e}");
    // `with` (a keyword of YARA-X) still names a rule, as in YARA 4.
    let c = ok("rule with { condition: true } rule b { condition: with }");
    assert_eq!(c.rules.logic().unwrap().rules.len(), 2);
}

#[test]
fn deep_operator_chains_are_refused_not_overflowed() {
    // Left-associative chains deepen the tree as nesting does: both stay bounded.
    let chain = vec!["filesize"; 5000].join(" + ");
    let e = err(&format!("rule r {{ condition: {chain} > 0 }}"));
    assert!(e.to_string().contains("nested deeper than"), "{e}");
    let path = format!("pe{}", ".a".repeat(5000));
    let e = err(&format!("import \"pe\" rule r {{ condition: {path} }}"));
    assert!(e.to_string().contains("nested deeper than"), "{e}");
    let short = vec!["filesize"; 50].join(" + ");
    ok(&format!("rule r {{ condition: {short} > 0 }}"));
}

#[test]
fn any_primary_expression_quantifies_of() {
    use crate::scan::logic::{Expr, Quantity};
    // yara's `for_expression`: constant expressions fold to the quantity.
    for (condition, quantity) in [
        ("(1 + 1) of them", Quantity::AtLeast(2)),
        ("2 of them", Quantity::AtLeast(2)),
        ("(100 \\ 2)% of them", Quantity::Percent(50)),
        ("for (1 + 1) of them : ($)", Quantity::AtLeast(2)),
    ] {
        let c = ok(&format!(
            "rule r {{ strings: $a = \"x\" $b = \"y\" condition: {condition} }}"
        ));
        let rule = &c.rules.logic().unwrap().rules[0];
        let found = match &rule.condition {
            Expr::Of { quantity, strings }
            | Expr::ForOf {
                quantity, strings, ..
            } => {
                assert_eq!(strings, &[0, 1], "{condition}");
                *quantity
            }
            other => panic!("{condition}: {other:?}"),
        };
        assert_eq!(found, quantity, "{condition}");
    }
}
