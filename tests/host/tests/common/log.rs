// SPDX-License-Identifier: GPL-2.0

//! A test backend, defined the way an out-of-tree bus would define its own, that logs every
//! access: which operation, at which address, how wide, with which value. It has 8-, 16- and
//! 32-bit accesses only, and no copies.

#![allow(dead_code)]

use core::marker::PhantomData;
use std::cell::RefCell;

use kernel::io::{IoBackend, IoBase, IoCapable};
use kernel::ptr::KnownSize;

/// One logged access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Access {
    pub(crate) op: &'static str,
    pub(crate) addr: usize,
    pub(crate) width: usize,
    pub(crate) value: u64,
}

thread_local! {
    static LOG: RefCell<Vec<Access>> = const { RefCell::new(Vec::new()) };
}

/// Returns the accesses logged by this thread so far, and forgets them.
pub(crate) fn take_log() -> Vec<Access> {
    LOG.with(|l| l.take())
}

/// A view of the logging backend: a pointer into ordinary memory.
pub(crate) struct Logged<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Logged<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Logged<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Logged<'a, T> {
    type Backend = LogBackend;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

/// Returns a logging view of what `value` borrows.
pub(crate) fn logged<T: ?Sized + kernel::io::ExactSize>(value: &mut T) -> Logged<'_, T> {
    Logged(value, PhantomData)
}

/// Returns a logging view of `ptr`, which must be valid for the view's use.
pub(crate) fn logged_raw<'a, T: ?Sized>(ptr: *mut T) -> Logged<'a, T> {
    Logged(ptr, PhantomData)
}

/// The logging backend.
pub(crate) struct LogBackend;

// SAFETY: A logged view is its pointer: `as_ptr` returns it, `project_view` makes a view of the
// part it is given, and `as_view` returns a view unchanged.
unsafe impl IoBackend for LogBackend {
    type View<'a, T: ?Sized + KnownSize> = Logged<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.0
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Logged(ptr, PhantomData)
    }
}

fn record(op: &'static str, addr: usize, width: usize, value: u64) {
    LOG.with(|l| {
        l.borrow_mut().push(Access {
            op,
            addr,
            width,
            value,
        })
    });
}

macro_rules! logged_widths {
    ($($ty:ty)*) => {$(
        impl IoCapable<$ty> for LogBackend {
            fn io_read(view: Logged<'_, $ty>) -> $ty {
                // SAFETY: Test views are made from unique borrows of live memory.
                let value = unsafe { view.0.read_volatile() };
                record("read", view.0.addr(), size_of::<$ty>(), value.into());
                value
            }

            fn io_write(view: Logged<'_, $ty>, value: $ty) {
                record("write", view.0.addr(), size_of::<$ty>(), value.into());
                // SAFETY: As above.
                unsafe { view.0.write_volatile(value) }
            }
        }
    )*};
}

logged_widths!(u8 u16 u32);
