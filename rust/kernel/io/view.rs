// SPDX-License-Identifier: GPL-2.0

//! [`Io`]: everything a driver can do with a view.
//!
//! Every handle that implements [`IoBase`] gets these methods through a blanket impl, so they
//! cannot be overridden and behave the same on every backend. Each method narrows the view to the
//! location it touches, checking the bounds either at build time or at runtime, and then hands the
//! narrowed view to the backend.
//!
//! Accessors come in two flavours:
//!
//! - checked at build time (`read32`, `write`, `update`, ...): the offset must be a constant that
//!   the compiler can prove in bounds and aligned from the view's [`KnownSize`] bounds, or the
//!   driver does not build;
//! - checked at runtime (`try_read32`, `try_write`, ...): out-of-bounds locations fail with
//!   [`ERANGE`], misaligned ones with [`EINVAL`].

use core::mem::{
    ManuallyDrop,
    MaybeUninit, //
};

use crate::{
    fmt::HashedPtr,
    prelude::*,
    ptr::KnownSize, //
};

#[cfg(CONFIG_RUST)]
use super::register::LocatedRegister;
use super::{
    copy::IoCopyable,
    region::RegionShape,
    split::{
        self,
        halves,
        SplitU64, //
    },
    traits::{
        byte_window,
        bytes_of,
        IoBackend,
        IoBase,
        IoCapable,
        IoLoc, //
    },
};

/// The view type of `H`'s backend for a `U`.
type ViewOf<'a, H, U> = <<H as IoBase<'a>>::Backend as IoBackend>::View<'a, U>;

/// The error of an access that does not fit in its view.
///
/// `#[cold]`, like [`misaligned`], so that the compiler branches to the failure: without it,
/// LLVM at `-Os` evaluates both checks and picks the error code with conditional moves, a longer
/// function than 7.3's single-error check (`Documentation/io/performance.rst`).
#[cold]
#[inline]
fn out_of_range() -> Error {
    ERANGE
}

/// The error of an access that is not aligned for its width; see [`out_of_range`].
#[cold]
#[inline]
fn misaligned() -> Error {
    EINVAL
}

/// Checks an access of `width` bytes with `align` alignment at `offset` within the `size` bytes
/// at `addr`.
///
/// Kept free of generics so that every runtime-checked access shares one copy of it.
#[inline]
fn check_access(addr: usize, size: usize, offset: usize, width: usize, align: usize) -> Result {
    if offset > size || size - offset < width {
        return Err(out_of_range());
    }
    if addr.wrapping_add(offset) % align != 0 {
        return Err(misaligned());
    }
    Ok(())
}

/// Narrows `view` to the `U` at `offset`, checking bounds and alignment at runtime.
#[inline(always)]
fn checked_view<'a, B: IoBackend, T: ?Sized + KnownSize, U>(
    view: B::View<'a, T>,
    offset: usize,
) -> Result<B::View<'a, U>> {
    let ptr = B::as_ptr(view);
    check_access(
        ptr.addr(),
        T::size(ptr),
        offset,
        size_of::<U>(),
        align_of::<U>(),
    )?;
    // SAFETY: `check_access` proved that the `U` at `offset` lies within `view` and is aligned.
    Ok(unsafe { B::project_view(view, ptr.cast::<U>().wrapping_byte_add(offset)) })
}

/// Narrows `view` to the `U` at `offset`, proving bounds and alignment at build time.
///
/// The alignment of `U` must not exceed what the target type guarantees for its base, and the
/// offset must fit in the target's minimum size; the offset is usually a constant, so the check
/// folds away.
#[inline(always)]
fn asserted_view<'a, B: IoBackend, T: ?Sized + KnownSize, U>(
    view: B::View<'a, T>,
    offset: usize,
) -> B::View<'a, U> {
    const_assert!(
        align_of::<U>() <= T::MIN_ALIGN.as_usize(),
        "the view's type does not guarantee the alignment this access needs"
    );
    build_assert!(
        offset % align_of::<U>() == 0
            && offset <= T::MIN_SIZE
            && T::MIN_SIZE - offset >= size_of::<U>(),
        "I/O access out of bounds or misaligned"
    );
    let ptr = B::as_ptr(view);
    // SAFETY: The base is aligned for `U` (alignment of `T`), the offset is a multiple of the
    // alignment of `U`, and `offset + size_of::<U>()` is within the minimum size of `T`.
    unsafe { B::project_view(view, ptr.cast::<U>().wrapping_byte_add(offset)) }
}

/// Narrows `view` to the region `R` of `len` bytes at `offset`, checked at runtime; see
/// [`Io::try_window`].
#[inline]
fn region_window<'a, B: IoBackend, T: ?Sized + KnownSize, R: RegionShape + ?Sized>(
    view: B::View<'a, T>,
    offset: usize,
    len: usize,
) -> Result<B::View<'a, R>> {
    let ptr = B::as_ptr(view);
    let size = T::size(ptr);
    if offset > size || size - offset < len {
        return Err(ERANGE);
    }
    if len < R::MIN_BYTES
        || ptr.addr().wrapping_add(offset) % R::GRANULE != 0
        || len % R::GRANULE != 0
    {
        return Err(EINVAL);
    }
    let base = ptr.cast::<u8>().wrapping_add(offset);
    // SAFETY: The window lies within the location, and its base and size are multiples of the
    // region's alignment, as `R`'s invariants require.
    Ok(unsafe { B::project_view(view, R::ptr_from_parts(base, len)) })
}

