// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the host tests.

#![allow(dead_code)]

pub(crate) mod log;

use kernel::io::{Mmio, MmioRaw, Region, RegionAlign, SysMem};

/// A buffer aligned to 8 bytes, so that 64-bit accesses and `Align8` regions can be tested
/// without depending on where the stack puts it.
#[repr(C, align(8))]
pub(crate) struct Aligned<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> Aligned<N> {
    pub(crate) fn new() -> Self {
        Self([0; N])
    }

    /// Fills the buffer with a recognisable pattern: byte `i` is `i * 7 + 1`.
    pub(crate) fn patterned() -> Self {
        let mut buf = Self::new();
        for (i, b) in buf.0.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(7).wrapping_add(1);
        }
        buf
    }
}

/// A region view of system memory over `buf`.
pub(crate) fn sys_region<const SIZE: usize, A: RegionAlign>(
    buf: &mut [u8],
) -> SysMem<'_, Region<SIZE, A>> {
    SysMem::try_from_bytes(buf).expect("test buffer is a valid region")
}

/// An MMIO view over ordinary memory: on the host the MMIO accessors are volatile accesses.
pub(crate) fn mmio_of<T: ?Sized>(value: &mut T) -> Mmio<'_, T> {
    // SAFETY: The host's MMIO accessors are volatile loads and stores, for which a unique borrow
    // is a valid location for as long as the view lives.
    unsafe { Mmio::from_raw(MmioRaw::from_ptr(value)) }
}

/// A small deterministic pseudo-random generator (xorshift64*), so the model tests are
/// reproducible.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Number of iterations for randomized tests: fewer under Miri, which is slow.
pub(crate) fn iterations(native: usize) -> usize {
    if cfg!(miri) {
        native / 20 + 1
    } else {
        native
    }
}
