//! Helpers shared by the integration tests: the C probe programs of
//! `tests/programs` (compiled once per test process), policies that grant
//! what they need, and temp dirs that clean up after themselves.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use sandlock_core::{ExitStatus, Policy, PolicyBuilder, RunOutput, Sandbox};

/// What a dynamically linked program and the shell tools need to run.
const SYSTEM_READ_PATHS: [&str; 5] = ["/usr", "/lib", "/lib64", "/bin", "/etc"];

/// The system paths of [`SYSTEM_READ_PATHS`] that exist on this machine.
pub fn system_read_paths() -> Vec<PathBuf> {
    SYSTEM_READ_PATHS.iter().map(PathBuf::from).filter(|p| p.exists()).collect()
}

/// A policy builder that lets the child run system tools and the probes.
pub fn policy() -> PolicyBuilder {
    Policy::builder().fs_read(system_read_paths()).fs_read([programs_dir()])
}

/// The unprivileged uid (and gid) of [`Identity::Nobody`].
pub const NOBODY: u32 = 65534;

/// Who the child runs as. The tests run as root, so by default the child
/// keeps uid 0 (with every capability dropped): it still owns every
/// root-owned host object, which is what many escapes exploit. `Nobody`
/// switches it to an unprivileged uid and gid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Root,
    Nobody,
}

impl Identity {
    pub fn all() -> [Identity; 2] {
        [Identity::Root, Identity::Nobody]
    }

    /// `policy` with this identity's uid and gid (none for `Root`: the
    /// child keeps the caller's).
    pub fn apply(self, policy: PolicyBuilder) -> PolicyBuilder {
        match self {
            Identity::Root => policy,
            Identity::Nobody => policy.uid(NOBODY).gid(NOBODY),
        }
    }

    /// The uid the child runs as.
    pub fn uid(self) -> u32 {
        match self {
            Identity::Root => 0,
            Identity::Nobody => NOBODY,
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uid {}", self.uid())
    }
}

/// A sandbox for `policy` running as `identity`.
pub fn sandbox_as(identity: Identity, policy: PolicyBuilder) -> Sandbox {
    sandbox(identity.apply(policy))
}

/// Directory holding the compiled probes; built on first use.
pub fn programs_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(compile_programs)
}

/// Path of the compiled probe `name` (the stem of its `.c` file).
pub fn program(name: &str) -> PathBuf {
    let path = programs_dir().join(name);
    assert!(path.exists(), "no probe program {name} in tests/programs");
    path
}

/// Compiles every `tests/programs/*.c` into a directory named after a hash
/// of the sources, so that test processes of different source versions
/// never share a binary. Each binary is renamed into place, so a process
/// compiling the same sources at the same time never exposes a partial file.
fn compile_programs() -> PathBuf {
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let mut files: Vec<PathBuf> = fs::read_dir(&source_dir)
        .expect("reading tests/programs")
        .map(|entry| entry.expect("listing tests/programs").path())
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.file_name().hash(&mut hasher);
        fs::read(file).expect("reading a probe source").hash(&mut hasher);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sandlock-programs-{:016x}", hasher.finish()));
    fs::create_dir_all(&dir).expect("creating the programs directory");
    // Children running as an unprivileged uid exec the probes from here,
    // whatever the umask of the build.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("making the programs directory public");
    assert_reachable_by_others(&dir);
    let sources: Vec<&PathBuf> = files.iter().filter(|f| f.extension() == Some(OsStr::new("c"))).collect();
    std::thread::scope(|scope| {
        for source in &sources {
            let dir = &dir;
            scope.spawn(move || compile(source, dir));
        }
    });
    dir
}

fn compile(source: &Path, dir: &Path) {
    let name = source.file_stem().expect("a probe source has a name");
    let staging = dir.join(format!("{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let out = Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-pthread", "-o"])
        .arg(&staging)
        .arg(source)
        .output()
        .expect("running cc");
    assert!(out.status.success(), "cc {} failed:\n{}", source.display(), String::from_utf8_lossy(&out.stderr));
    fs::set_permissions(&staging, fs::Permissions::from_mode(0o755)).expect("making a probe executable by all");
    fs::rename(&staging, dir.join(name)).expect("moving a compiled probe into place");
}

/// Panics unless every directory from `/` to `dir` can be searched by any
/// uid and `dir` itself can be listed: an unprivileged child must reach the
/// probes.
fn assert_reachable_by_others(dir: &Path) {
    for ancestor in dir.ancestors() {
        let mode = fs::metadata(ancestor).expect("reading a programs directory ancestor").permissions().mode();
        assert!(mode & 0o001 != 0, "{} (mode {mode:o}) cannot be searched by uid {NOBODY}", ancestor.display());
    }
    let mode = fs::metadata(dir).expect("reading the programs directory").permissions().mode();
    assert!(mode & 0o005 == 0o005, "{} (mode {mode:o}) cannot be listed by uid {NOBODY}", dir.display());
}

