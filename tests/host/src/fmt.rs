// SPDX-License-Identifier: GPL-2.0

//! Stand-in for `kernel::fmt`: the pointer formatting the I/O sources use.
//!
//! The kernel's `HashedPtr` prints an address as C's `%p` does, hashed unless the kernel was
//! booted with `no_hash_pointers`. The host has nothing to hide, so this one prints the address
//! itself, as the kernel does with `no_hash_pointers`: `0x` and two hex digits per byte.

pub use core::fmt::{Debug, Error, Formatter, Result, Write};

/// Formats a pointer-like value as the kernel's `%p` does.
pub trait Pointer {
    /// Formats `self` into `f`.
    fn fmt(&self, f: &mut Formatter<'_>) -> Result;
}

/// A pointer formatted as `%p` with `no_hash_pointers`: its address, zero-padded.
pub struct HashedPtr<T: ?Sized>(pub *const T);

impl<T: ?Sized> Pointer for HashedPtr<T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        write!(
            f,
            "{:#0width$x}",
            self.0.cast::<u8>().addr(),
            width = 2 + 2 * size_of::<usize>()
        )
    }
}