/// Narrows `io` to the access at `location`, checked at runtime.
#[inline(always)]
fn checked_location<'a, H: Io<'a>, T, L: IoLoc<H::Target, T>>(
    io: H,
    location: L,
) -> Result<ViewOf<'a, H, L::IoType>> {
    checked_view::<H::Backend, H::Target, L::IoType>(io.as_view(), location.offset())
}

/// Narrows `io` to the access at `location`, checked at build time.
#[inline(always)]
fn asserted_location<'a, H: Io<'a>, T, L: IoLoc<H::Target, T>>(
    io: H,
    location: L,
) -> ViewOf<'a, H, L::IoType> {
    asserted_view::<H::Backend, H::Target, L::IoType>(io.as_view(), location.offset())
}

/// Generates the fixed-width offset accessors of [`Io`].
macro_rules! offset_accessors {
    ($($ty:ident: $read:ident $write:ident $try_read:ident $try_write:ident;)*) => {$(
        #[doc = concat!("Reads the `", stringify!($ty), "` at `offset`, checked at build time.")]
        #[inline(always)]
        fn $read(self, offset: usize) -> $ty
        where
            usize: IoLoc<Self::Target, $ty, IoType = $ty>,
            Self::Backend: IoCapable<$ty>,
        {
            self.read(offset)
        }

        #[doc = concat!("Writes the `", stringify!($ty), "` `value` at `offset`, checked at build")]
        /// time.
        #[inline(always)]
        fn $write(self, value: $ty, offset: usize)
        where
            usize: IoLoc<Self::Target, $ty, IoType = $ty>,
            Self::Backend: IoCapable<$ty>,
        {
            self.write(offset, value)
        }

        #[doc = concat!("Reads the `", stringify!($ty), "` at `offset`, checked at runtime.")]
        ///
        /// Fails with [`ERANGE`] if the access does not fit in the view, with [`EINVAL`] if
        /// `offset` is misaligned, and with the bus's error if the access itself fails.
        #[inline(always)]
        fn $try_read(self, offset: usize) -> Result<$ty>
        where
            usize: IoLoc<Self::Target, $ty, IoType = $ty>,
            Self::Backend: IoCapable<$ty>,
        {
            self.try_read(offset)
        }

        #[doc = concat!("Writes the `", stringify!($ty), "` `value` at `offset`, checked at")]
        /// runtime.
        ///
        /// Fails with [`ERANGE`] if the access does not fit in the view, with [`EINVAL`] if
        /// `offset` is misaligned, and with the bus's error if the access itself fails.
        #[inline(always)]
        fn $try_write(self, value: $ty, offset: usize) -> Result
        where
            usize: IoLoc<Self::Target, $ty, IoType = $ty>,
            Self::Backend: IoCapable<$ty>,
        {
            self.try_write(offset, value)
        }
    )*};
}

/// The accessors of every I/O handle.
///
/// Implemented for every [`IoBase`]. Accessors come in two flavours: checked at build time
/// (`read32`, `write`, `update`, ...), where the location must be provably in bounds and aligned
/// from the view's type or the driver does not build; and checked at runtime (`try_read32`,
/// `try_write`, ...), where an out-of-bounds location fails with [`ERANGE`] and a misaligned one
/// with [`EINVAL`]. All methods take the handle by value: views and owner references are `Copy`.
///
/// # Examples
///
/// A [`SysMem`](super::SysMem) view over a local buffer performs real accesses:
///
/// ```
/// use kernel::io::{Io, Region, SysMem};
/// use kernel::prelude::*;
///
/// let mut words = [0u32; 4];
/// let io = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes())?;
///
/// io.write32(0x1234_5678, 4);
/// assert_eq!(io.read32(4), 0x1234_5678);
/// assert_eq!(io.try_read32(16), Err(ERANGE));
/// assert_eq!(io.try_read32(2), Err(EINVAL));
/// io.update(8usize, |v: u16| v | 0x8001);
/// assert_eq!(io.read16(8), 0x8001);
/// # Ok::<(), Error>(())
/// ```
pub trait Io<'a>: IoBase<'a> {
    /// Returns the size of the location in bytes.
    #[inline]
    fn size(self) -> usize {
        KnownSize::size(Self::Backend::as_ptr(self.as_view()))
    }

    /// Returns the number of elements of a slice location.
    #[inline]
    fn len<T>(self) -> usize
    where
        Self: Io<'a, Target = [T]>,
    {
        Self::Backend::as_ptr(self.as_view()).len()
    }

