//! `natrium-blk --help` and `natrium-blk <verb> --help` exit 0 on stdout, name every option of
//! the verb with its sentence and list the exit codes; usage errors exit 2 on stderr with
//! nothing on stdout and a pointer to --help on stderr.

mod common;
use common::*;

/// Each verb and the options (with a word of their help sentence) its help must show.
const VERBS: &[(&str, &[(&str, &str)])] = &[
    ("inspect", &[("--key", "encrypted"), ("--json", "JSON")]),
    ("verify", &[("--key", "encrypted"), ("--json", "problems")]),
    (
        "dump",
        &[
            ("--key", "encrypted"),
            ("--from", "First sequence"),
            ("--to", "Last sequence"),
            ("--subject", "wildcards"),
            ("--json", "JSON"),
            ("--headers", "headers"),
            ("--payload", "payload"),
            ("--all", "deleted"),
            ("--salvage", "damaged"),
        ],
    ),
    (
        "recover",
        &[
            ("--key", "encrypted"),
            ("--into", "new directory"),
            ("--salvage", "quarantine"),
        ],
    ),
    ("compact", &[("--key", "encrypted")]),
];

fn assert_exit_codes_listed(help: &str) {
    for line in [
        "0  clean",
        "1  damage found",
        "2  usage error",
        "3  wrong or missing key",
    ] {
        assert!(
            help.contains(line),
            "exit code line {line:?} missing:\n{help}"
        );
    }
}

#[test]
fn help_of_the_tool_and_of_every_verb_exits_0_and_names_the_options() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let help = stdout(&output);
    for (verb, _) in VERBS {
        assert!(
            help.contains(&format!("  {verb} ")),
            "{verb} missing:\n{help}"
        );
    }
    assert_exit_codes_listed(&help);

    for (verb, options) in VERBS {
        for request in [
            vec![*verb, "--help"],
            vec!["help", *verb],
            vec![*verb, "-h"],
        ] {
            let output = run(&request);
            assert_eq!(output.status.code(), Some(0), "{request:?}");
            assert!(output.stderr.is_empty(), "{request:?}: {}", stderr(&output));
            let help = stdout(&output);
            assert!(
                help.contains(&format!("Usage: natrium-blk {verb} [OPTIONS] <STREAM_DIR>")),
                "{request:?}:\n{help}"
            );
            for (option, word) in *options {
                let line = help
                    .lines()
                    .find(|line| line.trim_start().starts_with(option))
                    .unwrap_or_else(|| panic!("{request:?}: no {option} line:\n{help}"));
                // `-h` prints the short form, which wraps long sentences onto the next lines.
                let rest = help.split_once(line).map(|(_, rest)| rest).unwrap_or("");
                assert!(
                    line.contains(word) || rest.lines().take(3).any(|l| l.contains(word)),
                    "{request:?}: {option} lacks its sentence ({word:?}):\n{help}"
                );
            }
            assert_exit_codes_listed(&help);
        }
    }
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    let good = fixture("good");
    let good = good.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate", good],
        &["verify"],
        &["verify", good, "--nope"],
        &["dump", good, "--from", "x"],
        &["dump", good, "--into", "/tmp/x"],
        &["recover", good, "--json"],
        &["inspect", good, "--key", "zz"],
        &["verify", good, good],
    ];
    for args in cases {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}: {}", stdout(&output));
        assert!(
            stderr(&output).contains("--help"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = run(&["verify", good, "--nope"]);
    assert!(
        stderr(&output).contains("unexpected argument '--nope'"),
        "{}",
        stderr(&output)
    );
    let output = run(&["inspect", good, "--key", "zz"]);
    assert!(
        stderr(&output).contains("must be hex"),
        "{}",
        stderr(&output)
    );
}
