//! Builds the guardian (`src/guardian/program.c`), the small program the
//! library starts beside a host to end its sandboxes once the host is gone.
//! It is embedded in the library and started from a memfd, so it is linked
//! static and without libc: it must run wherever the library runs.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let source = "src/guardian/program.c";
    println!("cargo:rerun-if-changed={source}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("guardian");
    let compiler = cc::Build::new().opt_level_str("s").get_compiler();
    let mut command: Command = compiler.to_command();
    command.args([
        "-nostdlib",
        "-static",
        "-no-pie",
        "-fno-pie",
        "-ffreestanding",
        "-fno-stack-protector",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-Wl,--build-id=none",
        "-s",
        "-o",
    ]);
    command.arg(&out).arg(source);
    let status = command.status().unwrap_or_else(|e| panic!("running the C compiler for {source}: {e}"));
    assert!(status.success(), "compiling {source} failed ({status})");
}