    /// Returns `true` if a slice location has no elements.
    #[inline]
    fn is_empty<T>(self) -> bool
    where
        Self: Io<'a, Target = [T]>,
    {
        self.len() == 0
    }

    /// Reinterprets the start of the location as a `U`, checked at runtime.
    ///
    /// Fails with [`ERANGE`] if a `U` does not fit, and with [`EINVAL`] if the location is not
    /// aligned for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, Io, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut buf = [0u64; 2];
    /// let io = SysMem::from_mut(&mut buf);
    /// assert_eq!(io.try_cast::<[u64; 3]>().err(), Some(ERANGE));
    /// let bytes = io.try_cast::<[u8; 16]>()?;
    /// assert_eq!(io_project!(bytes, [try: 4..12]).try_cast::<u64>().err(), Some(EINVAL));
    /// io.try_cast::<[u16; 8]>()?.copy_write([7; 8]);
    /// assert_eq!(buf, [0x0007_0007_0007_0007; 2]);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_cast<U>(self) -> Result<ViewOf<'a, Self, U>>
    where
        Self::Target: FromBytes + IntoBytes,
        U: FromBytes + IntoBytes,
    {
        checked_view::<Self::Backend, Self::Target, U>(self.as_view(), 0)
    }

    /// Reads the whole location in one access of its own width.
    #[inline(always)]
    fn read_val(self) -> Self::Target
    where
        Self::Target: Sized,
        Self::Backend: IoCapable<Self::Target>,
    {
        Self::Backend::io_read(self.as_view())
    }

    /// Writes the whole location in one access of its own width.
    #[inline(always)]
    fn write_val(self, value: Self::Target)
    where
        Self::Target: Sized,
        Self::Backend: IoCapable<Self::Target>,
    {
        Self::Backend::io_write(self.as_view(), value)
    }

    /// Reads the whole location in one access, reporting a failed bus cycle as an error.
    ///
    /// Only buses that can report failed accesses (PCI configuration space) ever fail; elsewhere
    /// this is [`read_val`](Io::read_val).
    #[inline(always)]
    fn try_read_val(self) -> Result<Self::Target>
    where
        Self::Target: Sized,
        Self::Backend: IoCapable<Self::Target>,
    {
        Self::Backend::io_try_read(self.as_view())
    }

    /// Writes the whole location in one access, reporting a failed bus cycle as an error.
    #[inline(always)]
    fn try_write_val(self, value: Self::Target) -> Result
    where
        Self::Target: Sized,
        Self::Backend: IoCapable<Self::Target>,
    {
        Self::Backend::io_try_write(self.as_view(), value)
    }

    /// Reads the whole location with a byte copy (`memcpy_fromio()` on MMIO).
    ///
    /// Unlike [`read_val`](Io::read_val), this works for any plain-data type, but the access
    /// widths are the backend's choice: use it for buffers and descriptors, not for registers.
    #[inline(always)]
    fn copy_read(self) -> Self::Target
    where
        Self::Target: Sized + FromBytes,
        Self::Backend: IoCopyable,
    {
        Self::Backend::copy_read(self.as_view())
    }

    /// Writes the whole location with a byte copy (`memcpy_toio()` on MMIO).
    #[inline(always)]
    fn copy_write(self, value: Self::Target)
    where
        Self::Target: Sized + IntoBytes,
        Self::Backend: IoCopyable,
    {
        Self::Backend::copy_write(self.as_view(), value)
    }

    /// Copies `data` into a byte location of the same length.
    ///
    /// # Panics
    ///
    /// Panics if the lengths differ; [`try_copy_from_slice`](Io::try_copy_from_slice) returns
    /// an error instead.
    #[inline]
    fn copy_from_slice(self, data: &[u8])
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
    {
        let view = self.as_view();
        assert_eq!(
            Self::Backend::as_ptr(view).len(),
            data.len(),
            "copy_from_slice: length mismatch"
        );
        // SAFETY: `data` is readable for the length of `view`, the view that is copied to, and a
        // shared slice of CPU memory cannot overlap a live view.
        unsafe { Self::Backend::copy_to_io(view, data.as_ptr()) }
    }

    /// Copies a byte location into `data` of the same length.
    ///
    /// # Panics
    ///
    /// Panics if the lengths differ; [`try_copy_to_slice`](Io::try_copy_to_slice) returns an
    /// error instead.
    #[inline]
    fn copy_to_slice(self, data: &mut [u8])
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
    {
        let view = self.as_view();
        assert_eq!(
            Self::Backend::as_ptr(view).len(),
            data.len(),
            "copy_to_slice: length mismatch"
        );
        // SAFETY: `data` is writable for the length of `view`, the view that is copied from, and
        // a unique slice of CPU memory cannot overlap a live view.
        unsafe { Self::Backend::copy_from_io(view, data.as_mut_ptr()) }
    }

