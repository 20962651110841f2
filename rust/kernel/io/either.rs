// SPDX-License-Identifier: GPL-2.0

//! Views that hold one of two backends, chosen at runtime: [`EitherView`], and [`IoSysMap`], the
//! Rust counterpart of C's `struct iosys_map`.
//!
//! C header: [`include/linux/iosys-map.h`](srctree/include/linux/iosys-map.h)
//!
//! Code that must work on both I/O memory and system memory, say a framebuffer helper, can take
//! one view type instead of being generic. Every access first matches on which backend the view
//! holds; a backend capability (a width, copying) is available if both sides have it.

use core::marker::PhantomData;

use crate::{
    prelude::*,
    ptr::KnownSize, //
};

use super::{
    copy::{
        bounce_move,
        try_bounce_move,
        IoCopyable, //
    },
    mmio::{
        Mmio,
        MmioBackend, //
    },
    sysmem::{
        SysMem,
        SysMemBackend, //
    },
    traits::{
        IoBackend,
        IoBase,
        IoCapable, //
    },
};

/// A view of a `T` through either the `L` or the `R` backend.
pub enum EitherView<'a, L: IoBackend, R: IoBackend, T: ?Sized + KnownSize> {
    /// The location is reached through `L`.
    Left(L::View<'a, T>),
    /// The location is reached through `R`.
    Right(R::View<'a, T>),
}

impl<'a, L: IoBackend, R: IoBackend, T: ?Sized + KnownSize> Clone for EitherView<'a, L, R, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<'a, L: IoBackend, R: IoBackend, T: ?Sized + KnownSize> Copy for EitherView<'a, L, R, T> {}

impl<'a, L, R, T> core::fmt::Debug for EitherView<'a, L, R, T>
where
    L: IoBackend,
    R: IoBackend,
    T: ?Sized + KnownSize,
    L::View<'a, T>: core::fmt::Debug,
    R::View<'a, T>: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EitherView::Left(v) => f.debug_tuple("Left").field(v).finish(),
            EitherView::Right(v) => f.debug_tuple("Right").field(v).finish(),
        }
    }
}

impl<'a, L: IoBackend, R: IoBackend, T: ?Sized + KnownSize> IoBase<'a> for EitherView<'a, L, R, T> {
    type Backend = EitherBackend<L, R>;
    type Target = T;

    #[inline]
    fn as_view(self) -> Self {
        self
    }
}

/// The backend of [`EitherView`]: dispatches every operation to `L` or `R`.
pub struct EitherBackend<L, R>(PhantomData<fn() -> (L, R)>);

// SAFETY: Both functions forward to the backend of the side that holds the view, whose
// guarantees hold, and the narrowed view stays on the same side.
unsafe impl<L: IoBackend, R: IoBackend> IoBackend for EitherBackend<L, R> {
    type View<'a, T: ?Sized + KnownSize> = EitherView<'a, L, R, T>;

    #[inline(always)]
    fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
    where
        T: ?Sized + KnownSize,
    {
        match view {
            EitherView::Left(v) => L::as_ptr(v),
            EitherView::Right(v) => R::as_ptr(v),
        }
    }

    #[inline(always)]
    unsafe fn project_view<'a, T, U>(view: Self::View<'a, T>, ptr: *mut U) -> Self::View<'a, U>
    where
        T: ?Sized + KnownSize,
        U: ?Sized + KnownSize,
    {
        match view {
            // SAFETY: `ptr` is a part of the view's location (safety requirement), whichever side
            // holds it.
            EitherView::Left(v) => EitherView::Left(unsafe { L::project_view(v, ptr) }),
            // SAFETY: As above.
            EitherView::Right(v) => EitherView::Right(unsafe { R::project_view(v, ptr) }),
        }
    }
}

