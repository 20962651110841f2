// SPDX-License-Identifier: GPL-2.0

//! 64-bit values as two 32-bit accesses: C's `lo_hi_readq()` and its family.
//!
//! C header: [`include/linux/io-64-nonatomic-lo-hi.h`](srctree/include/linux/io-64-nonatomic-lo-hi.h)
//!
//! Many devices take only 32-bit accesses, and 32-bit kernels have no single 64-bit access at
//! all, so a 64-bit register or descriptor field is read and written as two halves, the low half
//! at the lower address, in the order the device wants. The two accesses are not atomic
//! together: a value that changes in between tears, which is why the order is the caller's
//! choice.
//!
//! The halves are found three ways:
//!
//! - a `u64` location, or a pair of adjacent `u32`s (`[u32; 2]`): the [`Io`](super::Io) methods
//!   `read_lo_hi()`, `read_hi_lo()`, `write_lo_hi()` and `write_hi_lo()` (a [`SplitU64`]
//!   target);
//! - two `u32` locations of one backend, wherever they are (`base_lo` and `base_hi` fields of a
//!   register block, say, as `lo_hi_readq(&regs->base_lo)` takes them in C): the functions of
//!   this module.
//!
//! # Examples
//!
//! ```
//! use kernel::io::{io_project, split, Io, SysMem};
//!
//! #[repr(C)]
//! struct Regs {
//!     base_lo: u32,
//!     base_hi: u32,
//!     limit: [u32; 2],
//! }
//!
//! let mut regs = Regs { base_lo: 0, base_hi: 0, limit: [0x5566_7788, 0x1122_3344] };
//! let io = SysMem::from_mut(&mut regs);
//! let (lo, hi) = (io_project!(io, .base_lo), io_project!(io, .base_hi));
//! split::write_lo_hi(lo, hi, 0x0123_4567_89ab_cdef);
//! assert_eq!(split::read_hi_lo(lo, hi), 0x0123_4567_89ab_cdef);
//! assert_eq!(io_project!(io, .limit).read_lo_hi(), 0x1122_3344_5566_7788);
//! assert_eq!((regs.base_lo, regs.base_hi), (0x89ab_cdef, 0x0123_4567));
//! ```

use crate::ptr::KnownSize;

use super::traits::{
    IoBackend,
    IoBase,
    IoCapable, //
};

mod sealed {
    pub trait Sealed {}
}

/// A 64-bit location made of two aligned 32-bit halves, the low half at the lower address:
/// `u64`, or a pair of adjacent `u32`s.
///
/// This trait is sealed: `u64` and `[u32; 2]` are its only implementors.
pub trait SplitU64: sealed::Sealed + Sized {}

impl sealed::Sealed for u64 {}
impl sealed::Sealed for [u32; 2] {}
impl SplitU64 for u64 {}
impl SplitU64 for [u32; 2] {}

/// Returns the views of the low half (lower address) and the high half of `view`.
#[inline(always)]
pub(crate) fn halves<'a, B: IoBackend, T: SplitU64 + KnownSize>(
    view: B::View<'a, T>,
) -> (B::View<'a, u32>, B::View<'a, u32>) {
    let ptr = B::as_ptr(view).cast::<u32>();
    // SAFETY: A `SplitU64` location holds two aligned `u32`s, at offsets 0 and 4: a `u64` is
    // aligned for `u32` and eight bytes long, a `[u32; 2]` is two of them.
    unsafe {
        (
            B::project_view(view, ptr),
            B::project_view(view, ptr.wrapping_add(1)),
        )
    }
}

/// The value whose halves are `lo` and `hi`.
#[inline(always)]
fn join(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | (u64::from(hi) << 32)
}

/// The low 32 bits of `value`.
#[inline(always)]
fn low(value: u64) -> u32 {
    // CAST: Truncation to the low half is the point.
    value as u32
}

/// The high 32 bits of `value`.
#[inline(always)]
fn high(value: u64) -> u32 {
    // CAST: The shifted value fits.
    (value >> 32) as u32
}

/// Reads the 64-bit value whose halves are at `lo` and `hi`, the low half first
/// (`lo_hi_readq()`).
#[inline]
pub fn read_lo_hi<'a, H>(lo: H, hi: H) -> u64
where
    H: IoBase<'a, Target = u32>,
    H::Backend: IoCapable<u32>,
{
    let lo = H::Backend::io_read(lo.as_view());
    join(lo, H::Backend::io_read(hi.as_view()))
}

/// Reads the 64-bit value whose halves are at `lo` and `hi`, the high half first
/// (`hi_lo_readq()`).
#[inline]
pub fn read_hi_lo<'a, H>(lo: H, hi: H) -> u64
where
    H: IoBase<'a, Target = u32>,
    H::Backend: IoCapable<u32>,
{
    let hi = H::Backend::io_read(hi.as_view());
    join(H::Backend::io_read(lo.as_view()), hi)
}

/// Writes `value` as its halves at `lo` and `hi`, the low half first (`lo_hi_writeq()`).
#[inline]
pub fn write_lo_hi<'a, H>(lo: H, hi: H, value: u64)
where
    H: IoBase<'a, Target = u32>,
    H::Backend: IoCapable<u32>,
{
    H::Backend::io_write(lo.as_view(), low(value));
    H::Backend::io_write(hi.as_view(), high(value));
}

/// Writes `value` as its halves at `lo` and `hi`, the high half first (`hi_lo_writeq()`).
#[inline]
pub fn write_hi_lo<'a, H>(lo: H, hi: H, value: u64)
where
    H: IoBase<'a, Target = u32>,
    H::Backend: IoCapable<u32>,
{
    H::Backend::io_write(hi.as_view(), high(value));
    H::Backend::io_write(lo.as_view(), low(value));
}
