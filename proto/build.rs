//! Compiles our Fabric `.proto` subset with protox (pure Rust: no system `protoc`) and generates
//! prost messages plus tonic clients and servers.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from("fabric");
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    files.sort();
    // The whole tree too: a new .proto file (or directory) must trigger a rebuild.
    println!("cargo:rerun-if-changed={}", root.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(&root).map(PathBuf::from))
        .collect::<Result<_, _>>()?;
    let fds = protox::compile(&relative, [&root])?;
    tonic_prost_build::configure()
        // `protos.Chaincode/Connect` clashes with the transport `connect` constructor; clients are
        // built with `XClient::new(channel)` instead.
        .build_transport(false)
        // Zero-copy: bytes fields borrow from the received buffer.
        .bytes(".")
        // Deterministic encoding of maps (transient data, decorations, private data).
        .btree_map(".")
        .compile_fds(fds)?;
    Ok(())
}

fn collect(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