impl<T, L: IoCapable<T>, R: IoCapable<T>> IoCapable<T> for EitherBackend<L, R> {
    #[inline]
    fn io_read(view: Self::View<'_, T>) -> T {
        match view {
            EitherView::Left(v) => L::io_read(v),
            EitherView::Right(v) => R::io_read(v),
        }
    }

    #[inline]
    fn io_write(view: Self::View<'_, T>, value: T) {
        match view {
            EitherView::Left(v) => L::io_write(v, value),
            EitherView::Right(v) => R::io_write(v, value),
        }
    }

    #[inline]
    fn io_try_read(view: Self::View<'_, T>) -> Result<T> {
        match view {
            EitherView::Left(v) => L::io_try_read(v),
            EitherView::Right(v) => R::io_try_read(v),
        }
    }

    #[inline]
    fn io_try_write(view: Self::View<'_, T>, value: T) -> Result {
        match view {
            EitherView::Left(v) => L::io_try_write(v, value),
            EitherView::Right(v) => R::io_try_write(v, value),
        }
    }
}

// SAFETY: Every method forwards to the copies of the side that holds each view, except a move
// between two sides, which `bounce_move` performs with those copies and a buffer of its own.
unsafe impl<L: IoCopyable, R: IoCopyable> IoCopyable for EitherBackend<L, R> {
    #[inline]
    unsafe fn copy_from_io(view: Self::View<'_, [u8]>, buffer: *mut u8) {
        match view {
            // SAFETY: The caller's guarantees about `buffer` hold whichever side holds the view.
            EitherView::Left(v) => unsafe { L::copy_from_io(v, buffer) },
            // SAFETY: As above.
            EitherView::Right(v) => unsafe { R::copy_from_io(v, buffer) },
        }
    }

    #[inline]
    unsafe fn copy_to_io(view: Self::View<'_, [u8]>, buffer: *const u8) {
        match view {
            // SAFETY: The caller's guarantees about `buffer` hold whichever side holds the view.
            EitherView::Left(v) => unsafe { L::copy_to_io(v, buffer) },
            // SAFETY: As above.
            EitherView::Right(v) => unsafe { R::copy_to_io(v, buffer) },
        }
    }

    #[inline]
    unsafe fn try_copy_from_io(view: Self::View<'_, [u8]>, buffer: *mut u8) -> Result {
        match view {
            // SAFETY: The caller's guarantees about `buffer` hold whichever side holds the view.
            EitherView::Left(v) => unsafe { L::try_copy_from_io(v, buffer) },
            // SAFETY: As above.
            EitherView::Right(v) => unsafe { R::try_copy_from_io(v, buffer) },
        }
    }

    #[inline]
    unsafe fn try_copy_to_io(view: Self::View<'_, [u8]>, buffer: *const u8) -> Result {
        match view {
            // SAFETY: The caller's guarantees about `buffer` hold whichever side holds the view.
            EitherView::Left(v) => unsafe { L::try_copy_to_io(v, buffer) },
            // SAFETY: As above.
            EitherView::Right(v) => unsafe { R::try_copy_to_io(v, buffer) },
        }
    }

    #[inline]
    fn copy_read<T: FromBytes>(view: Self::View<'_, T>) -> T {
        match view {
            EitherView::Left(v) => L::copy_read(v),
            EitherView::Right(v) => R::copy_read(v),
        }
    }

    #[inline]
    fn copy_write<T: IntoBytes>(view: Self::View<'_, T>, value: T) {
        match view {
            EitherView::Left(v) => L::copy_write(v, value),
            EitherView::Right(v) => R::copy_write(v, value),
        }
    }

    #[inline]
    fn fill_io(view: Self::View<'_, [u8]>, byte: u8) {
        match view {
            EitherView::Left(v) => L::fill_io(v, byte),
            EitherView::Right(v) => R::fill_io(v, byte),
        }
    }

