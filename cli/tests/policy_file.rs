//! Policy files: what `policy print` writes, `--policy` reads back, and
//! the sandbox enforces.

mod common;

use std::fs;

use common::{code, ok, path, run, stderr};

#[test]
fn printing_then_reading_back_gives_the_same_policy() {
    let dir = tempfile::tempdir().unwrap();
    // Printing does not validate (a policy may be meant for another
    // machine), so every option can appear at once.
    let options = [
        "--read",
        "/usr",
        "--read",
        path(dir.path()),
        "--write",
        path(dir.path()),
        "--auto-read",
        "--no-std-devices",
        "--private-tmp",
        "--private-shm",
        "--connect",
        "80,443",
        "--bind",
        "8080",
        "--no-ipc-scope",
        "--allow-unix-sockets",
        "--allow-netlink",
        "--private-network",
        "--private-ipc",
        "--handler-grace",
        "500ms",
        "--deny-syscall",
        "uname",
        "--allow-syscall",
        "read,write",
        "--timeout",
        "90s",
        "--memory",
        "1536M",
        "--max-processes",
        "16",
        "--max-open-files",
        "256",
        "--max-output",
        "1M",
        "--user",
        "nobody",
        "--uid",
        "65534",
        "--gid",
        "root",
        "--keep-cap",
        "net_bind_service",
        "--env",
        "LANG=C.UTF-8",
        "--pass-env",
        "HOME",
        "--cwd",
        path(dir.path()),
        "--stdin",
        "null",
        "--best-effort",
    ];
    let mut args = vec!["policy", "print"];
    args.extend(options);
    let printed = ok(&run(&args));
    assert!(printed.contains("timeout = \"1m 30s\"\n"), "{printed}");
    assert!(printed.contains("memory = \"1536M\"\n"), "{printed}");
    assert!(printed.contains("gid = \"root\"\n"), "{printed}");
    assert!(printed.contains("no_std_devices = true\nprivate_tmp = true\n"), "{printed}");
    assert!(printed.contains("private_shm = true\n"), "{printed}");
    let file = dir.path().join("policy.toml");
    fs::write(&file, &printed).unwrap();
    assert_eq!(ok(&run(&["policy", "print", "--policy", path(&file)])), printed);
    // Options on top add to lists and replace single values.
    let more = ok(&run(&["policy", "print", "--policy", path(&file), "--read", "/etc", "--timeout", "5s"]));
    assert!(more.contains(&format!("read = [\"/usr\", \"{}\", \"/etc\"]\n", path(dir.path()))), "{more}");
    assert!(more.contains("timeout = \"5s\"\n"), "{more}");
}

#[test]
fn a_policy_file_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::write(&data, "from the file\n").unwrap();
    let file = dir.path().join("policy.toml");
    fs::write(&file, format!("auto_read = true\nread = [\"{}\"]\n", path(&data))).unwrap();
    let out = run(&["run", "--policy", path(&file), "--", "cat", path(&data)]);
    assert_eq!(ok(&out), "from the file\n");
    fs::write(&file, "auto_read = true\ndeny_syscall = [\"uname\"]\n").unwrap();
    let out = run(&["run", "--policy", path(&file), "--", "cat", path(&data)]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Permission denied"), "{}", stderr(&out));
    let out = run(&["run", "--policy", path(&file), "--", "uname"]);
    assert!(stderr(&out).contains("Operation not permitted"), "{}", stderr(&out));
}
