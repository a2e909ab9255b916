use sandlock_core::{Policy, Sandbox};
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(20);
    let p = Policy::builder()
        .fs_read(["/usr", "/lib", "/bin", "/etc", "/lib64"])
        .fs_write([std::env::temp_dir()])
        .net_connect_tcp([443])
        .build()
        .unwrap();
    let sandbox = Sandbox::new(p).unwrap();
    for _ in 0..n {
        let out = sandbox.run(&["/bin/true"]).unwrap();
        assert!(out.status.success());
    }
}
