// SPDX-License-Identifier: GPL-2.0

//! Typed I/O pointers and dynamically sized regions.
//!
//! An I/O location is described by a raw pointer whose pointee type says what lives there: a
//! `*mut u32` is one 32-bit register, a `*mut Regs` a register block laid out as `struct Regs`,
//! and a `*mut Region<SIZE>` a block of I/O space whose size is only known at runtime. The
//! pointer's metadata carries the runtime size, so the same pointer type serves a 16-byte
//! register window and a 16 MiB BAR.
//!
//! These pointers are never dereferenced: the address may belong to another address space
//! (MMIO, PCI configuration space), and its provenance is irrelevant. Only a backend turns such a
//! pointer into accesses, and only once it is wrapped in a view that vouches for it.

use crate::{
    prelude::*,
    ptr::{
        Alignment,
        KnownSize, //
    },
};

mod sealed {
    pub trait Sealed {}
}

/// The alignment that a [`Region`] guarantees for its base address and its size.
///
/// This trait is sealed: [`Align4`] and [`Align8`] are its only implementors. A region with a
/// larger alignment lets the build-time checks prove wider accesses; see [`Region`].
pub trait RegionAlign: sealed::Sealed + FromBytes + Sized {
    /// The guaranteed alignment, in bytes.
    const ALIGN: Alignment;
}

/// Marker for regions whose base and size are multiples of 4 bytes (the default).
#[repr(C, align(4))]
#[derive(FromBytes)]
pub struct Align4;

/// Marker for regions whose base and size are multiples of 8 bytes.
///
/// Build-time checked 64-bit accesses (`read64`, `write64`, `u64` registers) need it.
#[repr(C, align(8))]
#[derive(FromBytes)]
pub struct Align8;

impl sealed::Sealed for Align4 {}
impl sealed::Sealed for Align8 {}

impl RegionAlign for Align4 {
    const ALIGN: Alignment = Alignment::new::<4>();
}

impl RegionAlign for Align8 {
    const ALIGN: Alignment = Alignment::new::<8>();
}

/// A block of I/O space of runtime size, with no type information about its contents.
///
/// `SIZE` is a lower bound of the size known at build time: accesses at constant offsets below
/// it are checked when the driver is built, everything above it at runtime. `A` is the
/// alignment of both the base address and the size, [`Align4`] unless stated otherwise.
///
/// `Region` is a dynamically sized type; it only ever appears behind a pointer or a view, whose
/// metadata holds the size in bytes.
///
/// # Invariants
///
/// Every valid pointer to a `Region<SIZE, A>` (one created by
/// [`ptr_try_from_raw_parts_mut`](Self::ptr_try_from_raw_parts_mut), or by
/// [`ptr_from_raw_parts_mut`](Self::ptr_from_raw_parts_mut) with arguments that would pass its
/// checks) satisfies:
///
/// - the size is at least `SIZE`;
/// - the base address and the size are multiples of `A::ALIGN`.
#[repr(C)]
#[derive(FromBytes)]
pub struct Region<const SIZE: usize = 0, A: RegionAlign = Align4> {
    _align: [A; 0],
    bytes: [u8],
}

impl<const SIZE: usize, A: RegionAlign> Region<SIZE, A> {
    /// Builds a pointer to the region of `size` bytes at `base`, without checking anything.
    ///
    /// Like every raw pointer constructor this is safe; but the pointer is only valid (and only
    /// worth handing to a view constructor) if `base` and `size` satisfy the type invariants.
    #[inline(always)]
    pub fn ptr_from_raw_parts_mut(base: *mut u8, size: usize) -> *mut Self {
        core::ptr::slice_from_raw_parts_mut(base, size) as *mut Self
    }

