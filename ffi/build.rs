//! Link the cdylib as `libsandlock.so.1` with the version script that names
//! the `SANDLOCK_1.0` node.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let version_script = manifest_dir.join("sandlock.map");
    println!("cargo:rerun-if-changed=sandlock.map");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsandlock.so.1");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={}", version_script.display());
}
