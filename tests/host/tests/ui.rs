// SPDX-License-Identifier: GPL-2.0

//! Compile-fail tests: each case under `ui/compile-fail` (`ui/compile-fail-32bit` where the
//! sources are built as for a 32-bit kernel) must fail to build with the error in its
//! `.stderr`. Refresh the expected output with `TRYBUILD=overwrite` after checking it.
//!
//! The pass cases force a full build rather than `cargo check`: several of the checks are
//! evaluated at monomorphization, which `cargo check` does not reach.

#![cfg(feature = "ui")]

/// The cases of a 64-bit kernel's layer.
#[cfg(CONFIG_64BIT)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/compile-fail/*.rs");
}

/// The cases of a 32-bit kernel's layer (`IO_HOST_CONFIG_64BIT=n`, see `build.rs`): what it has
/// of 64-bit locations (the split forms) builds, and no single 64-bit access does.
#[cfg(not(CONFIG_64BIT))]
#[test]
fn ui_32bit() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass-32bit/*.rs");
    t.compile_fail("tests/ui/compile-fail-32bit/*.rs");
}
