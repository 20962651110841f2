// SPDX-License-Identifier: GPL-2.0

//! Host stand-in for the kernel crate, carrying the real `kernel::io` sources.
//!
//! The I/O layer under `rust/kernel/io*` is compiled here unchanged, together with the kernel
//! tree's own `ptr` module (for `ptr::project!` and `KnownSize`), on top of minimal versions of
//! the few kernel-crate items it uses:
//!
//! - [`bindings`]: the MMIO accessors and memory copies as volatile operations on RAM;
//! - [`error`]: `Error`, `Result` and the error codes;
//! - [`fmt`]: `HashedPtr`, printing addresses as the kernel does with `no_hash_pointers`;
//! - [`build_assert`]: the build-time assertions, where `build_assert!` panics at runtime as the
//!   kernel's does with `CONFIG_RUST_BUILD_ASSERT_ALLOW=y` (host tests are not optimized, so a
//!   link-time check could not tell failing from unoptimized);
//! - [`prelude`]: the part of the kernel prelude the sources import.
//!
//! The crate is named `kernel`, so the doctests of the I/O sources run here as written.
//!
//! rustfmt cannot format this file: it follows the module declarations into `rust/kernel/io.rs`,
//! whose kernel-only modules are not in this repository. `make format` and the lint stage
//! therefore skip it; the sources it includes are formatted in the kernel tree.

#![no_std]

pub mod bindings;
pub mod build_assert;
pub mod error;
pub mod fmt;
pub mod prelude;

/// Modules taken unchanged from the kernel tree (`upstream` is a symlink to its `rust/kernel`,
/// made by `build.rs`).
#[path = "../upstream"]
mod upstream {
    pub mod ptr;
}

pub use upstream::ptr;

/// The project's own sources, at their kernel paths.
#[path = "../../../rust/kernel"]
mod ours {
    pub mod io;
}

pub use ours::io;
