//! Flags: unknown flags and malformed values exit non-zero with Go-style messages; `--help`
//! and `--version` exit 0.

use natrium_tests::run_binary;

#[test]
fn unknown_flag_exits_non_zero() {
    let (status, stderr) = run_binary(&["--bogus"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("flag provided but not defined: -bogus"),
        "{stderr}"
    );
}

#[test]
fn malformed_values_exit_non_zero() {
    let (status, stderr) = run_binary(&["-p", "not-a-port"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid value"), "{stderr}");
    let (status, stderr) = run_binary(&["-p"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("flag needs an argument: -p"), "{stderr}");
    let (status, stderr) = run_binary(&["--signal", "bogus=1"]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("unknown signal"), "{stderr}");
}

#[test]
fn contradictory_auth_flags_exit_non_zero() {
    let (status, stderr) = run_binary(&["--auth", "t", "--user", "u", "--pass", "p"]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("invalid authorization"), "{stderr}");
}

#[test]
fn help_and_version_exit_zero() {
    let output = std::process::Command::new(natrium_tests::natrium_binary())
        .arg("-h")
        .output()
        .expect("run --help");
    assert!(output.status.success());
    let usage = String::from_utf8_lossy(&output.stdout);
    assert!(
        usage.contains("--jetstream") && usage.contains("--store_dir"),
        "{usage}"
    );
    let output = std::process::Command::new(natrium_tests::natrium_binary())
        .arg("--version")
        .output()
        .expect("run --version");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("natrium: v"));
}
