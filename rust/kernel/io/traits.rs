// SPDX-License-Identifier: GPL-2.0

//! The traits that connect views, backends and locations.
//!
//! - A *backend* ([`IoBackend`]) is a zero-sized type naming one way of reaching memory: MMIO
//!   accessors, PCI configuration cycles, plain loads and stores. It owns the view type and knows
//!   how to narrow a view to a sub-location.
//! - A *capability* ([`IoCapable<T>`]) says that a backend can move a `T` in one access. It is
//!   implemented once per backend and primitive width, which is where each access is
//!   monomorphized: never per region type, size or owner.
//! - A *handle* ([`IoBase`]) is anything that can produce a view: the view itself, or a reference
//!   to an owner such as a PCI BAR. [`Io`](super::Io) adds the accessors to every handle.
//! - A *location* ([`IoLoc`]) names an offset, the width of the access there and the type the
//!   value is converted to.

use crate::{
    prelude::*,
    ptr::KnownSize, //
};

/// A way of accessing memory, and the view type that goes with it.
///
/// A backend is usually a zero-sized marker. It decides which view type carries its locations
/// (`View<'a, T>` for a `T` valid for `'a`) and how a view is narrowed to a part of it. Which
/// accesses the backend supports is stated separately, with [`IoCapable`] and
/// [`IoCopyable`](super::IoCopyable).
///
/// A view's validity is established where it is created: by an `unsafe` constructor whose caller
/// vouches for the location, or by a safe one that takes memory the caller owns
/// (`SysMem::from_mut`). From then on the layer computes every bounds check from
/// [`as_ptr`](Self::as_ptr) and narrows views with [`project_view`](Self::project_view), so its
/// own `unsafe` code relies on both doing exactly what they say; hence the `unsafe` trait.
///
/// # Safety
///
/// An implementation guarantees, for every view `v` of type `Self::View<'a, T>`:
///
/// - `as_ptr(v)` returns the pointer that describes `v`'s location (its address in the backend's
///   address space and, for unsized `T`, metadata for which `KnownSize::size` gives the location's
///   size), the same pointer every time it is called with `v` or a copy of it;
/// - `project_view(v, p)`, called as its own safety section requires, returns a view for which
///   `as_ptr` returns `p`, valid for the accesses of this backend for `'a` wherever `v` was;
/// - `<Self::View<'a, T> as IoBase<'a>>::as_view` returns its input unchanged.
pub unsafe trait IoBackend {
    /// The view type of this backend: a cheap, copyable handle to a `T` valid for `'a`.
    type View<'a, T: ?Sized + KnownSize>: IoBase<'a, Backend = Self, Target = T>;

    /// Returns the pointer that describes `view`: its address and, for unsized `T`, its size.
    ///
    /// The pointer is in the backend's own address space (an I/O address, a configuration space
    /// offset, a kernel virtual address). Callers use it to compute sub-locations and must not
    /// dereference it.
    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T;

    /// Narrows `view` to the location `ptr` within it.
    ///
    /// # Safety
    ///
    /// `ptr` must describe a part of `Self::as_ptr(view)`: it lies entirely within it and is
    /// aligned for `U`.
    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U>;
}

/// A backend that can read and write a `T` in a single access.
///
/// Implemented per backend for each primitive width the bus supports: MMIO has `u8` to `u64`
/// (`u64` on 64-bit kernels), PCI configuration space stops at `u32`. An access of an unsupported
/// width does not compile.
pub trait IoCapable<T>: IoBackend {
    /// Reads the `T` at `view`.
    fn io_read<'a>(view: Self::View<'a, T>) -> T;

    /// Writes `value` to `view`.
    fn io_write<'a>(view: Self::View<'a, T>, value: T);

    /// Reads the `T` at `view`, reporting a failed bus cycle as an error.
    ///
    /// Buses that can report failed accesses (PCI configuration space) override this; the
    /// default never fails.
    #[inline(always)]
    fn io_try_read<'a>(view: Self::View<'a, T>) -> Result<T> {
        Ok(Self::io_read(view))
    }

    /// Writes `value` to `view`, reporting a failed bus cycle as an error.
    ///
    /// See [`io_try_read`](Self::io_try_read).
    #[inline(always)]
    fn io_try_write<'a>(view: Self::View<'a, T>, value: T) -> Result {
        Self::io_write(view, value);
        Ok(())
    }
}

/// Something that yields a view: a view itself, or a reference to an owner of I/O space.
///
/// Implement it on cheap, copyable handles (`&'a Owner`, or a view type) so that every access can
/// take the handle by value. The accessors come from the blanket [`Io`](super::Io) trait.
pub trait IoBase<'a>: Copy {
    /// The backend that performs the accesses.
    type Backend: IoBackend;

    /// The type of the whole location.
    type Target: ?Sized + KnownSize;

    /// Returns the view of the whole location.
    fn as_view(self) -> <Self::Backend as IoBackend>::View<'a, Self::Target>;
}

/// A location to access within a `Base`: its offset, the width of the access there, and the type
/// `T` that the raw value converts from and into.
///
/// Plain offsets (`usize`) are locations of primitive type; the `register!` macro creates typed
/// locations whose `T` is the register and whose `IoType` is its backing primitive. Where each
/// kind of location can be used is decided in `io/locations.rs`.
pub trait IoLoc<Base: ?Sized, T> {
    /// The primitive type of the access performed at [`offset`](IoLoc::offset).
    type IoType: Into<T> + From<T>;

    /// Returns the byte offset of the location within `Base`.
    fn offset(self) -> usize;
}

/// Returns the view of the same location as plain bytes.
#[inline(always)]
pub(crate) fn bytes_of<'a, B: IoBackend + ?Sized, T: ?Sized + KnownSize>(
    view: B::View<'a, T>,
) -> B::View<'a, [u8]> {
    let ptr = B::as_ptr(view);
    let bytes = core::ptr::slice_from_raw_parts_mut(ptr.cast::<u8>(), T::size(ptr));
    // SAFETY: `bytes` covers exactly the location of `view`, and bytes need no alignment.
    unsafe { B::project_view(view, bytes) }
}

/// Narrows a byte view to the `len` bytes at `start`, without checking the range.
///
/// # Safety
///
/// `start + len` must not exceed the size of `view`.
#[inline(always)]
pub(crate) unsafe fn byte_window<'a, B: IoBackend + ?Sized>(
    view: B::View<'a, [u8]>,
    start: usize,
    len: usize,
) -> B::View<'a, [u8]> {
    let base = B::as_ptr(view).cast::<u8>().wrapping_add(start);
    // SAFETY: Per the safety requirement the window lies within `view`; bytes need no alignment.
    unsafe { B::project_view(view, core::ptr::slice_from_raw_parts_mut(base, len)) }
}