    /// Reads the whole location with a byte copy, reporting a failed bus cycle as an error.
    ///
    /// Only buses that can report failed accesses (PCI configuration space) ever fail; elsewhere
    /// this is [`copy_read`](Io::copy_read).
    #[inline]
    fn try_copy_read(self) -> Result<Self::Target>
    where
        Self::Backend: IoCopyable,
        Self::Target: Sized + FromBytes,
    {
        let mut value = MaybeUninit::<Self::Target>::uninit();
        let bytes = bytes_of::<Self::Backend, Self::Target>(self.as_view());
        // SAFETY: `value` is a local of exactly the size of the byte view, so it is writable for
        // that many bytes and cannot overlap the location.
        unsafe { Self::Backend::try_copy_from_io(bytes, value.as_mut_ptr().cast())? };
        // SAFETY: The copy succeeded, so it wrote every byte; `Target: FromBytes` accepts any.
        Ok(unsafe { value.assume_init() })
    }

    /// Writes the whole location with a byte copy, reporting a failed bus cycle as an error.
    #[inline]
    fn try_copy_write(self, value: Self::Target) -> Result
    where
        Self::Backend: IoCopyable,
        Self::Target: Sized + IntoBytes,
    {
        let value = ManuallyDrop::new(value);
        let src: *const Self::Target = &*value;
        let bytes = bytes_of::<Self::Backend, Self::Target>(self.as_view());
        // SAFETY: `src` points to a local of exactly the size of the byte view, initialized in
        // every byte because `Target: IntoBytes`, and a local cannot overlap the location.
        unsafe { Self::Backend::try_copy_to_io(bytes, src.cast()) }
    }

    /// Copies `data` into a byte location, failing with [`EINVAL`] if the lengths differ (and
    /// with the bus's error if an access fails).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, Io, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut buf = [0u8; 8];
    /// let io = SysMem::from_mut(&mut buf[..]);
    /// io_project!(io, [try: 2..5]).try_copy_from_slice(b"abc")?;
    /// assert_eq!(io.try_copy_from_slice(b"abc"), Err(EINVAL));
    /// assert_eq!(buf, *b"\0\0abc\0\0\0");
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_copy_from_slice(self, data: &[u8]) -> Result
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
    {
        let view = self.as_view();
        if Self::Backend::as_ptr(view).len() != data.len() {
            return Err(EINVAL);
        }
        // SAFETY: `data` is readable for the length of `view`, the view that is copied to, and a
        // shared slice of CPU memory cannot overlap a live view.
        unsafe { Self::Backend::try_copy_to_io(view, data.as_ptr()) }
    }

    /// Copies a byte location into `data`, failing with [`EINVAL`] if the lengths differ (and
    /// with the bus's error if an access fails).
    #[inline]
    fn try_copy_to_slice(self, data: &mut [u8]) -> Result
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
    {
        let view = self.as_view();
        if Self::Backend::as_ptr(view).len() != data.len() {
            return Err(EINVAL);
        }
        // SAFETY: `data` is writable for the length of `view`, the view that is copied from, and
        // a unique slice of CPU memory cannot overlap a live view.
        unsafe { Self::Backend::try_copy_from_io(view, data.as_mut_ptr()) }
    }

    /// Copies the bytes of `src`, a view of the same backend and length, into this one.
    ///
    /// The result is that of `memmove()`: when the two views overlap, the destination ends up
    /// with the bytes the source had before the copy.
    ///
    /// # Panics
    ///
    /// Panics if the lengths differ; [`try_copy_from_view`](Io::try_copy_from_view) returns an
    /// error instead.
    #[inline]
    fn copy_from_view<'b, S>(self, src: S)
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
        S: IoBase<'b, Backend = Self::Backend, Target = [u8]>,
    {
        let dst = self.as_view();
        let src = src.as_view();
        assert_eq!(
            Self::Backend::as_ptr(dst).len(),
            Self::Backend::as_ptr(src).len(),
            "copy_from_view: length mismatch"
        );
        // SAFETY: The two views have the same length.
        unsafe { Self::Backend::move_io(dst, src) }
    }

    /// Copies the bytes of `src` into this view as `memmove()` would, failing with [`EINVAL`] if
    /// the lengths differ, and with the bus's error if an access fails (on failure the
    /// destination may be partly written).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, Io, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut buf = *b"0123456789";
    /// let io = SysMem::from_mut(&mut buf[..]);
    /// // Overlapping: shift "012345" up by two bytes.
    /// io_project!(io, [try: 2..8]).try_copy_from_view(io_project!(io, [try: 0..6]))?;
    /// assert_eq!(&buf, b"0101234589");
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_copy_from_view<'b, S>(self, src: S) -> Result
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
        S: IoBase<'b, Backend = Self::Backend, Target = [u8]>,
    {
        let dst = self.as_view();
        let src = src.as_view();
        if Self::Backend::as_ptr(dst).len() != Self::Backend::as_ptr(src).len() {
            return Err(EINVAL);
        }
        // SAFETY: The two views have the same length.
        unsafe { Self::Backend::try_move_io(dst, src) }
    }

