//! Tests for the SRGS ABNF DTMF grammar parser, validator and matcher.

use super::MatchState::{Complete, MatchCanContinue, NoMatch, Partial};
use super::*;

const HEAD: &str = "#ABNF 1.0 UTF-8;\nmode dtmf;\n";

fn g(body: &str) -> Grammar {
    let src = format!("{HEAD}{body}");
    match Grammar::parse(&src, "t.gram") {
        Ok(g) => g,
        Err(e) => panic!("{e}\n--- source ---\n{src}"),
    }
}

fn err(src: &str) -> GrammarError {
    match Grammar::parse(src, "t.gram") {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e,
    }
}

fn invalid_kind(src: &str) -> InvalidKind {
    match err(src) {
        GrammarError::Invalid { kind, .. } => kind,
        e => panic!("expected a validation error, got {e}"),
    }
}

// ---------------------------------------------------------------- W3C forms

#[test]
fn w3c_digit_and_pin() {
    let gr = g("root $pin;\n$digit = 0|1|2|3|4|5|6|7|8|9;\npublic $pin = $digit<4>;\n");
    assert_eq!(gr.root(), "pin");
    assert_eq!(gr.matches(""), Partial);
    assert_eq!(gr.matches("123"), Partial);
    assert_eq!(gr.matches("1234"), Complete);
    assert_eq!(gr.matches("12345"), NoMatch);
    assert_eq!(gr.matches("12*4"), NoMatch);
}

#[test]
fn w3c_pin_with_terminator_or_star() {
    // Alternatives of sequences, quoted "#" and "*".
    let gr = g(
        "root $pin;\n$digit = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 0;\n\
                $pin = $digit <4> \"#\" | \"*\" 9;\n",
    );
    assert_eq!(gr.matches("1234#"), Complete);
    assert_eq!(gr.matches("1234"), Partial);
    assert_eq!(gr.matches("*9"), Complete);
    assert_eq!(gr.matches("*"), Partial);
    assert_eq!(gr.matches("*8"), NoMatch);
}

#[test]
fn w3c_ranges_and_optional() {
    let gr = g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $d<4-6> [*];\n");
    assert_eq!(gr.matches("123"), Partial);
    assert_eq!(gr.matches("1234"), MatchCanContinue);
    assert_eq!(gr.matches("123456"), MatchCanContinue); // a '*' may follow
    assert_eq!(gr.matches("123456*"), Complete);
    assert_eq!(gr.matches("1234*"), Complete);
    assert_eq!(gr.matches("1234567"), NoMatch);

    let open = g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $d<1->;\n");
    assert_eq!(open.matches(""), Partial);
    assert_eq!(open.matches("1"), MatchCanContinue);
    assert_eq!(open.matches(&"9".repeat(200)), MatchCanContinue);
    assert_eq!(open.matches("1#"), NoMatch);
}

#[test]
fn all_sixteen_tokens_bare_and_quoted() {
    let gr = g("root $k;\n$k = 0|1|2|3|4|5|6|7|8|9|*|#|A|B|C|D;\n");
    for k in "0123456789*#ABCD".chars() {
        assert_eq!(gr.matches(&k.to_string()), Complete, "{k}");
    }
    let q = g("root $k;\n$k = \"*\" \"#\" \"A B\" \"1 2 3\";\n");
    assert_eq!(q.matches("*#AB123"), Complete);
    let run = g("root $k;\n$k = 123 | *9<2>;\n");
    assert_eq!(run.matches("123"), Complete);
    assert_eq!(run.matches("*9*9"), Complete);
    assert_eq!(run.matches("*99"), NoMatch);
}

#[test]
fn groups_nested() {
    let gr = g("root $r;\n$r = (1 (2 | 3))<2> [4 | (5 6)];\n");
    assert_eq!(gr.matches("1213"), MatchCanContinue);
    assert_eq!(gr.matches("12134"), Complete);
    assert_eq!(gr.matches("121356"), Complete);
    assert_eq!(gr.matches("12135"), Partial);
    assert_eq!(gr.matches("1214"), NoMatch);
}

