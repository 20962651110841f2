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

use crate::{
    prelude::*,
    ptr::KnownSize, //
};

#[cfg(CONFIG_RUST)]
use super::register::LocatedRegister;
use super::{
    copy::IoCopyable,
    traits::{
        IoBackend,
        IoBase,
        IoCapable,
        IoLoc, //
    },
};

/// The view type of `H`'s backend for a `U`.
type ViewOf<'a, H, U> = <<H as IoBase<'a>>::Backend as IoBackend>::View<'a, U>;

/// Checks an access of `width` bytes with `align` alignment at `offset` within the `size` bytes
/// at `addr`.
///
/// Kept free of generics so that every runtime-checked access shares one copy of it.
#[inline]
fn check_access(addr: usize, size: usize, offset: usize, width: usize, align: usize) -> Result {
    if offset > size || size - offset < width {
        return Err(ERANGE);
    }
    if addr.wrapping_add(offset) % align != 0 {
        return Err(EINVAL);
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
/// Implemented for every [`IoBase`]; see the [module documentation](self) for the two flavours
/// of checks. All methods take the handle by value: views and owner references are `Copy`.
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
    #[inline]
    fn read_val(self) -> Self::Target
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Sized,
    {
        Self::Backend::io_read(self.as_view())
    }

    /// Writes the whole location in one access of its own width.
    #[inline]
    fn write_val(self, value: Self::Target)
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Sized,
    {
        Self::Backend::io_write(self.as_view(), value)
    }

    /// Reads the whole location in one access, reporting a failed bus cycle as an error.
    ///
    /// Only buses that can report failed accesses (PCI configuration space) ever fail; elsewhere
    /// this is [`read_val`](Io::read_val).
    #[inline]
    fn try_read_val(self) -> Result<Self::Target>
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Sized,
    {
        Self::Backend::io_try_read(self.as_view())
    }

    /// Writes the whole location in one access, reporting a failed bus cycle as an error.
    #[inline]
    fn try_write_val(self, value: Self::Target) -> Result
    where
        Self::Backend: IoCapable<Self::Target>,
        Self::Target: Sized,
    {
        Self::Backend::io_try_write(self.as_view(), value)
    }

    /// Reads the whole location with a byte copy (`memcpy_fromio()` on MMIO).
    ///
    /// Unlike [`read_val`](Io::read_val), this works for any plain-data type, but the access
    /// widths are the backend's choice: use it for buffers and descriptors, not for registers.
    #[inline]
    fn copy_read(self) -> Self::Target
    where
        Self::Backend: IoCopyable,
        Self::Target: Sized + FromBytes,
    {
        Self::Backend::copy_read(self.as_view())
    }

    /// Writes the whole location with a byte copy (`memcpy_toio()` on MMIO).
    #[inline]
    fn copy_write(self, value: Self::Target)
    where
        Self::Backend: IoCopyable,
        Self::Target: Sized + IntoBytes,
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
        assert_eq!(self.len(), data.len(), "copy_from_slice: length mismatch");
        // SAFETY: `data` is readable for the view's length, and a shared slice of CPU memory
        // cannot overlap a live view.
        unsafe { Self::Backend::copy_to_io(self.as_view(), data.as_ptr()) }
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
        assert_eq!(self.len(), data.len(), "copy_to_slice: length mismatch");
        // SAFETY: `data` is writable for the view's length, and a unique slice of CPU memory
        // cannot overlap a live view.
        unsafe { Self::Backend::copy_from_io(self.as_view(), data.as_mut_ptr()) }
    }

    /// Copies `data` into a byte location, failing with [`EINVAL`] if the lengths differ.
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
        if self.len() != data.len() {
            return Err(EINVAL);
        }
        self.copy_from_slice(data);
        Ok(())
    }

    /// Copies a byte location into `data`, failing with [`EINVAL`] if the lengths differ.
    #[inline]
    fn try_copy_to_slice(self, data: &mut [u8]) -> Result
    where
        Self: Io<'a, Target = [u8]>,
        Self::Backend: IoCopyable,
    {
        if self.len() != data.len() {
            return Err(EINVAL);
        }
        self.copy_to_slice(data);
        Ok(())
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
        if self.try_copy_from_view(src).is_err() {
            panic!("copy_from_view: length mismatch");
        }
    }

    /// Copies the bytes of `src` into this view as `memmove()` would, failing with [`EINVAL`] if
    /// the lengths differ.
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
        unsafe { Self::Backend::move_io(dst, src) };
        Ok(())
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
    fn try_read<T, L>(self, location: L) -> Result<T>
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let view = checked_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        )?;
        Ok(Self::Backend::io_try_read(view)?.into())
    }

    /// Writes `value` at `location`, checked at runtime.
    ///
    /// Fails with [`ERANGE`] if the access does not fit in the view, with [`EINVAL`] if it is
    /// misaligned, and with the bus's error if the access itself fails.
    #[inline(always)]
    fn try_write<T, L>(self, location: L, value: T) -> Result
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let view = checked_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        )?;
        Self::Backend::io_try_write(view, value.into())
    }

    /// Writes a register value that carries its own location, checked at runtime.
    #[cfg(CONFIG_RUST)]
    #[inline(always)]
    fn try_write_reg<T, L, V>(self, value: V) -> Result
    where
        L: IoLoc<Self::Target, T>,
        V: LocatedRegister<Self::Target, Location = L, Value = T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let (location, value) = value.into_io_op();
        self.try_write(location, value)
    }

    /// Replaces the value at `location` with `f` of it, checked at runtime.
    ///
    /// The read and the write are two separate accesses; nothing makes the pair atomic.
    #[inline(always)]
    fn try_update<T, L, F>(self, location: L, f: F) -> Result
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
        F: FnOnce(T) -> T,
    {
        let view = checked_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        )?;
        let value = f(Self::Backend::io_try_read(view)?.into());
        Self::Backend::io_try_write(view, value.into())
    }

    /// Reads the value at `location`, checked at build time.
    #[inline(always)]
    fn read<T, L>(self, location: L) -> T
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let view = asserted_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        );
        Self::Backend::io_read(view).into()
    }

    /// Writes `value` at `location`, checked at build time.
    #[inline(always)]
    fn write<T, L>(self, location: L, value: T)
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let view = asserted_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        );
        Self::Backend::io_write(view, value.into())
    }

    /// Writes a register value that carries its own location, checked at build time.
    #[cfg(CONFIG_RUST)]
    #[inline(always)]
    fn write_reg<T, L, V>(self, value: V)
    where
        L: IoLoc<Self::Target, T>,
        V: LocatedRegister<Self::Target, Location = L, Value = T>,
        Self::Backend: IoCapable<L::IoType>,
    {
        let (location, value) = value.into_io_op();
        self.write(location, value)
    }

    /// Replaces the value at `location` with `f` of it, checked at build time.
    ///
    /// The read and the write are two separate accesses; nothing makes the pair atomic.
    #[inline(always)]
    fn update<T, L, F>(self, location: L, f: F)
    where
        L: IoLoc<Self::Target, T>,
        Self::Backend: IoCapable<L::IoType>,
        F: FnOnce(T) -> T,
    {
        let view = asserted_view::<Self::Backend, Self::Target, L::IoType>(
            self.as_view(),
            location.offset(),
        );
        let value = f(Self::Backend::io_read(view).into());
        Self::Backend::io_write(view, value.into())
    }
}

// The methods of `Io` are only ever the ones above: implementers of `IoBase` cannot override them,
// which the bounds checks rely on.
impl<'a, H: IoBase<'a>> Io<'a> for H {}

/// Defines a view type that is a typed pointer with a lifetime, together with its backend.
///
/// Generates the view struct (fields `ptr` and `_lifetime`), `Clone` and `Copy`, `Send` and
/// `Sync` for `T: Sync`, [`IoBase`], and the backend marker with its [`IoBackend`] impl, which
/// narrows a view by replacing its pointer. The invoking module documents the invariant of `ptr`,
/// provides the constructors and the capabilities.
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

        // SAFETY: A view behaves like a `&T` that is only accessed through its backend, and a
        // `&T` can be sent to another thread when `T: Sync`.
        unsafe impl<T: ?Sized + Sync> Send for $view<'_, T> {}

        // SAFETY: As for `Send`: sharing the view shares a `&T`-like handle, fine when `T: Sync`.
        unsafe impl<T: ?Sized + Sync> Sync for $view<'_, T> {}

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

        impl $crate::io::IoBackend for $backend {
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