    /// Sets every byte of the location to `byte` (`memset_io()` on MMIO, `memset()` on system
    /// memory).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, Io, SysMem};
    ///
    /// let mut buf = [1u8; 8];
    /// let io = SysMem::from_mut(&mut buf);
    /// io_project!(io, [build: 2..6]).fill(0xee);
    /// assert_eq!(buf, [1, 1, 0xee, 0xee, 0xee, 0xee, 1, 1]);
    /// ```
    #[inline]
    fn fill(self, byte: u8)
    where
        Self::Backend: IoCopyable,
        Self::Target: FromBytes,
    {
        Self::Backend::fill_io(
            bytes_of::<Self::Backend, Self::Target>(self.as_view()),
            byte,
        )
    }

    /// Returns a view of the location as plain bytes.
    ///
    /// With it, a region or a struct can be copied from and to slices, and windowed with `[try:
    /// a..b]` projections.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u32; 4];
    /// let io = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes())?;
    /// io_project!(io.as_bytes(), [try: 4..8]).copy_from_slice(&7u32.to_ne_bytes());
    /// assert_eq!(io.read32(4), 7);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn as_bytes(self) -> ViewOf<'a, Self, [u8]>
    where
        Self::Target: FromBytes + IntoBytes,
    {
        bytes_of::<Self::Backend, Self::Target>(self.as_view())
    }

    /// Reinterprets the start of the location as a `U`, checked at build time.
    ///
    /// The build fails unless the location's type guarantees at least the size and alignment of
    /// `U`: a [`Region<SIZE>`](super::Region) of a large enough `SIZE`, say. See
    /// [`try_cast`](Io::try_cast) for the runtime-checked form.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_read, Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// #[repr(C)]
    /// #[derive(FromBytes, IntoBytes)]
    /// struct Regs {
    ///     id: u32,
    ///     ctrl: u32,
    /// }
    ///
    /// let mut words = [0x11e8u32, 0, 0, 0];
    /// let bar = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes())?;
    /// let regs = bar.cast::<Regs>(); // a `Region<4>` would not build
    /// assert_eq!(io_read!(regs, .id), 0x11e8);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline(always)]
    fn cast<U>(self) -> ViewOf<'a, Self, U>
    where
        Self::Target: FromBytes + IntoBytes,
        U: FromBytes + IntoBytes,
    {
        const_assert!(
            size_of::<U>() <= <Self::Target as KnownSize>::MIN_SIZE,
            "cast: the location is not known to be large enough"
        );
        const_assert!(
            align_of::<U>() <= <Self::Target as KnownSize>::MIN_ALIGN.as_usize(),
            "cast: the location is not known to be aligned enough"
        );
        let view = self.as_view();
        let ptr = Self::Backend::as_ptr(view);
        // SAFETY: The minimum size and alignment of the target cover a `U` at its start.
        unsafe { Self::Backend::project_view(view, ptr.cast::<U>()) }
    }

    /// Reinterprets the whole location as the region `R`, checked at runtime.
    ///
    /// This is how a region changes its parameters, say to prove 64-bit locations aligned with an
    /// [`Align8`](super::Align8) region. Fails with [`EINVAL`] if the location is not a valid
    /// `R`: smaller than its build-time size, or with an address or size that is not a multiple
    /// of its alignment.
    ///
    /// # Examples
    ///
    /// A 64-bit kernel writes a `u64` at a constant offset of the wider region in one access. A
    /// 32-bit kernel has no 64-bit access: it writes the same location as two 32-bit halves,
    /// through a `u64` cast of an 8-byte window, which only an 8-byte aligned region proves.
    ///
    /// ```
    /// use kernel::io::{Align8, Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u64; 4];
    /// let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes())?;
    /// let wide = io.try_as_region::<Region<32, Align8>>()?;
    /// #[cfg(CONFIG_64BIT)]
    /// wide.write64(0x0123_4567_89ab_cdef, 8);
    /// #[cfg(not(CONFIG_64BIT))]
    /// wide.window::<Region<8, Align8>, 8>().cast::<u64>().write_lo_hi(0x0123_4567_89ab_cdef);
    /// assert_eq!(words[1], 0x0123_4567_89ab_cdef);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_as_region<R: RegionShape + ?Sized>(self) -> Result<ViewOf<'a, Self, R>>
    where
        Self::Target: FromBytes + IntoBytes,
    {
        let view = self.as_view();
        let size = KnownSize::size(Self::Backend::as_ptr(view));
        region_window::<Self::Backend, Self::Target, R>(view, 0, size)
    }

