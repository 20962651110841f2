// SPDX-License-Identifier: GPL-2.0

//! Compile-fail tests: each case under `ui/compile-fail` must fail to build with the error in
//! its `.stderr`. Refresh the expected output with `TRYBUILD=overwrite` after checking it.
//!
//! The pass cases force a full build rather than `cargo check`: several of the checks are
//! evaluated at monomorphization, which `cargo check` does not reach.

#![cfg(feature = "ui")]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/compile-fail/*.rs");
}
