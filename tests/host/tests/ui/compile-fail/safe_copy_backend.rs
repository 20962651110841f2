// SPDX-License-Identifier: GPL-2.0

//! The layer's own `unsafe` code relies on what a backend's copies do (a `copy_read` assumes its
//! buffer filled), so implementing a backend is `unsafe`: a safe impl whose copy does nothing
//! would make a safe `copy_read` return uninitialized memory.

use core::marker::PhantomData;

use kernel::io::{IoBackend, IoBase, IoCopyable};
use kernel::ptr::KnownSize;

struct Lazy<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Lazy<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Lazy<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Lazy<'a, T> {
    type Backend = LazyBackend;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

struct LazyBackend;

// SAFETY: A view is its pointer, which `project_view` replaces with the part it is given.
unsafe impl IoBackend for LazyBackend {
    type View<'a, T: ?Sized + KnownSize> = Lazy<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.0
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Lazy(ptr, PhantomData)
    }
}

impl IoCopyable for LazyBackend {
    unsafe fn copy_from_io(_view: Lazy<'_, [u8]>, _buffer: *mut u8) {}

    unsafe fn copy_to_io(_view: Lazy<'_, [u8]>, _buffer: *const u8) {}
}

fn main() {}