    /// Returns the `len` bytes at `offset` as the region `R`, checked at runtime.
    ///
    /// Fails with [`ERANGE`] if the window does not fit in the location, and with [`EINVAL`] if it
    /// is not a valid `R`: smaller than its build-time size, or with an address or size that is
    /// not a multiple of its alignment.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u32; 8];
    /// let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes())?;
    /// let second_half = io.try_window::<Region<16>>(16, 16)?;
    /// second_half.write32(5, 0);
    /// assert_eq!(io.try_window::<Region<16>>(24, 16).err(), Some(ERANGE));
    /// assert_eq!(io.try_window::<Region<16>>(16, 8).err(), Some(EINVAL));
    /// assert_eq!(io.try_window::<Region<0>>(2, 8).err(), Some(EINVAL));
    /// assert_eq!(words[4], 5);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_window<R: RegionShape + ?Sized>(
        self,
        offset: usize,
        len: usize,
    ) -> Result<ViewOf<'a, Self, R>>
    where
        Self::Target: FromBytes + IntoBytes,
    {
        region_window::<Self::Backend, Self::Target, R>(self.as_view(), offset, len)
    }

    /// Returns the `len` bytes at `offset` as a byte view, checked at runtime.
    ///
    /// Fails with [`ERANGE`] unless the window lies within the location. The check holds for
    /// any `offset` and `len`, such as an offset and a length that a device reported: it never
    /// computes `offset + len`, which could overflow. Bytes need no alignment, so there is no
    /// other error; for a window that must be a [`Region`](super::Region), see
    /// [`try_window`](Io::try_window).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u32; 8];
    /// let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes())?;
    /// io.try_byte_window(5, 3)?.copy_from_slice(&[1, 2, 3]);
    /// assert_eq!(io.try_byte_window(30, 3).err(), Some(ERANGE));
    /// assert_eq!(io.try_byte_window(usize::MAX, 2).err(), Some(ERANGE));
    /// assert_eq!(io.try_byte_window(2, usize::MAX).err(), Some(ERANGE));
    /// assert_eq!(io.try_byte_window(32, 0)?.len(), 0);
    /// assert_eq!(words[1].to_ne_bytes()[1..], [1, 2, 3]);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    fn try_byte_window(self, offset: usize, len: usize) -> Result<ViewOf<'a, Self, [u8]>>
    where
        Self::Target: FromBytes + IntoBytes,
    {
        let bytes = bytes_of::<Self::Backend, Self::Target>(self.as_view());
        let size = Self::Backend::as_ptr(bytes).len();
        if offset > size || size - offset < len {
            return Err(out_of_range());
        }
        // SAFETY: `offset + len <= size`, as just checked without computing the sum.
        Ok(unsafe { byte_window::<Self::Backend>(bytes, offset, len) })
    }

    /// Returns the region `R` at `OFFSET`, `R`'s build-time size long, checked at build time.
    ///
    /// The build fails unless the window fits in the location's build-time size, its offset and
    /// base are aligned for `R`, and `R`'s build-time size is a multiple of its alignment (a
    /// `Region<6>` window of six bytes would not be a valid region).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u32; 8];
    /// let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes())?;
    /// let queue1 = io.window::<Region<8>, 8>();
    /// queue1.write32(3, 4);
    /// assert_eq!(queue1.size(), 8);
    /// assert_eq!(words[3], 3);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline(always)]
    fn window<R: RegionShape + ?Sized, const OFFSET: usize>(self) -> ViewOf<'a, Self, R>
    where
        Self::Target: FromBytes + IntoBytes,
    {
        const_assert!(
            OFFSET <= <Self::Target as KnownSize>::MIN_SIZE
                && <Self::Target as KnownSize>::MIN_SIZE - OFFSET >= R::MIN_BYTES,
            "window: not known to fit in the location"
        );
        const_assert!(
            R::GRANULE <= <Self::Target as KnownSize>::MIN_ALIGN.as_usize()
                && OFFSET % R::GRANULE == 0,
            "window: not known to be aligned for the region"
        );
        const_assert!(
            R::MIN_BYTES % R::GRANULE == 0,
            "window: the region's build-time size is not a multiple of its alignment"
        );
        let view = self.as_view();
        let base = Self::Backend::as_ptr(view)
            .cast::<u8>()
            .wrapping_add(OFFSET);
        // SAFETY: Checked above: the window lies within the location, its base is aligned for the
        // region, and its size `R::MIN_BYTES` is at least `R`'s build-time size and a multiple of
        // its alignment, so it is a valid `R`.
        unsafe { Self::Backend::project_view(view, R::ptr_from_parts(base, R::MIN_BYTES)) }
    }

    /// Reads `buf.len()` values from this one location, as from a FIFO register
    /// (`readsl()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, SysMem};
    ///
    /// let mut fifo = 0x55u16;
    /// let mut out = [0u16; 3];
    /// SysMem::from_mut(&mut fifo).read_fifo(&mut out);
    /// assert_eq!(out, [0x55; 3]);
    /// ```
    #[inline]
    fn read_fifo(self, buf: &mut [Self::Target])
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Sized,
    {
        let view = self.as_view();
        for slot in buf {
            *slot = Self::Backend::io_read(view);
        }
    }

    /// Writes the values of `buf` to this one location in order, as to a FIFO register
    /// (`writesl()`).
    #[inline]
    fn write_fifo(self, buf: &[Self::Target])
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Copy,
    {
        let view = self.as_view();
        for value in buf {
            Self::Backend::io_write(view, *value);
        }
    }

    /// Reads a 64-bit location as two 32-bit reads, the low half (lower address) first, like
    /// C's `lo_hi_readq()`: for buses that only take 32-bit accesses, and for 32-bit kernels.
    ///
    /// The location is a `u64` or a pair of adjacent `u32`s ([`SplitU64`]); for two `u32`
    /// locations anywhere, see [`split`](super::split). The two reads are not atomic together: a
    /// value changing in between tears.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, SysMem};
    ///
    /// let mut counter = 0x1122_3344_5566_7788u64.to_le();
    /// let io = SysMem::from_mut(&mut counter);
    /// if cfg!(target_endian = "little") {
    ///     assert_eq!(io.read_lo_hi(), 0x1122_3344_5566_7788);
    ///     io.write_hi_lo(0xaaaa_bbbb_cccc_dddd);
    ///     assert_eq!(io.read_hi_lo(), 0xaaaa_bbbb_cccc_dddd);
    /// }
    ///
    /// let mut base = [0u32; 2];
    /// SysMem::from_mut(&mut base).write_lo_hi(0x0123_4567_89ab_cdef);
    /// assert_eq!(base, [0x89ab_cdef, 0x0123_4567]);
    /// ```
    #[inline]
    fn read_lo_hi(self) -> u64
    where
        Self::Target: SplitU64,
        Self::Backend: IoCapable<u32>,
    {
        let (lo, hi) = halves::<Self::Backend, Self::Target>(self.as_view());
        split::read_lo_hi(lo, hi)
    }

    /// Reads a 64-bit location as two 32-bit reads, the high half first (`hi_lo_readq()`).
    #[inline]
    fn read_hi_lo(self) -> u64
    where
        Self::Target: SplitU64,
        Self::Backend: IoCapable<u32>,
    {
        let (lo, hi) = halves::<Self::Backend, Self::Target>(self.as_view());
        split::read_hi_lo(lo, hi)
    }

    /// Writes a 64-bit location as two 32-bit writes, the low half first (`lo_hi_writeq()`).
    #[inline]
    fn write_lo_hi(self, value: u64)
    where
        Self::Target: SplitU64,
        Self::Backend: IoCapable<u32>,
    {
        let (lo, hi) = halves::<Self::Backend, Self::Target>(self.as_view());
        split::write_lo_hi(lo, hi, value)
    }

    /// Writes a 64-bit location as two 32-bit writes, the high half first (`hi_lo_writeq()`).
    #[inline]
    fn write_hi_lo(self, value: u64)
    where
        Self::Target: SplitU64,
        Self::Backend: IoCapable<u32>,
    {
        let (lo, hi) = halves::<Self::Backend, Self::Target>(self.as_view());
        split::write_hi_lo(lo, hi, value)
    }

    offset_accessors! {
        u8: read8 write8 try_read8 try_write8;
        u16: read16 write16 try_read16 try_write16;
        u32: read32 write32 try_read32 try_write32;
        u64: read64 write64 try_read64 try_write64;
    }

    /// Reads the value at `location`, checked at runtime.
    ///
    /// Fails with [`ERANGE`] if the access does not fit in the view, with [`EINVAL`] if it is
    /// misaligned, and with the bus's error if the access itself fails.
    #[inline(always)]
    fn try_read<T, L: IoLoc<Self::Target, T>>(self, location: L) -> Result<T>
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        let at = checked_location(self, location)?;
        Ok(Self::Backend::io_try_read(at)?.into())
    }

    /// Writes `value` at `location`, checked at runtime.
    ///
    /// Fails with [`ERANGE`] if the access does not fit in the view, with [`EINVAL`] if it is
    /// misaligned, and with the bus's error if the access itself fails.
    #[inline(always)]
    fn try_write<T, L: IoLoc<Self::Target, T>>(self, location: L, value: T) -> Result
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        let at = checked_location(self, location)?;
        Self::Backend::io_try_write(at, value.into())
    }

    /// Writes a register value that carries its own location, checked at runtime.
    #[cfg(CONFIG_RUST)]
    #[inline(always)]
    fn try_write_reg<T, L: IoLoc<Self::Target, T>, V>(self, register: V) -> Result
    where
        V: LocatedRegister<Self::Target, Value = T, Location = L>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let (at, value) = register.into_io_op();
        self.try_write(at, value)
    }

    /// Replaces the value at `location` with `f` of it, checked at runtime.
    ///
    /// The read and the write are two separate accesses; nothing makes the pair atomic.
    #[inline(always)]
    fn try_update<T, L: IoLoc<Self::Target, T>, F: FnOnce(T) -> T>(
        self,
        location: L,
        f: F,
    ) -> Result
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        let at = checked_location(self, location)?;
        let old = Self::Backend::io_try_read(at)?;
        Self::Backend::io_try_write(at, f(old.into()).into())
    }

    /// Reads the value at `location`, checked at build time.
    #[inline(always)]
    fn read<T, L: IoLoc<Self::Target, T>>(self, location: L) -> T
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        Self::Backend::io_read(asserted_location(self, location)).into()
    }

    /// Writes `value` at `location`, checked at build time.
    #[inline(always)]
    fn write<T, L: IoLoc<Self::Target, T>>(self, location: L, value: T)
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        Self::Backend::io_write(asserted_location(self, location), value.into())
    }

    /// Writes a register value that carries its own location, checked at build time.
    #[cfg(CONFIG_RUST)]
    #[inline(always)]
    fn write_reg<T, L: IoLoc<Self::Target, T>, V>(self, register: V)
    where
        V: LocatedRegister<Self::Target, Value = T, Location = L>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let (at, value) = register.into_io_op();
        self.write(at, value)
    }

    /// Replaces the value at `location` with `f` of it, checked at build time.
    ///
    /// The read and the write are two separate accesses; nothing makes the pair atomic.
    #[inline(always)]
    fn update<T, L: IoLoc<Self::Target, T>, F: FnOnce(T) -> T>(self, location: L, f: F)
    where
        Self::Backend: IoCapable<L::IoType>,
    {
        let at = asserted_location(self, location);
        let old = Self::Backend::io_read(at);
        Self::Backend::io_write(at, f(old.into()).into())
    }
}

