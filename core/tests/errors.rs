//! Errors that say what to do: each message a user sees, asserted exactly.

mod common;

use common::{policy, sandbox};
use sandlock_core::SandlockError;

#[test]
fn a_named_sandbox_names_its_run_in_every_error() {
    let named = sandbox(policy()).with_name("job-42");
    let err = named.run(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    assert!(matches!(err.inner(), SandlockError::ExecNotFound { program } if program == "/nonexistent/program"));
    let err = named.spawn(&["/nonexistent/program"]).err().unwrap();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    let err = named.run_interactive(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    // Without a name the message is the error's own.
    let err = sandbox(policy()).run(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "program \"/nonexistent/program\" not found");
}
