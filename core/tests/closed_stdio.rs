//! A caller whose standard input is closed still runs sandboxes. Alone in
//! its binary: it closes this process's fd 0.

mod common;

use common::{policy, sandbox};

/// The next fds the caller made took number 0 — the policy's ruleset, a
/// pipe — and the child's setup put its stdin there: every run failed with
/// "applying the Landlock ruleset: File descriptor in bad state".
#[test]
fn runs_work_for_a_caller_whose_stdin_is_closed() {
    // SAFETY: closing this process's stdin, which this test binary does not read.
    assert_eq!(unsafe { libc::close(0) }, 0);
    let sandbox = sandbox(policy());
    let runs = || {
        for _ in 0..3 {
            let out = sandbox.run(&["/bin/sh", "-c", "echo ran; read line; echo $?"]).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "ran\n1\n",
                "stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    runs();
    // And once the supervisor has copied a child's fd (its bind, made on a
    // copy of its socket), when each spawn makes a table of its own.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let binder = common::sandbox(policy().net_bind_tcp([port]));
    assert_eq!(common::probe(&binder, "net", &["bind", &port.to_string()]), "ok\n");
    runs();
}