    /// Builds a pointer to the region of `size` bytes at `base`, checking the type invariants.
    ///
    /// Fails with [`EINVAL`] if `size` is below `SIZE`, or if `base` or `size` is not a multiple
    /// of the region's alignment.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Align8, Region};
    /// use kernel::prelude::*;
    ///
    /// let base = core::ptr::without_provenance_mut::<u8>(0x1000);
    /// assert!(Region::<16>::ptr_try_from_raw_parts_mut(base, 32).is_ok());
    /// assert_eq!(Region::<64>::ptr_try_from_raw_parts_mut(base, 32), Err(EINVAL));
    /// assert_eq!(Region::<0>::ptr_try_from_raw_parts_mut(base, 30), Err(EINVAL));
    /// assert_eq!(Region::<0, Align8>::ptr_try_from_raw_parts_mut(base, 12), Err(EINVAL));
    /// ```
    #[inline]
    pub fn ptr_try_from_raw_parts_mut(base: *mut u8, size: usize) -> Result<*mut Self> {
        let align = A::ALIGN.as_usize();
        if size < SIZE || base.addr() % align != 0 || size % align != 0 {
            return Err(EINVAL);
        }
        Ok(Self::ptr_from_raw_parts_mut(base, size))
    }
}

/// A [`Region`] type, seen through its parameters: used by the accessors that reinterpret a
/// location as a region ([`Io::try_as_region`](super::Io::try_as_region),
/// [`Io::window`](super::Io::window), ...).
///
/// This trait is sealed: the `Region<SIZE, A>` types are its only implementors.
pub trait RegionShape: sealed::Sealed + KnownSize + FromBytes + IntoBytes {
    /// The size known at build time, `SIZE`.
    const MIN_BYTES: usize;
    /// The alignment of the base and the size, `A::ALIGN`.
    const GRANULE: usize;

    /// Builds a pointer to the region of `size` bytes at `base`, like
    /// [`Region::ptr_from_raw_parts_mut`].
    fn ptr_from_parts(base: *mut u8, size: usize) -> *mut Self;
}

impl<const SIZE: usize, A: RegionAlign> sealed::Sealed for Region<SIZE, A> {}

impl<const SIZE: usize, A: RegionAlign> RegionShape for Region<SIZE, A> {
    const MIN_BYTES: usize = SIZE;
    const GRANULE: usize = A::ALIGN.as_usize();

    #[inline(always)]
    fn ptr_from_parts(base: *mut u8, size: usize) -> *mut Self {
        Self::ptr_from_raw_parts_mut(base, size)
    }
}

impl<const SIZE: usize, A: RegionAlign> KnownSize for Region<SIZE, A> {
    const MIN_SIZE: usize = SIZE;
    const MIN_ALIGN: Alignment = A::ALIGN;

    #[inline(always)]
    fn size(p: *const Self) -> usize {
        (p as *const [u8]).len()
    }
}

// SAFETY: A region is read as plain bytes, all of which are initialized once read from I/O. Its
// size is a multiple of its alignment (type invariant), so `bytes` covers the whole value and
// there is no trailing padding. The derive cannot see that invariant, hence the manual impl.
unsafe impl<const SIZE: usize, A: RegionAlign> IntoBytes for Region<SIZE, A> {
    #[allow(unused)] // Only required by some compiler versions.
    fn only_derive_is_allowed_to_implement_this_trait() {}
}

/// A type whose [`KnownSize`] answers are exact, so that memory safety may rest on them.
///
/// `KnownSize` is a safe trait: a driver can implement it for a dynamically sized type of its
/// own, and nothing stops that impl from claiming a larger size or alignment than the type has.
/// Every bounds check of a view is computed from `KnownSize`, so a view must never be made over
/// such a type from safe code. The safe constructors that turn Rust-owned memory into a view
/// (`SysMem::from_mut`) therefore require this trait instead.
///
/// It holds for every sized type and every slice, whose `KnownSize` impls are the kernel's
/// blanket ones, which no other impl can replace, and for every [`Region`]. A driver that needs a
/// view of a dynamically sized type of its own implements it, vouching for its `KnownSize`.
///
/// # Safety
///
/// For every pointer `p` to a valid `Self`, with the metadata of that value:
///
/// - `Self::size(p)` returns the size of the value in bytes (what `size_of_val` gives for a
///   reference to it), and the same result every time;
/// - `Self::MIN_SIZE` is at most that size;
/// - `Self::MIN_ALIGN` is at most the alignment of the value (`align_of_val`).
pub unsafe trait ExactSize: KnownSize {}

