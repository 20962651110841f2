// SPDX-License-Identifier: GPL-2.0

//! The hole that makes `IoCopyable` an `unsafe trait` here (7.3 has it as a safe one).
//!
//! `copy_read()` and the other whole-value copies hand a backend's `copy_from_io` a buffer for
//! the value and then treat it as initialized. In 7.3 a driver may implement `IoCopyable` without
//! `unsafe`, and a `copy_from_io` that writes nothing makes a safe `copy_read()` return
//! uninitialized memory. This probe is that driver, with the one word this layer adds (`unsafe
//! impl`, whose promise it breaks). Run under Miri it must be reported as undefined behaviour
//! (`tests/harness/host-test.sh` checks that it is); the same code with `impl` in place of
//! `unsafe impl` builds on 7.3.

use core::marker::PhantomData;

use kernel::io::{Io, IoBackend, IoBase, IoCopyable};
use kernel::ptr::KnownSize;

/// A view of the driver's own: a pointer and a lifetime.
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

/// A backend whose copies do nothing.
struct LazyBackend;

// SAFETY: A view is its pointer, which `project_view` replaces with the part it is given: this
// part of the promise holds.
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

// SAFETY: None: `copy_from_io` breaks the promise to write every byte of the buffer. In 7.3 no
// promise is asked for.
unsafe impl IoCopyable for LazyBackend {
    unsafe fn copy_from_io(_view: Lazy<'_, [u8]>, _buffer: *mut u8) {}

    unsafe fn copy_to_io(_view: Lazy<'_, [u8]>, _buffer: *const u8) {}
}

fn main() {
    let mut word = 0x1234_5678_9abc_def0u64;
    let io: Lazy<'_, u64> = Lazy(&mut word, PhantomData);
    // A safe call: the value is never written, but returned as a `u64`.
    let value = io.copy_read();
    if value == 0 {
        println!("zero");
    } else {
        println!("read {value:#x}");
    }
}