#[test]
fn comments_tags_weights_and_declarations() {
    let src = "#ABNF 1.0;\n\
        // a comment before the declarations\n\
        language en-US;\n\
        mode dtmf; /* block\n comment */\n\
        tag-format <semantics/1.0>;\n\
        meta \"author\" is \"x;y\";\n\
        root $menu;\n\
        {!{ var x = 1; }!};\n\
        public $menu = /5/ 1 {out=\"repeat\"} | /2.5/ 2 {out=\"finish\"} // finish\n\
                     | 0 {!{ out = \"agent\"; }!};\n\
        private $unused = $NULL;\n";
    let gr = Grammar::parse(src, "menu.gram").unwrap();
    for k in ["1", "2", "0"] {
        assert_eq!(gr.matches(k), Complete);
    }
    assert_eq!(gr.matches("3"), NoMatch);
}

#[test]
fn repeat_probability_is_ignored() {
    let gr = g("root $r;\n$r = 1 <0-1 /0.7/> 2;\n");
    assert_eq!(gr.matches("2"), Complete);
    assert_eq!(gr.matches("12"), Complete);
}

#[test]
fn special_rules() {
    let null = g("root $r;\n$r = 1 $NULL 2;\n");
    assert_eq!(null.matches("12"), Complete);
    let void = g("root $r;\n$r = 1 | 2 $VOID;\n");
    assert_eq!(void.matches("1"), Complete);
    assert_eq!(void.matches("2"), NoMatch);
    let only_void = g("root $r;\n$r = $VOID;\n");
    assert_eq!(only_void.matches(""), NoMatch);
    let garbage = g("root $r;\n$r = $GARBAGE #;\n");
    assert_eq!(garbage.matches("#"), MatchCanContinue);
    assert_eq!(garbage.matches("12*#"), MatchCanContinue);
    assert_eq!(garbage.matches("12*"), Partial);
    let empty = g("root $r;\n$r = $NULL;\n");
    assert_eq!(empty.matches(""), Complete);
    assert_eq!(empty.matches("1"), NoMatch);
}

#[test]
fn right_recursion_is_supported() {
    let gr = g("root $ds;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$ds = $d | $d $ds;\n");
    assert_eq!(gr.matches("1"), MatchCanContinue);
    assert_eq!(gr.matches("123456789"), MatchCanContinue);
    assert_eq!(gr.matches("12#"), NoMatch);
    // Mutual tail recursion: alternating 1 and 2, ending anywhere.
    let m = g("root $a;\n$a = 1 [$b];\n$b = 2 [$a];\n");
    assert_eq!(m.matches("1212"), MatchCanContinue);
    assert_eq!(m.matches("1221"), NoMatch);
    // Recursion through a tail reference in a nested rule: "1"^n "#".
    let t = g("root $a;\n$a = # | 1 $c;\n$c = $a;\n");
    assert_eq!(t.matches("111#"), Complete);
}

#[test]
fn matcher_push_reset_expected() {
    let gr = g("root $r;\n$r = 1 2 | 1 3 4;\n");
    let mut m = gr.matcher();
    assert_eq!(m.state(), Partial);
    assert_eq!(m.expected(), vec!['1']);
    assert_eq!(m.push('1'), Partial);
    assert_eq!(m.expected(), vec!['2', '3']);
    assert_eq!(m.push('3'), Partial);
    assert_eq!(m.push('4'), Complete);
    assert!(m.expected().is_empty());
    assert_eq!(m.keys(), "134");
    assert_eq!(m.push('4'), NoMatch);
    assert_eq!(m.push('1'), NoMatch, "NoMatch is sticky");
    m.reset();
    assert_eq!(m.keys(), "");
    assert_eq!(m.push('x'), NoMatch);
    m.reset();
    assert_eq!(m.push('1'), Partial);
}

#[test]
fn lowercase_keys_in_input_are_accepted() {
    let gr = g("root $r;\n$r = A B C D;\n");
    assert_eq!(gr.matches("abcd"), Complete);
}

// ---------------------------------------------------------------- errors

fn pos(e: &GrammarError) -> (usize, usize) {
    e.position().expect("position")
}

#[test]
fn error_missing_semicolon_names_line_and_column() {
    let src = "#ABNF 1.0;\nmode dtmf;\nroot $menu;\n$menu = 1 | 2\n$other = 3;\n";
    let e = err(src);
    assert_eq!(e.to_string(), "t.gram:5:1: expected ';' after rule $menu");
    let src = "#ABNF 1.0;\nmode dtmf;\n$menu = 1 | 2 )\n";
    let e = err(src);
    assert_eq!(pos(&e), (3, 15));
    assert!(
        e.to_string().contains("expected ';' after rule $menu"),
        "{e}"
    );
}

