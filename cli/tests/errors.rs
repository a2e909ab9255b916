//! A bad command line gets one line on stderr that names the option and
//! the value, and exit status 2.

mod common;

use std::fs;

use common::{one_line_error, path, run};

fn usage_error(args: &[&str]) -> String {
    one_line_error(&run(args), 2)
}

#[test]
fn unknown_option_names_it_and_suggests_the_near_one() {
    assert_eq!(
        usage_error(&["run", "--reed", "/usr", "--", "true"]),
        "sandlock: unexpected argument '--reed' found (tip: a similar argument exists: '--read'); see sandlock --help"
    );
}

#[test]
fn bad_values_name_the_option_the_value_and_the_fix() {
    for (args, expected) in [
        (&["--memory", "12Q"][..], "sandlock: --memory 12Q: not a size (use e.g. 256M, 1G)"),
        (&["--timeout", "soon"], "sandlock: --timeout soon: not a duration (use e.g. 500ms, 5s, 2m)"),
        (&["--connect", "0"], "sandlock: --connect 0: not a TCP port (use 1-65535)"),
        (&["--bind", "70000"], "sandlock: --bind 70000: not a TCP port (use 1-65535)"),
        (&["--max-processes", "0"], "sandlock: --max-processes 0: must be greater than zero"),
        (&["--read", "/nope"], "sandlock: --read /nope: path does not exist"),
        (&["--env", "NOVALUE"], "sandlock: --env NOVALUE: not KEY=VALUE"),
        (&["--stdin", "tty"], "sandlock: --stdin tty: use one of null, inherit"),
        (&["--user", "no-such-user-here"], "sandlock: --user no-such-user-here: no such user"),
        (&["--keep-cap", "CAP_NOPE"], "sandlock: --keep-cap CAP_NOPE: not a capability (use a name from capabilities(7), e.g. CAP_NET_BIND_SERVICE)"),
        (&["--deny-syscall", "opn"], "sandlock: --deny-syscall opn: unknown syscall \"opn\" on this architecture (did you mean open?)"),
    ] {
        let mut full = vec!["run"];
        full.extend(args);
        full.extend(["--", "true"]);
        assert_eq!(usage_error(&full), expected);
    }
}

#[test]
fn a_missing_program_is_a_usage_error() {
    assert_eq!(
        usage_error(&["run", "--read", "/usr"]),
        "sandlock: the following required arguments were not provided: <PROGRAM>...; see sandlock --help"
    );
    assert!(usage_error(&[]).starts_with("sandlock: a subcommand is required"));
}

#[test]
fn a_bad_policy_file_names_the_file_the_line_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    fs::write(&file, "read = [\"/usr\"]\nmemory = \"lots\"\n").unwrap();
    assert_eq!(
        usage_error(&["run", "--policy", path(&file), "--", "true"]),
        format!("sandlock: --policy {}: line 2: memory = \"lots\": lots: not a size (use e.g. 256M, 1G)", path(&file))
    );
    fs::write(&file, "read = [\"usr\"]\n").unwrap();
    assert!(usage_error(&["policy", "print", "--policy", path(&file)]).ends_with("usr: must be an absolute path"));
    let missing = dir.path().join("missing.toml");
    assert_eq!(
        usage_error(&["run", "--policy", path(&missing), "--", "true"]),
        format!("sandlock: --policy {}: path does not exist", path(&missing))
    );
}
