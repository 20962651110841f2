// SPDX-License-Identifier: GPL-2.0

//! Bus errors reach the caller through every `try_` accessor.
//!
//! PCI configuration space reports failed cycles; QEMU's devices never fail one, so the plumbing
//! is checked here with a test bus whose accesses fail at one address, the way a configuration
//! cycle to a vanished device does: the plain accessors read all ones and drop writes, the `try_`
//! ones return the bus's error.

mod common;

use core::marker::PhantomData;

use common::Aligned;
use kernel::io::{
    io_project, io_try_read, io_try_write, EitherView, Io, IoBackend, IoBase, IoCapable,
    IoCopyable, Region, SysMem, SysMemBackend,
};
use kernel::prelude::*;
use kernel::ptr::KnownSize;

/// A view of the failing bus.
struct Flaky<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Flaky<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Flaky<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Flaky<'a, T> {
    type Backend = FlakyBus;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

/// A bus on which every access touching byte 8 of the buffer fails with `EIO`.
struct FlakyBus;

thread_local! {
    static BAD: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

fn touches_bad<T: ?Sized + KnownSize>(ptr: *mut T) -> bool {
    let bad = BAD.with(|b| b.get());
    (ptr.addr()..ptr.addr() + T::size(ptr)).contains(&bad)
}

// SAFETY: A flaky view is its pointer: `as_ptr` returns it, `project_view` makes a view of the
// part it is given, and `as_view` returns a view unchanged.
unsafe impl IoBackend for FlakyBus {
    type View<'a, T: ?Sized + KnownSize> = Flaky<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.0
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Flaky(ptr, PhantomData)
    }
}

impl IoCapable<u32> for FlakyBus {
    fn io_read(view: Flaky<'_, u32>) -> u32 {
        Self::io_try_read(view).unwrap_or(u32::MAX)
    }

    fn io_write(view: Flaky<'_, u32>, value: u32) {
        let _ = Self::io_try_write(view, value);
    }

    fn io_try_read(view: Flaky<'_, u32>) -> Result<u32> {
        if touches_bad(view.0) {
            return Err(EIO);
        }
        // SAFETY: Test views are made from unique borrows of live memory.
        Ok(unsafe { view.0.read_volatile() })
    }

    fn io_try_write(view: Flaky<'_, u32>, value: u32) -> Result {
        if touches_bad(view.0) {
            return Err(EIO);
        }
        // SAFETY: As above.
        unsafe { view.0.write_volatile(value) };
        Ok(())
    }
}

// SAFETY: The copies touch exactly the view's bytes and as many of `buffer`; `copy_from_io`
// fills all of them, with the copy or with all ones when the bus fails.
unsafe impl IoCopyable for FlakyBus {
    unsafe fn copy_from_io(view: Flaky<'_, [u8]>, buffer: *mut u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        if unsafe { Self::try_copy_from_io(view, buffer) }.is_err() {
            // SAFETY: `buffer` is writable for the view's length.
            unsafe { buffer.write_bytes(0xff, view.0.len()) };
        }
    }

    unsafe fn copy_to_io(view: Flaky<'_, [u8]>, buffer: *const u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        let _ = unsafe { Self::try_copy_to_io(view, buffer) };
    }

    unsafe fn try_copy_from_io(view: Flaky<'_, [u8]>, buffer: *mut u8) -> Result {
        if touches_bad(view.0) {
            return Err(EIO);
        }
        // SAFETY: The view and `buffer` are valid for its length and do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(view.0.cast::<u8>(), buffer, view.0.len()) };
        Ok(())
    }

    unsafe fn try_copy_to_io(view: Flaky<'_, [u8]>, buffer: *const u8) -> Result {
        if touches_bad(view.0) {
            return Err(EIO);
        }
        // SAFETY: As above.
        unsafe { core::ptr::copy_nonoverlapping(buffer, view.0.cast::<u8>(), view.0.len()) };
        Ok(())
    }
}