// The methods of `Io` are only ever the ones above: implementers of `IoBase` cannot override them,
// which the bounds checks rely on.
impl<'a, H: IoBase<'a>> Io<'a> for H {}

/// Defines a view type that is a typed pointer with a lifetime, together with its backend.
///
/// Generates the view struct (fields `ptr` and `_lifetime`), `Clone` and `Copy`, `Debug`,
/// [`IoBase`], and the backend marker with its [`IoBackend`] impl, which narrows a view by
/// replacing its pointer. The invoking module documents the invariant of `ptr`, provides the
/// constructors and the capabilities, and decides whether the view may cross threads: the raw
/// pointer keeps it `!Send` and `!Sync` unless the module implements them.
macro_rules! pointer_view {
    (
        $(#[$view_meta:meta])*
        pub struct $view:ident;
        $(#[$backend_meta:meta])*
        pub struct $backend:ident;
    ) => {
        $(#[$view_meta])*
        pub struct $view<'a, T: ?Sized> {
            ptr: *mut T,
            _lifetime: ::core::marker::PhantomData<&'a ()>,
        }

        impl<T: ?Sized> Clone for $view<'_, T> {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T: ?Sized> Copy for $view<'_, T> {}

        impl<T: ?Sized + $crate::ptr::KnownSize> ::core::fmt::Debug for $view<'_, T> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                $crate::io::view::fmt_location(f, stringify!($view), self.ptr)
            }
        }

        impl<'a, T: ?Sized + $crate::ptr::KnownSize> $crate::io::IoBase<'a> for $view<'a, T> {
            type Backend = $backend;
            type Target = T;

            #[inline(always)]
            fn as_view(self) -> Self {
                self
            }
        }

        $(#[$backend_meta])*
        pub struct $backend;

        // SAFETY: A view is its pointer: `as_ptr` returns it, `project_view` makes a view of
        // exactly the part it is given, and `as_view` of a view returns it unchanged.
        unsafe impl $crate::io::IoBackend for $backend {
            type View<'a, T: ?Sized + $crate::ptr::KnownSize> = $view<'a, T>;

            #[inline(always)]
            fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
            where
                T: ?Sized + $crate::ptr::KnownSize,
            {
                view.ptr
            }

            #[inline(always)]
            unsafe fn project_view<'a, T, U>(
                _whole: Self::View<'a, T>,
                part: *mut U,
            ) -> Self::View<'a, U>
            where
                T: ?Sized + $crate::ptr::KnownSize,
                U: ?Sized + $crate::ptr::KnownSize,
            {
                // INVARIANT: `part` is an aligned part of the location of `_whole` (safety
                // requirement), so it is valid for the same lifetime.
                $view {
                    ptr: part,
                    _lifetime: ::core::marker::PhantomData,
                }
            }
        }
    };
}

pub(crate) use pointer_view;

/// Formats a view as its kind, address and size, never its contents (reading them would be an
/// access, with side effects on a device): `Mmio { addr: 0x..., size: 0x40 }`.
///
/// The address goes through [`HashedPtr`], as C's `%p` does: hashed unless the kernel was booted
/// with `no_hash_pointers`, so a view in a log does not reveal where kernel memory or a mapping
/// lies.
pub(crate) fn fmt_location<T: ?Sized + KnownSize>(
    f: &mut core::fmt::Formatter<'_>,
    name: &str,
    ptr: *mut T,
) -> core::fmt::Result {
    /// Debug-formats an address as `%p` would print it.
    struct Address(*const u8);

    impl core::fmt::Debug for Address {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            crate::fmt::Pointer::fmt(&HashedPtr(self.0), f)
        }
    }

    f.debug_struct(name)
        .field("addr", &Address(ptr.cast_const().cast()))
        .field("size", &format_args!("{:#x}", T::size(ptr)))
        .finish()
}
