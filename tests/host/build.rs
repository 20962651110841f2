// SPDX-License-Identifier: GPL-2.0

//! Finds the kernel tree whose `rust/kernel/ptr.rs` (with `ptr::project!`) the host crate
//! compiles, and sets the configuration the I/O sources expect.
//!
//! The tree is `$KERNEL_SRC` if set, else the newest one the harness unpacked under `build/src`.
//! Nothing from it is copied into the repository: the generated module points at it.

use std::{env, fs, path::PathBuf};

fn kernel_tree() -> PathBuf {
    println!("cargo::rerun-if-env-changed=KERNEL_SRC");
    if let Some(dir) = env::var_os("KERNEL_SRC") {
        return PathBuf::from(dir);
    }
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../build/src");
    let mut trees: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| {
            panic!(
                "no kernel tree: set KERNEL_SRC or run `make setup` ({}: {e})",
                root.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("rust/kernel/ptr.rs").is_file())
        .collect();
    trees.sort();
    trees
        .pop()
        .expect("no kernel tree under build/src: set KERNEL_SRC or run `make setup`")
}

fn main() {
    let tree = kernel_tree().canonicalize().expect("kernel tree path");
    let kernel = tree.join("rust/kernel");
    assert!(
        kernel.join("ptr.rs").is_file(),
        "{} has no rust/kernel/ptr.rs",
        tree.display()
    );
    println!(
        "cargo::rerun-if-changed={}",
        kernel.join("ptr.rs").display()
    );
    println!(
        "cargo::rerun-if-changed={}",
        kernel.join("ptr/projection.rs").display()
    );

    // `#[path]` needs a literal, so the crate reaches the tree through a git-ignored symlink.
    let link = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("upstream");
    if fs::read_link(&link).ok().as_deref() != Some(kernel.as_path()) {
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&kernel, &link).expect("symlink to the kernel tree");
    }

    // The configuration symbols the I/O sources test. The host is never a kernel build
    // (`CONFIG_RUST`) and has no owners of I/O memory (`CONFIG_HAS_IOMEM`).
    for cfg in [
        "CONFIG_64BIT",
        "CONFIG_RUST",
        "CONFIG_HAS_IOMEM",
        "CONFIG_X86_64",
        "CONFIG_UML",
        "CONFIG_INDIRECT_IOMEM",
        "CONFIG_ARM64",
        "CONFIG_TRACE_MMIO_ACCESS",
        "CONFIG_PCI",
        "CONFIG_RUST_INLINE_HELPERS",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    if config_64bit() {
        println!("cargo::rustc-cfg=CONFIG_64BIT");
    }
}

/// Whether the sources are compiled as for a 64-bit kernel: `IO_HOST_CONFIG_64BIT=y` or `n` says
/// so; by default, as the target's pointer width says. With `n` on a 64-bit host, the sources
/// build as on a 32-bit kernel (no `IoCapable<u64>`, no `readq()`), so that the compile-fail
/// cases of what a 32-bit kernel lacks, and the 32-bit twins of the doctests, build and run
/// here (`tests/harness/host-test.sh`).
fn config_64bit() -> bool {
    println!("cargo::rerun-if-env-changed=IO_HOST_CONFIG_64BIT");
    match env::var("IO_HOST_CONFIG_64BIT").as_deref() {
        Ok("y") => true,
        Ok("n") => false,
        Ok(other) => panic!("IO_HOST_CONFIG_64BIT is `y` or `n`, not `{other}`"),
        Err(_) => env::var("CARGO_CFG_TARGET_POINTER_WIDTH").as_deref() == Ok("64"),
    }
}