// SAFETY: For a sized `T`, `KnownSize` is the kernel's blanket impl: `size()` and `MIN_SIZE` are
// `size_of::<T>()` and `MIN_ALIGN` is `align_of::<T>()`.
unsafe impl<T> ExactSize for T {}

// SAFETY: For `[T]`, `KnownSize` is the kernel's blanket impl: `size()` is the length times
// `size_of::<T>()`, `MIN_SIZE` is 0 and `MIN_ALIGN` is `align_of::<T>()`, the slice's alignment.
unsafe impl<T> ExactSize for [T] {}

// SAFETY: `size()` is the length of the byte slice that makes up the region, which is its size
// (`_align` is a zero-length array); `MIN_ALIGN` is `A::ALIGN`, the alignment `_align` gives the
// type; a valid region is at least `SIZE = MIN_SIZE` bytes long (type invariant).
unsafe impl<const SIZE: usize, A: RegionAlign> ExactSize for Region<SIZE, A> {}

/// A typed pointer into I/O space: the Rust spelling of C's `T __iomem *`.
///
/// It is only an address (plus, for unsized `T`, a size). Holding one promises nothing about a
/// mapping; a bus or platform owner that knows the mapping is live turns it into a
/// [`Mmio`](super::Mmio) view with [`Mmio::from_raw`](super::Mmio::from_raw).
pub struct MmioRaw<T: ?Sized> {
    // Address in I/O space. Its provenance is never used: the pointer is not dereferenced.
    ptr: *mut T,
}

impl<T: ?Sized> Clone for MmioRaw<T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for MmioRaw<T> {}

// SAFETY: An `MmioRaw` is an address and a size. Neither can be used to access anything without
// an `unsafe` conversion into a view, whose caller vouches for the mapping.
unsafe impl<T: ?Sized> Send for MmioRaw<T> {}

// SAFETY: See the `Send` impl; sharing an address between threads grants no access either.
unsafe impl<T: ?Sized> Sync for MmioRaw<T> {}

impl<T> MmioRaw<T> {
    /// Describes the `T` at I/O address `addr`.
    #[inline]
    pub fn new(addr: usize) -> Self {
        Self {
            ptr: core::ptr::without_provenance_mut(addr),
        }
    }
}

impl<const SIZE: usize, A: RegionAlign> MmioRaw<Region<SIZE, A>> {
    /// Describes the region of `size` bytes at I/O address `addr`.
    ///
    /// Fails with [`EINVAL`] if the region breaks the invariants of [`Region`].
    #[inline]
    pub fn new_region(addr: usize, size: usize) -> Result<Self> {
        let base = core::ptr::without_provenance_mut(addr);
        Ok(Self {
            ptr: Region::ptr_try_from_raw_parts_mut(base, size)?,
        })
    }
}

impl<T: ?Sized> MmioRaw<T> {
    /// Describes the location that `ptr` points to in I/O space.
    ///
    /// Only the address and the metadata of `ptr` are kept; it is never dereferenced.
    #[inline]
    pub fn from_ptr(ptr: *mut T) -> Self {
        Self { ptr }
    }

    /// Returns the typed pointer. It must not be dereferenced.
    #[inline]
    pub fn as_ptr(self) -> *mut T {
        self.ptr
    }
}

impl<T: ?Sized + KnownSize> MmioRaw<T> {
    /// Returns the I/O address of the first byte.
    #[inline]
    pub fn addr(&self) -> usize {
        self.ptr.addr()
    }

    /// Returns the size in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        T::size(self.ptr)
    }
}