    #[inline]
    unsafe fn move_io(dst: Self::View<'_, [u8]>, src: Self::View<'_, [u8]>) {
        match (dst, src) {
            // SAFETY: Same length (safety requirement), and both on the same side.
            (EitherView::Left(d), EitherView::Left(s)) => unsafe { L::move_io(d, s) },
            // SAFETY: As above.
            (EitherView::Right(d), EitherView::Right(s)) => unsafe { R::move_io(d, s) },
            // Views on different sides hold addresses of different address spaces, which cannot
            // be compared: if both sides map the same memory, the overlap goes undetected and
            // the chunks move in whichever direction their addresses suggest. That can give
            // other bytes than `memmove()` would, but never touches memory outside either view.
            // SAFETY: Same length (safety requirement).
            (dst, src) => unsafe { bounce_move::<Self>(dst, src) },
        }
    }

    #[inline]
    unsafe fn try_move_io(dst: Self::View<'_, [u8]>, src: Self::View<'_, [u8]>) -> Result {
        match (dst, src) {
            // SAFETY: Same length (safety requirement), and both on the same side.
            (EitherView::Left(d), EitherView::Left(s)) => unsafe { L::try_move_io(d, s) },
            // SAFETY: As above.
            (EitherView::Right(d), EitherView::Right(s)) => unsafe { R::try_move_io(d, s) },
            // As in `move_io`, with the copies that report a failed cycle.
            // SAFETY: Same length (safety requirement).
            (dst, src) => unsafe { try_bounce_move::<Self>(dst, src) },
        }
    }
}

/// A view of a `T` in either I/O memory or system memory: the Rust `struct iosys_map`.
///
/// Accesses match on the variant and then behave exactly as on an [`Mmio`] or a [`SysMem`] view.
/// It is built on [`EitherView`]: [`IoSysMapBackend`] converts and forwards to
/// `EitherBackend<MmioBackend, SysMemBackend>`.
///
/// # Examples
///
/// ```
/// use kernel::io::{io_read, io_write, IoSysMap, SysMem};
///
/// fn bump(counters: IoSysMap<'_, [u32; 2]>) {
///     io_write!(counters, [build: 1], io_read!(counters, [build: 1]) + 1);
/// }
///
/// let mut counters = [0u32; 2];
/// let map = IoSysMap::from(SysMem::from_mut(&mut counters));
/// assert!(!map.is_iomem());
/// bump(map);
/// bump(map);
/// assert_eq!(counters, [0, 2]);
/// ```
pub enum IoSysMap<'a, T: ?Sized> {
    /// The location is in I/O memory.
    Io(Mmio<'a, T>),
    /// The location is in system memory.
    Sys(SysMem<'a, T>),
}

impl<T: ?Sized> Clone for IoSysMap<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for IoSysMap<'_, T> {}

impl<T: ?Sized + KnownSize> core::fmt::Debug for IoSysMap<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IoSysMap::Io(v) => f.debug_tuple("IoSysMap::Io").field(v).finish(),
            IoSysMap::Sys(v) => f.debug_tuple("IoSysMap::Sys").field(v).finish(),
        }
    }
}

impl<'a, T: ?Sized> From<Mmio<'a, T>> for IoSysMap<'a, T> {
    #[inline]
    fn from(view: Mmio<'a, T>) -> Self {
        IoSysMap::Io(view)
    }
}

impl<'a, T: ?Sized> From<SysMem<'a, T>> for IoSysMap<'a, T> {
    #[inline]
    fn from(view: SysMem<'a, T>) -> Self {
        IoSysMap::Sys(view)
    }
}

impl<T: ?Sized> IoSysMap<'_, T> {
    /// Returns `true` if the location is in I/O memory, like C's `iosys_map_is_iomem()`.
    #[inline]
    pub fn is_iomem(self) -> bool {
        matches!(self, IoSysMap::Io(_))
    }
}

/// The either-view that an [`IoSysMap`] is built on.
type SysMapEither<'a, T> = EitherView<'a, MmioBackend, SysMemBackend, T>;