/// Runs the probe `name` with `args` and returns what it printed. The probe
/// must exit 0 without writing to stderr (it reports through stdout).
pub fn probe(sandbox: &Sandbox, name: &str, args: &[&str]) -> String {
    let mut argv = vec![program(name).into_os_string()];
    argv.extend(args.iter().map(|a| a.into()));
    let out = sandbox.run(&argv).unwrap_or_else(|e| panic!("running probe {name} {args:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status, ExitStatus::Exited(0), "probe {name} {args:?} failed; stderr: {stderr}");
    assert_eq!(stderr, "", "probe {name} {args:?} wrote to stderr");
    assert!(!out.timed_out, "probe {name} {args:?} timed out");
    String::from_utf8(out.stdout).expect("probe output is UTF-8")
}

/// What the probe `name` with `args` prints run as a plain process, which
/// shows the kernel's own answer to a call the sandbox refuses.
pub fn probe_unsandboxed(name: &str, args: &[&str]) -> String {
    let out = Command::new(program(name)).args(args).output().unwrap_or_else(|e| panic!("running probe {name}: {e}"));
    assert!(out.status.success(), "probe {name} {args:?} failed unsandboxed: {out:?}");
    String::from_utf8(out.stdout).expect("probe output is UTF-8")
}

/// Puts this process in the state where its fd table may hold copies of
/// sandboxed children's sockets: a child binds through the net built-in,
/// which makes the bind on a copy of its socket (`pidfd_getfd`). From then
/// on every spawn makes the child a table of its own with a keeper thread.
pub fn take_a_copy_of_a_childs_socket() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let binder = sandbox(policy().net_bind_tcp([port]));
    assert_eq!(probe(&binder, "net", &["bind", &port.to_string()]), "ok\n");
}

/// The number a probe printed as its one line `LABEL N`, or a failure
/// naming what it printed instead.
pub fn printed_count(out: &RunOutput, label: &str) -> usize {
    let printed = String::from_utf8_lossy(&out.stdout);
    let number = printed.trim().strip_prefix(label).and_then(|rest| rest.trim().parse().ok());
    number.unwrap_or_else(|| panic!("no `{label} N` in {printed:?} (stderr {})", String::from_utf8_lossy(&out.stderr)))
}

/// A sandbox for `policy`, which must be valid.
pub fn sandbox(policy: PolicyBuilder) -> Sandbox {
    Sandbox::new(policy.build().expect("building the test policy")).expect("creating the sandbox")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Owned by the caller (root), mode 0755 under the usual umask.
    pub fn new() -> TempDir {
        TempDir::under(&std::env::temp_dir())
    }

    /// Like [`TempDir::new_public`], but in the build's own directory, on
    /// the disk the repository is on: the system temp dir may be a tmpfs,
    /// whose reads are copies made at once, never I/O in flight.
    pub fn new_on_disk() -> TempDir {
        let dir = TempDir::under(Path::new(env!("CARGO_TARGET_TMPDIR")));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod 0755 {}: {e}", dir.path().display()));
        dir
    }

    fn under(base: &Path) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("sandlock-test-{}-{n}", std::process::id()));
        fs::create_dir(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir(path)
    }

    /// Mode 0777 (not sticky), so that a child of any uid may create and
    /// remove entries: only the sandbox, not file permissions, decides.
    pub fn new_shared() -> TempDir {
        let dir = TempDir::new();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777))
            .unwrap_or_else(|e| panic!("chmod 0777 {}: {e}", dir.path().display()));
        dir
    }

    /// Mode 0755 whatever the umask: any uid may look up and list entries.
    pub fn new_public() -> TempDir {
        let dir = TempDir::new();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod 0755 {}: {e}", dir.path().display()));
        dir
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` in this directory, as a probe argument.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).into_os_string().into_string().expect("temp paths are UTF-8")
    }

    /// Writes `contents` to `name` with exactly `mode` (the umask does not
    /// apply) and returns its path.
    pub fn file_with_mode(&self, name: &str, contents: &str, mode: u32) -> String {
        let path = self.file(name);
        fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap_or_else(|e| panic!("chmod {path}: {e}"));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Set in a test process that [`as_unprivileged_caller`] started.
const UNPRIVILEGED_RERUN: &str = "SANDLOCK_TEST_UNPRIVILEGED_RERUN";

/// Runs `body` as an unprivileged caller: uid and gid 65534, no
/// capabilities, supplementary groups `groups`. A test process running as
/// root runs the test `test` of its own binary again under `setpriv` (and
/// fails if that run fails); the process started that way, or one that is
/// not root to begin with, runs `body` itself. The body must not use the
/// probes ([`programs_dir`] compiles them as their owner). Without
/// `setpriv` the test is skipped, saying so.
pub fn as_unprivileged_caller(test: &str, groups: &[u32], body: impl FnOnce()) {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if std::env::var_os(UNPRIVILEGED_RERUN).is_some() || !root {
        body();
        return;
    }
    let Some(setpriv) = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipped {test}: setpriv is not installed");
        return;
    };
    let groups = if groups.is_empty() {
        "--clear-groups".to_string()
    } else {
        format!("--groups={}", groups.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
    };
    let out = Command::new(setpriv)
        .args([&format!("--reuid={NOBODY}"), &format!("--regid={NOBODY}"), &groups, "--inh-caps=-all"])
        .arg(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(UNPRIVILEGED_RERUN, "1")
        .current_dir("/")
        .output()
        .expect("running setpriv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} as uid {NOBODY} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies `from` to `to` with `cp`, for a file a test then executes: a
/// process this test process forks while it holds a descriptor open for
/// writing on the file keeps a copy of it until that process execs, and
/// exec of a file open for writing fails with ETXTBSY. `cp` holds the
/// descriptor in a process of its own.
pub fn copy_executable(from: &Path, to: &Path) {
    let status = Command::new("cp").arg(from).arg(to).status().expect("running cp");
    assert!(status.success(), "cp {} {}", from.display(), to.display());
}

/// Writes `contents` to `path` with exactly `mode`, from a shell of its
/// own (see [`copy_executable`]).
pub fn write_executable(path: &Path, contents: &str, mode: u32) {
    let status = Command::new("sh")
        .args(["-c", r#"printf '%s' "$1" > "$0""#])
        .arg(path)
        .arg(contents)
        .status()
        .expect("running sh");
    assert!(status.success(), "writing {}", path.display());
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// What `/proc/<pid>/stat` says of a process: its state letter, its
/// parent's pid and its name; `None` once it is gone.
pub fn stat_of(pid: u32) -> Option<(char, u32, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let mut fields = stat[close + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent, stat[open + 1..close].to_string()))
}

/// True while `pid` runs: neither a zombie nor gone.
pub fn running(pid: u32) -> bool {
    stat_of(pid).is_some_and(|(state, _, _)| state_runs(state))
}

/// A state letter of a process that has not ended.
fn state_runs(state: char) -> bool {
    state != 'Z' && state != 'X'
}

/// A process's children as (pid, state letter, name), from a scan of
/// `/proc` (a task's `children` file may miss children that come and go
/// while it is read).
pub fn children_of(parent: u32) -> Vec<(u32, char, String)> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some((state, _, name)) = stat_of(pid).filter(|&(_, of, _)| of == parent) {
            children.push((pid, state, name));
        }
    }
    children
}

/// The guardians running (not zombies) among `parent`'s children.
pub fn guardians_of(parent: u32) -> Vec<u32> {
    children_of(parent)
        .into_iter()
        .filter(|(_, state, name)| name == "sandlock-guard" && state_runs(*state))
        .map(|(pid, _, _)| pid)
        .collect()
}

/// Pids of this process's children that are zombies, and of those alive —
/// but the guardian's: it leaves the host's children and, in a host that is
/// a subreaper, is adopted back, to run as long as the host.
pub fn children_but_the_guardian() -> (Vec<u32>, Vec<u32>) {
    let (mut zombies, mut alive) = (Vec::new(), Vec::new());
    for (pid, state, name) in children_of(std::process::id()) {
        if name == "sandlock-guard" {
            continue;
        }
        if state == 'Z' {
            zombies.push(pid)
        } else {
            alive.push(pid)
        }
    }
    (zombies, alive)
}

/// A new pseudo-terminal: (master, slave), neither this process's
/// controlling terminal.
pub fn pseudo_terminal() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: each call's result is checked; the fds are owned below.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0, "posix_openpt");
        let master = OwnedFd::from_raw_fd(master);
        assert_eq!(libc::grantpt(master.as_raw_fd()), 0);
        assert_eq!(libc::unlockpt(master.as_raw_fd()), 0);
        let mut name = [0 as libc::c_char; 64];
        assert_eq!(libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()), 0);
        let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(slave >= 0, "opening the pty slave");
        (master, OwnedFd::from_raw_fd(slave))
    }
}