#[test]
fn error_messages_and_positions() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("mode dtmf;", (1, 1), "expected the '#ABNF 1.0;' header"),
        ("#ABNF 2.0;", (1, 7), "unsupported ABNF version"),
        (
            "#ABNF 1.0\nmode dtmf;",
            (2, 1),
            "expected ';' after the header",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1 x;",
            (4, 8),
            "'x' is not a DTMF token",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 12E;",
            (4, 8),
            "'E' is not a DTMF token",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = (1 2;",
            (4, 10),
            "expected ')'",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = [1;",
            (4, 8),
            "expected ']'",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1<4-2>;",
            (4, 7),
            "minimum exceeds maximum",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1<x>;",
            (4, 8),
            "expected a repeat count",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1<2;",
            (4, 9),
            "expected '>'",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = ;",
            (4, 6),
            "expected a DTMF token",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1 | ;",
            (4, 10),
            "expected a DTMF token",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r 1;",
            (4, 4),
            "expected '='",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = \"1;",
            (4, 6),
            "unterminated quoted",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = \"\";",
            (4, 6),
            "empty quoted token",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1 {x;",
            (4, 8),
            "unterminated tag",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n/* x",
            (4, 1),
            "unterminated /* comment",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = $<a.gram#x>;",
            (4, 6),
            "external rule",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$NULL = 1;",
            (4, 1),
            "special rule $NULL",
        ),
        (
            "#ABNF 1.0;\nmode speech;",
            (2, 6),
            "expected 'dtmf' or 'voice'",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nbogus x;",
            (3, 1),
            "expected a declaration or a rule",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot r;",
            (3, 6),
            "expected '$rule' after 'root'",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = /x/ 1;",
            (4, 7),
            "expected a number",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\nroot $r;\n$r = 1<99999999999>;",
            (4, 8),
            "too large",
        ),
        (
            "#ABNF 1.0;\n\u{e9}t\u{e9} ;",
            (2, 1),
            "expected a declaration",
        ),
        (
            "#ABNF 1.0;\nmode dtmf;\n$a = 1 2 3 4\npublic $b = 5;",
            (4, 1),
            "expected ';' after rule $a",
        ),
    ];
    for (src, want_pos, want_msg) in cases {
        let e = err(src);
        assert!(matches!(e, GrammarError::Syntax { .. }), "{src:?}: {e}");
        assert_eq!(pos(&e), *want_pos, "{src:?}: {e}");
        assert!(e.to_string().contains(want_msg), "{src:?}: {e}");
        assert!(e.to_string().starts_with("t.gram:"), "{e}");
    }
}

#[test]
fn validation_errors() {
    let h = "#ABNF 1.0;\nmode dtmf;\n";
    assert_eq!(
        invalid_kind(&format!("{h}$r = 1;")),
        InvalidKind::MissingRoot
    );
    assert_eq!(
        invalid_kind(&format!("{h}root $x;\n$r = 1;")),
        InvalidKind::UndefinedRule
    );
    let e = err(&format!("{h}root $r;\n$r = 1 $nope;"));
    assert_eq!(
        e.to_string(),
        "t.gram:4:8: reference to undefined rule $nope"
    );
    assert_eq!(
        invalid_kind(&format!("{h}root $r;\n$r = 1;\n$r = 2;")),
        InvalidKind::Duplicate
    );
    assert_eq!(
        invalid_kind(&format!("{h}mode dtmf;\nroot $r;\n$r = 1;")),
        InvalidKind::Duplicate
    );
    assert_eq!(
        invalid_kind("#ABNF 1.0;\nmode voice;\nroot $r;\n$r = 1;"),
        InvalidKind::Unsupported
    );
    assert_eq!(
        invalid_kind("#ABNF 1.0;\nroot $r;\n$r = 1;"),
        InvalidKind::Unsupported
    );

    // Left recursion, direct and indirect, also through nullable prefixes.
    let e = err(&format!("{h}root $r;\n$r = $r 1 | 2;"));
    assert!(
        matches!(
            e,
            GrammarError::Invalid {
                kind: InvalidKind::LeftRecursion,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(pos(&e), (4, 6));
    assert!(e.to_string().contains("$r -> $r"), "{e}");
    let e = err(&format!(
        "{h}root $a;\n$a = $b 1;\n$b = [2] $c;\n$c = $a | 3;"
    ));
    assert!(
        e.to_string()
            .contains("left recursion: $a -> $b -> $c -> $a"),
        "{e}"
    );
    assert_eq!(
        invalid_kind(&format!("{h}root $a;\n$a = $NULL $a 1;")),
        InvalidKind::LeftRecursion
    );

    // Non-tail recursion.
    let e = err(&format!("{h}root $a;\n$a = 1 $a 2 | 3;"));
    assert!(
        matches!(
            e,
            GrammarError::Invalid {
                kind: InvalidKind::Recursion,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(pos(&e), (4, 8));
    assert_eq!(
        invalid_kind(&format!("{h}root $a;\n$a = 1 ($a)<2> | 3;")),
        InvalidKind::Recursion
    );

    // Unbounded repeats of nullable expansions.
    let e = err(&format!("{h}root $a;\n$a = 1 ([2])<1->;"));
    assert!(
        matches!(
            e,
            GrammarError::Invalid {
                kind: InvalidKind::InfiniteLoop,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(pos(&e), (4, 13));
    assert_eq!(
        invalid_kind(&format!("{h}root $a;\n$a = $GARBAGE<0->;")),
        InvalidKind::InfiniteLoop
    );
    assert_eq!(
        invalid_kind(&format!("{h}root $a;\n$a = $e<2->;\n$e = {{x}};")),
        InvalidKind::InfiniteLoop
    );

    // Size limit.
    let e = err(&format!("{h}root $a;\n$a = (0|1|2|3|4|5|6|7|8|9)<100000>;"));
    assert!(
        matches!(
            e,
            GrammarError::Invalid {
                kind: InvalidKind::TooLarge,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn pathological_sizes_are_refused_not_crashed() {
    let deep = format!(
        "{HEAD}root $r;\n$r = {}1{};",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let e = err(&deep);
    assert!(e.to_string().contains("nested more than 100 deep"), "{e}");
    let ok = format!(
        "{HEAD}root $r;\n$r = {}1{};",
        "[".repeat(90),
        "]".repeat(90)
    );
    assert_eq!(Grammar::parse(&ok, "t").unwrap().matches("1"), Complete);
    // A chain of 2000 rules, each referring to the next.
    let mut chain = format!("{HEAD}root $r0;\n");
    for i in 0..2000 {
        chain.push_str(&format!("$r{i} = $r{};\n", i + 1));
    }
    chain.push_str("$r2000 = 1;\n");
    assert_eq!(invalid_kind(&chain), InvalidKind::TooLarge);
    let chain = |n: usize, body: &str| {
        let mut g = format!("{HEAD}root $r0;\n");
        for i in 0..n {
            g.push_str(&format!("$r{i} = {body}$r{};\n", i + 1));
        }
        g + &format!("$r{n} = 1;\n")
    };
    assert_eq!(
        Grammar::parse(&chain(60, "1 "), "t")
            .unwrap()
            .matches(&"1".repeat(61)),
        Complete
    );
    assert_eq!(invalid_kind(&chain(100, "1 ")), InvalidKind::TooLarge);
    assert_eq!(invalid_kind(&chain(900, "")), InvalidKind::TooLarge);
}

#[test]
fn load_reports_missing_file() {
    let e = Grammar::load("/nonexistent/dir/x.gram").unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/dir/x.gram: "),
        "{e}"
    );
}

// ------------------------------------------------------------ tags

fn tag_after(gr: &Grammar, keys: &str) -> Option<String> {
    let mut m = gr.matcher();
    for k in keys.chars() {
        m.push(k);
    }
    m.tag().map(str::to_string)
}

#[test]
fn tag_forms_give_their_values() {
    let gr = g(
        "root $r;\n$r = 1 {out=\"one\"} | 2 {out = 'two';} | 3 {three} \
                | 4 {!{ out = \"f}o}ur\"; }!} | 5 { } | 6 {x-1.b_2};\n",
    );
    for (keys, want) in [
        ("1", Some("one")),
        ("2", Some("two")),
        ("3", Some("three")),
        ("4", Some("f}o}ur")),
        ("5", None),
        ("6", Some("x-1.b_2")),
    ] {
        assert_eq!(gr.matches(keys), Complete, "{keys}");
        assert_eq!(tag_after(&gr, keys).as_deref(), want, "{keys}");
    }
    // `{out}` without `=` is the literal "out".
    let out = g("root $r;\n$r = 1 {out};\n");
    assert_eq!(tag_after(&out, "1").as_deref(), Some("out"));
}

#[test]
fn the_last_tag_on_the_path_wins_across_rules() {
    let gr = g("root $r;\n$x = 1 {inner};\n\
                $r = $x {outer} | 2 $x | {first} 3 | 4 {a} {b} | (5 {c})<2>;\n");
    assert_eq!(tag_after(&gr, "1").as_deref(), Some("outer"));
    assert_eq!(tag_after(&gr, "21").as_deref(), Some("inner"));
    assert_eq!(tag_after(&gr, "3").as_deref(), Some("first"));
    assert_eq!(tag_after(&gr, "4").as_deref(), Some("b"));
    assert_eq!(tag_after(&gr, "55").as_deref(), Some("c"));
    // No tag before the keys match.
    assert_eq!(tag_after(&gr, "2"), None);
    assert_eq!(tag_after(&gr, "5"), None);
}

#[test]
fn a_match_that_can_continue_has_its_tag_already() {
    let gr = g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $d<1-2> {short} | $d<3> \"#\" {long};\n");
    let mut m = gr.matcher();
    assert_eq!(m.push('1'), MatchCanContinue);
    assert_eq!(m.tag(), Some("short"));
    assert_eq!(m.push('2'), MatchCanContinue);
    assert_eq!(m.tag(), Some("short"));
    assert_eq!(m.push('3'), Partial);
    assert_eq!(m.tag(), None);
    assert_eq!(m.push('#'), Complete);
    assert_eq!(m.tag(), Some("long"));
    m.reset();
    assert_eq!(m.tag(), None);
}

#[test]
fn tags_lists_every_result_with_its_shortest_keys() {
    let gr = g("root $r;\n$r = 1 2 {a} | 3 {b} | 4 | \"*\" 5 5 {a};\n");
    let t: Vec<(Option<&str>, &str)> = gr
        .tags()
        .iter()
        .map(|t| (t.tag.as_deref(), t.keys.as_str()))
        .collect();
    assert_eq!(t, [(None, "4"), (Some("a"), "12"), (Some("b"), "3")]);
    let plain = g("root $r;\n$r = 1 2;\n");
    assert_eq!(
        plain.tags(),
        [MatchTag {
            tag: None,
            keys: "12".into()
        }]
    );
    let void = g("root $r;\n$r = $VOID;\n");
    assert!(void.tags().is_empty());
}

#[test]
fn keys_that_match_with_two_results_are_refused() {
    for (body, keys) in [
        ("$r = 1 {a} | 1 {b};", "keys 1 "),
        ("$r = 1 {a} | 1;", "keys 1 "),
        ("$d = 1|2;\n$r = $d<2> {a} | 1 $d {b};", "keys 11 "),
        ("$r = [1] {a} | {b};", "keys (none) "),
    ] {
        let src = format!("{HEAD}root $r;\n{body}\n");
        let e = err(&src);
        match &e {
            GrammarError::Invalid { kind, .. } => assert_eq!(*kind, InvalidKind::AmbiguousTags),
            other => panic!("{other}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains(keys) && msg.contains("two different results"),
            "{msg}"
        );
    }
    // The same tag twice, or different keys, is not ambiguous.
    g("root $r;\n$r = 1 {a} | 1 {a} | 1 2 {b};\n");
    // Found however deep it is.
    let deep = err(&format!(
        "{HEAD}root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = ($d {{a}} | $d {{b}})<40>;\n"
    ));
    assert!(
        deep.to_string()
            .contains(&format!("keys {} ", "0".repeat(40))),
        "{deep}"
    );
}

#[test]
fn tags_too_complex_to_check_are_refused_not_left_unchecked() {
    // Determinizing this takes 2^16 sets; without tags it would be fine.
    let body = "root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $GARBAGE 1 $d<16> {a} | 2 {b};\n";
    let e = err(&format!("{HEAD}{body}"));
    assert!(
        matches!(
            e,
            GrammarError::Invalid {
                kind: InvalidKind::TooLarge,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("too complex to check"), "{e}");
    g(&body.replace(" {a}", "").replace(" {b}", ""));
    // A long tagged group grammar is no trouble.
    let long = g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n\
                  $r = $d<20> {g} | $d<0-19> \"*\" {r} | $d<0-19> \"#\" {a};\n");
    assert_eq!(long.tags().len(), 3);
}

#[test]
fn unsupported_tag_content_is_refused_at_the_tag() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("$r = 1 {out.x = 1};", (4, 15), "unsupported tag content"),
        (
            "$r = 1 {out = rules.d};",
            (4, 15),
            "expected a quoted string",
        ),
        ("$r = 1 {out = 2};", (4, 15), "expected a quoted string"),
        (
            "$r = 1 {out = \"a\\\"b\"};",
            (4, 17),
            "escapes are not supported",
        ),
        ("$r = 1 {out=\"a}b\"};", (4, 15), "ends at its first '}'"),
        ("$r = 1 {a b};", (4, 11), "unsupported tag content"),
        ("$r = 1 {out = \"ab};", (4, 15), "unterminated string"),
        (
            "$r = 1 {!{ out = \"ab; }!};",
            (4, 18),
            "unterminated string",
        ),
        ("$r = 1 {a;", (4, 8), "unterminated tag"),
    ];
    for (body, at, msg) in cases {
        let src = format!("{HEAD}root $r;\n{body}\n");
        let e = err(&src);
        assert!(
            matches!(e, GrammarError::Syntax { .. }) && e.to_string().contains(msg),
            "{body}: {e}"
        );
        assert_eq!(pos(&e), *at, "{body}: {e}");
    }
}

#[test]
fn require_tags_names_the_file_and_the_tag() {
    let gr = Grammar::parse(
        &format!("{HEAD}root $r;\n$r = 1 {{repeat}} | 2 {{finish}};\n"),
        "menu.gram",
    )
    .unwrap();
    gr.require_tags(&["finish", "repeat"]).unwrap();
    let e = gr.require_tags(&["repeat", "finish", "agent"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "menu.gram: no match carries the tag \"agent\" \
         (the grammar must give each of \"repeat\", \"finish\", \"agent\")"
    );
    let e = gr.require_tags(&["repeat"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "menu.gram: keys 2 match with the tag \"finish\", which is not one of \"repeat\""
    );
    let untagged =
        Grammar::parse(&format!("{HEAD}root $r;\n$r = 1 {{a}} | 2;\n"), "u.gram").unwrap();
    let e = untagged.require_tags(&["a"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "u.gram: keys 2 match with no tag, which is not one of \"a\""
    );
    assert!(!e.to_string().contains('\n'));
}

// ------------------------------------------------------------ grammar files

const IID_GROUP: &str = include_str!("../../../../grammars/iid_group.gram");
const CID_MENU: &str = include_str!("../../../../grammars/cid_menu.gram");
const AGENT: &str = include_str!("../../../../grammars/agent.gram");
const CID_READOUT: &str = include_str!("../../../../grammars/cid_readout.gram");
const CID_CHECK: &str = include_str!("../../../../grammars/cid_check.gram");
const YES_NO: &str = include_str!("../../../../grammars/yes_no.gram");

#[test]
fn shipped_grammars() {
    let iid = Grammar::parse(IID_GROUP, "grammars/iid_group.gram").unwrap();
    assert_eq!(iid.matches("123456"), Partial);
    assert_eq!(iid.matches("1234567"), Complete);
    assert_eq!(iid.matches("12345678"), NoMatch);
    assert_eq!(iid.matches("1234A"), NoMatch);
    // `*` restarts the group and `#` asks for an agent, after up to six digits.
    assert_eq!(iid.matches("12345*"), Complete);
    assert_eq!(iid.matches("#"), Complete);
    assert_eq!(iid.matches("1234567#"), NoMatch);
    iid.require_tags(&["group", "restart", "agent"]).unwrap();
    assert_eq!(tag_after(&iid, "1234567").as_deref(), Some("group"));
    assert_eq!(tag_after(&iid, "12*").as_deref(), Some("restart"));
    assert_eq!(tag_after(&iid, "123#").as_deref(), Some("agent"));

    let menu = Grammar::parse(CID_MENU, "grammars/cid_menu.gram").unwrap();
    assert_eq!(menu.matches("1"), Complete);
    assert_eq!(menu.matches("2"), Complete);
    assert_eq!(menu.matches("0"), Complete);
    assert_eq!(menu.matches("3"), Complete);
    assert_eq!(menu.matches("4"), NoMatch);
    assert_eq!(menu.matches("11"), NoMatch);
    menu.require_tags(&["repeat", "finish", "check", "agent"])
        .unwrap();
    assert_eq!(tag_after(&menu, "1").as_deref(), Some("repeat"));
    assert_eq!(tag_after(&menu, "2").as_deref(), Some("finish"));
    assert_eq!(tag_after(&menu, "3").as_deref(), Some("check"));
    assert_eq!(tag_after(&menu, "0").as_deref(), Some("agent"));

    // During the readout: one key each.
    let readout = Grammar::parse(CID_READOUT, "grammars/cid_readout.gram").unwrap();
    readout
        .require_tags(&["repeat_group", "back", "pause", "start_over", "menu"])
        .unwrap();
    for (keys, tag) in [
        ("1", "repeat_group"),
        ("4", "back"),
        ("2", "pause"),
        ("7", "start_over"),
        ("#", "menu"),
    ] {
        assert_eq!(readout.matches(keys), Complete, "{keys}");
        assert_eq!(tag_after(&readout, keys).as_deref(), Some(tag));
    }
    assert_eq!(readout.matches("0"), NoMatch, "0 is the agent grammar's");

    // The read-back check: 6 digits match and 7 complete (both profiles).
    let check = Grammar::parse(CID_CHECK, "grammars/cid_check.gram").unwrap();
    check.require_tags(&["group", "restart", "stop"]).unwrap();
    assert_eq!(check.matches("12345"), Partial);
    assert_eq!(check.matches("123456"), MatchCanContinue);
    assert_eq!(check.matches("1234567"), Complete);
    assert_eq!(check.matches("12345678"), NoMatch);
    assert_eq!(tag_after(&check, "123456").as_deref(), Some("group"));
    assert_eq!(tag_after(&check, "12*").as_deref(), Some("restart"));
    assert_eq!(tag_after(&check, "#").as_deref(), Some("stop"));

    let agent = Grammar::parse(AGENT, "grammars/agent.gram").unwrap();
    assert_eq!(agent.matches("0"), Complete);
    assert_eq!(agent.matches("*"), Partial);
    assert_eq!(agent.matches("*0"), Complete);
    assert_eq!(agent.matches("1"), NoMatch);
    agent.require_tags(&["agent"]).unwrap();

    let yn = Grammar::parse(YES_NO, "grammars/yes_no.gram").unwrap();
    assert_eq!(yn.matches("1"), Complete);
    assert_eq!(yn.matches("2"), Complete);
    assert_eq!(yn.matches("0"), Complete);
    assert_eq!(yn.matches("5"), NoMatch);
    yn.require_tags(&["yes", "no", "agent"]).unwrap();
}

// ------------------------------------------------------------ properties

mod props {
    use super::*;
    use proptest::prelude::*;

    fn digits_grammar(min: u32, max: Option<u32>) -> Grammar {
        let rep = match max {
            Some(m) => format!("<{min}-{m}>"),
            None => format!("<{min}->"),
        };
        g(&format!(
            "root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $d{rep};\n"
        ))
    }

    fn keys() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                8 => proptest::sample::select("0123456789".chars().collect::<Vec<_>>()),
                1 => proptest::sample::select("*#ABCDx ".chars().collect::<Vec<_>>()),
            ],
            0..14,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// `$d<m-n>` matches exactly the all-digit strings with m <= len <= n,
        /// and the four-way state is exactly what the lengths imply.
        #[test]
        fn bounded_repeat_language(min in 0u32..6, extra in 0u32..6, s in keys()) {
            let max = min + extra;
            let gr = digits_grammar(min, Some(max));
            let len = s.chars().count() as u32;
            let all_digits = s.chars().all(|c| c.is_ascii_digit());
            let want = if !all_digits || len > max {
                NoMatch
            } else if len < min {
                Partial
            } else if len < max {
                MatchCanContinue
            } else {
                Complete
            };
            prop_assert_eq!(gr.matches(&s), want);
        }

        #[test]
        fn unbounded_repeat_language(min in 0u32..6, s in keys()) {
            let gr = digits_grammar(min, None);
            let len = s.chars().count() as u32;
            let all_digits = s.chars().all(|c| c.is_ascii_digit());
            let want = if !all_digits { NoMatch } else if len < min { Partial } else { MatchCanContinue };
            prop_assert_eq!(gr.matches(&s), want);
        }

        /// Pushing key by key agrees with whole-string matching at every prefix.
        #[test]
        fn push_agrees_with_matches(s in keys()) {
            let grammars = [
                g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = $d<2-4> [\"#\"] | \"*\" $d<1-> | 0;\n"),
                g("root $r;\n$r = $GARBAGE 9 9 | 1 2 3;\n"),
                g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n$r = ($d $d)<1-3>;\n"),
            ];
            for gr in &grammars {
                let mut m = gr.matcher();
                let mut prefix = String::new();
                for c in s.chars() {
                    prefix.push(c);
                    let st = m.push(c);
                    prop_assert_eq!(st, gr.matches(&prefix), "prefix {:?}", prefix);
                }
                prop_assert_eq!(m.state(), gr.matches(&s));
            }
        }

        /// The tag after each prefix is the one its alternative gives.
        #[test]
        fn tags_follow_the_alternative_that_matched(s in keys()) {
            let gr = g("root $r;\n$d = 0|1|2|3|4|5|6|7|8|9;\n\
                        $r = $d<1-3> {short} | $d<4-5> \"#\" {out=\"long\"} | \"*\" {star} [$d {starred}];\n");
            let mut m = gr.matcher();
            let mut prefix = String::new();
            for c in s.chars() {
                prefix.push(c);
                m.push(c);
                let n = prefix.chars().count();
                let digits = prefix.chars().all(|c| c.is_ascii_digit());
                let body: String = prefix.chars().take(n.saturating_sub(1)).collect();
                let want = if digits && (1..=3).contains(&n) {
                    Some("short")
                } else if prefix.ends_with('#') && body.chars().all(|c| c.is_ascii_digit())
                    && (4..=5).contains(&body.len()) {
                    Some("long")
                } else if prefix == "*" {
                    Some("star")
                } else if n == 2 && prefix.starts_with('*') && prefix.chars().nth(1).is_some_and(|c| c.is_ascii_digit()) {
                    Some("starred")
                } else {
                    None
                };
                prop_assert_eq!(m.tag(), want, "prefix {:?}", prefix);
                prop_assert_eq!(m.state().is_match(), want.is_some(), "prefix {:?}", prefix);
            }
        }

        /// The parser never panics, whatever the input.
        #[test]
        fn parser_never_panics(body in "[ -~\n]{0,60}") {
            let _ = Grammar::parse(&format!("{HEAD}root $r;\n{body}"), "fuzz");
            let _ = Grammar::parse(&body, "fuzz");
        }

        /// Nor on inputs built from grammar punctuation.
        #[test]
        fn parser_never_panics_structured(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "$r", "$d", "=", ";", "|", "(", ")", "[", "]", "<", ">", "-", "1", "*", "#",
                    "\"", "{", "}", "/", "2", " ", "\n", "$NULL", "$GARBAGE", "public", "<0->",
                ]),
                0..30,
            )
        ) {
            let src = format!("{HEAD}root $r;\n$d = 1|2;\n{}", parts.concat());
            if let Ok(gr) = Grammar::parse(&src, "fuzz") {
                let _ = gr.matches("1212#*");
            }
        }
    }
}

#[test]
fn grammar_and_matcher_are_send_and_sync() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Grammar>();
    check::<Matcher>();
    fn errors<T: Send + Sync + std::error::Error + 'static>() {}
    errors::<GrammarError>();
    errors::<crate::dtmf::DtmfError>();
    errors::<crate::timeline::TimelineError>();
    fn send<T: Send>() {}
    send::<crate::dtmf::Detector>();
}