/// Runs `f` with a failing region view over a patterned 16-byte buffer, whose byte 8 is bad.
fn with_flaky(f: impl FnOnce(Flaky<'_, Region<16>>)) -> [u8; 16] {
    let mut buf = Aligned::<16>::patterned();
    BAD.with(|b| b.set(buf.0.as_ptr().addr() + 8));
    let region = Region::<16>::ptr_try_from_raw_parts_mut(buf.0.as_mut_ptr(), 16).unwrap();
    f(Flaky(region, PhantomData));
    buf.0
}

#[test]
fn try_projection_macros_report_the_bus_error_and_the_range() {
    let after = with_flaky(|io| {
        let words = io.cast::<[u32; 4]>();
        assert_eq!(io_try_read!(words, [try: 2]), Err(EIO));
        assert_eq!(io_try_write!(words, [try: 2], 0), Err(EIO));
        assert_eq!(io_try_read!(words, [try: 4]), Err(ERANGE));
        assert_eq!(io_try_write!(words, [try: 1], 0x5555_5555), Ok(()));
    });
    let mut want = Aligned::<16>::patterned().0;
    want[4..8].copy_from_slice(&0x5555_5555u32.to_ne_bytes());
    assert_eq!(after, want);
}

#[test]
fn try_accessors_report_the_bus_error() {
    let after = with_flaky(|io| {
        assert_eq!(io.try_read32(8), Err(EIO));
        assert_eq!(io.try_write32(1, 8), Err(EIO));
        assert_eq!(io.try_update(8usize, |v: u32| v + 1), Err(EIO));
        assert_eq!(
            io_project!(io.cast::<[u32; 4]>(), [build: 2]).try_read_val(),
            Err(EIO)
        );
        assert_eq!(
            io_project!(io.cast::<[u32; 4]>(), [build: 2]).try_write_val(0),
            Err(EIO)
        );
        // The location checks come first.
        assert_eq!(io.try_read32(6), Err(EINVAL));
        assert_eq!(io.try_read32(16), Err(ERANGE));
        // Elsewhere the bus works.
        let pattern = Aligned::<16>::patterned().0;
        assert_eq!(
            io.try_read32(4),
            Ok(u32::from_ne_bytes(pattern[4..8].try_into().unwrap()))
        );
    });
    assert_eq!(
        after,
        Aligned::<16>::patterned().0,
        "a failed access changed memory"
    );
}

#[test]
fn plain_accessors_read_all_ones_and_drop_writes() {
    let after = with_flaky(|io| {
        assert_eq!(io.read32(8), u32::MAX);
        io.write32(0, 8);
        io.update(8usize, |v: u32| v.wrapping_add(1));
    });
    assert_eq!(after, Aligned::<16>::patterned().0);
}

#[test]
fn try_copies_report_the_bus_error() {
    let after = with_flaky(|io| {
        let bytes = io.as_bytes();
        let mut out = [0u8; 16];
        assert_eq!(bytes.try_copy_to_slice(&mut out), Err(EIO));
        assert_eq!(bytes.try_copy_from_slice(&[0; 16]), Err(EIO));
        assert_eq!(io.cast::<[u8; 16]>().try_copy_read().err(), Some(EIO));
        assert_eq!(io.cast::<[u8; 16]>().try_copy_write([0; 16]), Err(EIO));
        // A length mismatch is found before any access.
        assert_eq!(bytes.try_copy_to_slice(&mut out[..3]), Err(EINVAL));
        let pattern = Aligned::<16>::patterned().0;
        let good = io_project!(bytes, [build: ..8]);
        assert_eq!(good.try_copy_to_slice(&mut out[..8]), Ok(()));
        assert_eq!(out[..8], pattern[..8]);
        assert_eq!(
            io.window::<Region<8>, 0>()
                .cast::<[u8; 8]>()
                .try_copy_read(),
            Ok(pattern[..8].try_into().unwrap())
        );
        // The plain copy reads all ones.
        assert_eq!(io.cast::<[u8; 16]>().copy_read(), [0xff; 16]);
    });
    assert_eq!(after, Aligned::<16>::patterned().0);
}

// A move whose chunk touches the failing byte reports the bus's error; a plain move goes on with
// all ones, as the plain copies do. Before `try_move_io` existed, the `try_` move returned
// `Ok(())` on a failing bus.
#[test]
fn view_to_view_moves_report_the_bus_error() {
    let pattern = Aligned::<16>::patterned().0;
    let after = with_flaky(|io| {
        let bytes = io.as_bytes();
        // Reading byte 8 fails.
        let from_bad = io_project!(bytes, [build: 6..10]);
        assert_eq!(
            io_project!(bytes, [build: 0..4]).try_copy_from_view(from_bad),
            Err(EIO)
        );
        // Writing byte 8 fails.
        let to_bad = io_project!(bytes, [build: 7..11]);
        assert_eq!(
            to_bad.try_copy_from_view(io_project!(bytes, [build: 0..4])),
            Err(EIO)
        );
        // A length mismatch is found first.
        assert_eq!(
            io_project!(bytes, [build: 0..3]).try_copy_from_view(from_bad),
            Err(EINVAL)
        );
    });
    // The failing moves wrote nothing: their first chunk's read or write failed.
    assert_eq!(after, pattern);

    let after = with_flaky(|io| {
        let bytes = io.as_bytes();
        // Away from byte 8 the bus works, with the result of memmove().
        let src = io_project!(bytes, [build: 0..6]);
        assert_eq!(
            io_project!(bytes, [build: 2..8]).try_copy_from_view(src),
            Ok(())
        );
        // The plain move reads a chunk with the failing byte in it as all ones, as the plain
        // copy of this bus does.
        io_project!(bytes, [build: 12..16]).copy_from_view(io_project!(bytes, [build: 6..10]));
    });
    let mut want = pattern;
    want.copy_within(0..6, 2);
    want[12..16].copy_from_slice(&[0xff; 4]);
    assert_eq!(after, want);
}

#[test]
fn either_views_forward_the_bus_error() {
    let mut other = [0u32; 4];
    let after = with_flaky(|io| {
        type Either<'a> = EitherView<'a, FlakyBus, SysMemBackend, [u32; 4]>;
        let left: Either<'_> = EitherView::Left(io.cast());
        assert_eq!(io_project!(left, [build: 2]).try_read_val(), Err(EIO));
        assert_eq!(left.as_bytes().try_copy_to_slice(&mut [0; 16]), Err(EIO));
        let right: Either<'_> = EitherView::Right(SysMem::from_mut(&mut other));
        assert_eq!(io_project!(right, [build: 2]).try_read_val(), Ok(0));
    });
    assert_eq!(after, Aligned::<16>::patterned().0);
}