impl<'a, T: ?Sized + KnownSize> From<IoSysMap<'a, T>> for SysMapEither<'a, T> {
    #[inline]
    fn from(map: IoSysMap<'a, T>) -> Self {
        match map {
            IoSysMap::Io(v) => EitherView::Left(v),
            IoSysMap::Sys(v) => EitherView::Right(v),
        }
    }
}

impl<'a, T: ?Sized + KnownSize> From<SysMapEither<'a, T>> for IoSysMap<'a, T> {
    #[inline]
    fn from(view: SysMapEither<'a, T>) -> Self {
        match view {
            EitherView::Left(v) => IoSysMap::Io(v),
            EitherView::Right(v) => IoSysMap::Sys(v),
        }
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for IoSysMap<'a, T> {
    type Backend = IoSysMapBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> Self {
        self
    }
}

/// The backend of [`IoSysMap`] views.
pub struct IoSysMapBackend;

/// The generic backend that [`IoSysMapBackend`] forwards to.
type SysMapInner = EitherBackend<MmioBackend, SysMemBackend>;

// SAFETY: Both functions forward to `EitherBackend<MmioBackend, SysMemBackend>` through
// conversions that keep the variant and the view.
unsafe impl IoBackend for IoSysMapBackend {
    type View<'a, T: ?Sized + KnownSize> = IoSysMap<'a, T>;

    #[inline(always)]
    fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
    where
        T: ?Sized + KnownSize,
    {
        SysMapInner::as_ptr(view.into())
    }

    #[inline(always)]
    unsafe fn project_view<'a, T, U>(view: Self::View<'a, T>, ptr: *mut U) -> Self::View<'a, U>
    where
        T: ?Sized + KnownSize,
        U: ?Sized + KnownSize,
    {
        // SAFETY: Forwarded with the caller's guarantee; the conversion keeps the location.
        unsafe { SysMapInner::project_view(view.into(), ptr) }.into()
    }
}

// The bound is 7.3's, which is what `SysMapInner: IoCapable<T>` means: both sides can access a
// `T` in one go.
impl<T> IoCapable<T> for IoSysMapBackend
where
    MmioBackend: IoCapable<T>,
    SysMemBackend: IoCapable<T>,
{
    #[inline]
    fn io_read(view: IoSysMap<'_, T>) -> T {
        SysMapInner::io_read(view.into())
    }

    #[inline]
    fn io_write(view: IoSysMap<'_, T>, value: T) {
        SysMapInner::io_write(view.into(), value)
    }
}

// SAFETY: Every method forwards to `EitherBackend<MmioBackend, SysMemBackend>` with the same
// views.
unsafe impl IoCopyable for IoSysMapBackend {
    #[inline]
    unsafe fn copy_from_io(view: IoSysMap<'_, [u8]>, buffer: *mut u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMapInner::copy_from_io(view.into(), buffer) }
    }

    #[inline]
    unsafe fn copy_to_io(view: IoSysMap<'_, [u8]>, buffer: *const u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMapInner::copy_to_io(view.into(), buffer) }
    }

    #[inline]
    fn copy_read<T: FromBytes>(view: IoSysMap<'_, T>) -> T {
        SysMapInner::copy_read(view.into())
    }

    #[inline]
    fn copy_write<T: IntoBytes>(view: IoSysMap<'_, T>, value: T) {
        SysMapInner::copy_write(view.into(), value)
    }

    #[inline]
    fn fill_io(view: IoSysMap<'_, [u8]>, byte: u8) {
        SysMapInner::fill_io(view.into(), byte)
    }

    #[inline]
    unsafe fn move_io(dst: IoSysMap<'_, [u8]>, src: IoSysMap<'_, [u8]>) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMapInner::move_io(dst.into(), src.into()) }
    }

    #[inline]
    unsafe fn try_move_io(dst: IoSysMap<'_, [u8]>, src: IoSysMap<'_, [u8]>) -> Result {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMapInner::try_move_io(dst.into(), src.into()) }
    }
}
