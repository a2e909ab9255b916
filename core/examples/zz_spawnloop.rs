use sandlock_core::{Policy, Sandbox};
use std::time::{Duration, Instant};
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(500);
    let mode = std::env::args().nth(2).unwrap_or_default();
    let mut b = Policy::builder()
        .fs_read(["/usr", "/lib", "/bin", "/etc", "/lib64"])
        .fs_write([std::env::temp_dir()])
        .net_connect_tcp([443]);
    if mode != "notimeout" {
        b = b.timeout(Duration::from_secs(30));
    }
    let sandbox = Sandbox::new(b.build().unwrap()).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let mut c = sandbox.spawn(&["/bin/true"]).unwrap();
        c.wait().unwrap();
    }
    let t = start.elapsed() / n as u32;
    let start = Instant::now();
    for _ in 0..n {
        let out = sandbox.run(&["/bin/true"]).unwrap();
        assert!(out.status.success());
    }
    let r = start.elapsed() / n as u32;
    let start = Instant::now();
    for _ in 0..n {
        std::process::Command::new("/bin/true").status().unwrap();
    }
    let f = start.elapsed() / n as u32;
    println!("spawn+wait {:?} run {:?} floor(std Command) {:?}", t, r, f);
}
