// SPDX-License-Identifier: GPL-2.0

//! A 64-bit access on a backend without `IoCapable<u64>` does not build (PCI configuration
//! space is such a backend; this one is defined here).

use core::marker::PhantomData;

use kernel::io::{Io, IoBackend, IoBase, IoCapable};
use kernel::ptr::KnownSize;

struct Narrow<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Narrow<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Narrow<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Narrow<'a, T> {
    type Backend = NarrowBackend;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

struct NarrowBackend;

// SAFETY: A view is its pointer, which `project_view` replaces with the part it is given.
unsafe impl IoBackend for NarrowBackend {
    type View<'a, T: ?Sized + KnownSize> = Narrow<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.0
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Narrow(ptr, PhantomData)
    }
}

impl IoCapable<u32> for NarrowBackend {
    fn io_read(view: Narrow<'_, u32>) -> u32 {
        // SAFETY: The view below is made from a live local.
        unsafe { view.0.read_volatile() }
    }

    fn io_write(view: Narrow<'_, u32>, value: u32) {
        // SAFETY: As above.
        unsafe { view.0.write_volatile(value) }
    }
}

fn main() {
    let mut wide = 0u64;
    let io = Narrow(&raw mut wide, PhantomData);
    let _ = io.read_val();
}
