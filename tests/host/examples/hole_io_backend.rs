// SPDX-License-Identifier: GPL-2.0

//! The hole that makes `IoBackend` an `unsafe trait` here (7.3 has it as a safe one).
//!
//! The layer computes every bounds check from `IoBackend::as_ptr`. In 7.3 a driver may implement
//! `IoBackend` without `unsafe`, and nothing then stops its `as_ptr` from describing more than its
//! view covers: the checks pass for locations outside the view, and a safe `try_read32()` reads
//! beyond it. This probe is that driver, with the one word this layer adds (`unsafe impl`, whose
//! promise it breaks). Run under Miri it must be reported as undefined behaviour
//! (`tests/harness/host-test.sh` checks that it is); the same code with `impl` in place of
//! `unsafe impl` builds on 7.3.

use core::marker::PhantomData;

use kernel::io::{Io, IoBackend, IoBase, IoCapable, MmioRaw};
use kernel::ptr::KnownSize;

/// A view of the driver's own: a pointer and a lifetime.
struct Window<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Window<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Window<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Window<'a, T> {
    type Backend = Stretching;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

/// A backend whose `as_ptr` says a byte view is four times as long as it is.
struct Stretching;

// SAFETY: None: `as_ptr` breaks the promise that it describes the view's location. In 7.3 no
// promise is asked for.
unsafe impl IoBackend for Stretching {
    type View<'a, T: ?Sized + KnownSize> = Window<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        let ptr = view.0;
        let size = T::size(ptr);
        // Only byte views are stretched; a `u32` location is what it says.
        if size_of::<*mut T>() == size_of::<*mut [u8]>() {
            let bytes = core::ptr::slice_from_raw_parts_mut(ptr.cast::<u8>(), size * 4);
            // SAFETY: `T` is unsized with slice metadata here (its pointers are wide), so the
            // bits of a `*mut [u8]` are a `*mut T` of four times the length.
            return unsafe { core::mem::transmute_copy::<*mut [u8], *mut T>(&bytes) };
        }
        ptr
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Window(ptr, PhantomData)
    }
}

impl IoCapable<u32> for Stretching {
    fn io_read(view: Window<'_, u32>) -> u32 {
        // SAFETY: A `u32` view is valid for reads (the constructor below vouched for the whole
        // buffer, and the layer only narrows it): that is the view's invariant.
        unsafe { view.0.read_volatile() }
    }

    fn io_write(view: Window<'_, u32>, value: u32) {
        // SAFETY: As above.
        unsafe { view.0.write_volatile(value) }
    }
}

fn main() {
    let mut words = [0u32; 4];
    let bytes = core::ptr::slice_from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), 16);
    // The driver's constructor, which vouches for the 16 bytes it is given, as `Mmio::from_raw`
    // callers do.
    let io: Window<'_, [u8]> = Window(MmioRaw::from_ptr(bytes).as_ptr(), PhantomData);
    // Checked against the 64 bytes `as_ptr` claims: in bounds. The buffer has 16.
    let value = io.try_read32(48);
    println!("read {value:?} past the end of the buffer");
}
