// SPDX-License-Identifier: GPL-2.0

//! The copy capability: moving bytes between I/O and memory, and between two I/O views.
//!
//! Primitive accesses ([`IoCapable`](super::IoCapable)) move one value in one bus cycle of a known
//! width. Copies move a run of bytes with whatever access sizes the backend finds fastest, like C's
//! `memcpy_fromio()` and `memcpy_toio()`; they are the way to move whole structures and buffers.

use core::mem::{
    ManuallyDrop,
    MaybeUninit, //
};

use crate::{
    prelude::*,
    ptr::KnownSize, //
};

use super::traits::{
    byte_window,
    bytes_of,
    IoBackend, //
};

/// Size of the stack buffer that carries a view-to-view copy between two I/O locations.
const BOUNCE_BYTES: usize = 256;

/// A backend that can copy runs of bytes between its views and memory.
///
/// A backend implements the two byte copies; whole values and view-to-view moves are built on
/// them and may be overridden where the backend has something faster.
///
/// # Safety
///
/// The provided methods, and the accessors of [`Io`](super::Io), hand these methods buffers of
/// exactly a view's size and then rely on what they did with them. An implementation guarantees:
///
/// - [`copy_from_io`](Self::copy_from_io) writes every one of the view's size bytes of `buffer`
///   and nothing outside them; [`try_copy_from_io`](Self::try_copy_from_io) does the same when it
///   returns `Ok` and writes nothing outside them when it fails;
/// - [`copy_to_io`](Self::copy_to_io) and [`try_copy_to_io`](Self::try_copy_to_io) read nothing
///   of `buffer` beyond the view's size bytes;
/// - no method accesses memory outside the locations of the views it is given, and every access
///   is one the backend's views are valid for.
pub unsafe trait IoCopyable: IoBackend {
    /// Copies the bytes of `view` into `buffer`.
    ///
    /// # Safety
    ///
    /// - `buffer` is valid for writes of as many bytes as `view` has.
    /// - `buffer` does not overlap the location of `view`.
    unsafe fn copy_from_io(view: Self::View<'_, [u8]>, buffer: *mut u8);

    /// Copies bytes from `buffer` into `view`.
    ///
    /// # Safety
    ///
    /// - `buffer` is valid for reads of as many bytes as `view` has.
    /// - `buffer` does not overlap the location of `view`.
    unsafe fn copy_to_io(view: Self::View<'_, [u8]>, buffer: *const u8);

    /// Copies the bytes of `view` into `buffer`, reporting a failed bus cycle as an error.
    ///
    /// Buses that can report failed accesses (PCI configuration space) override this; the
    /// default never fails. On failure, `buffer` may be partly written.
    ///
    /// # Safety
    ///
    /// As for [`copy_from_io`](Self::copy_from_io).
    #[inline]
    unsafe fn try_copy_from_io(view: Self::View<'_, [u8]>, buffer: *mut u8) -> Result {
        // SAFETY: Same requirements.
        unsafe { Self::copy_from_io(view, buffer) };
        Ok(())
    }

    /// Copies bytes from `buffer` into `view`, reporting a failed bus cycle as an error.
    ///
    /// See [`try_copy_from_io`](Self::try_copy_from_io). On failure, `view` may be partly
    /// written.
    ///
    /// # Safety
    ///
    /// As for [`copy_to_io`](Self::copy_to_io).
    #[inline]
    unsafe fn try_copy_to_io(view: Self::View<'_, [u8]>, buffer: *const u8) -> Result {
        // SAFETY: Same requirements.
        unsafe { Self::copy_to_io(view, buffer) };
        Ok(())
    }

    /// Reads the whole value at `view` with a byte copy.
    #[inline]
    fn copy_read<T: FromBytes>(view: Self::View<'_, T>) -> T {
        let mut value = MaybeUninit::<T>::uninit();
        // SAFETY: `value` is a local of exactly the size of the byte view, so it is writable for
        // that many bytes and cannot overlap the I/O location.
        unsafe { Self::copy_from_io(bytes_of::<Self, T>(view), value.as_mut_ptr().cast()) };
        // SAFETY: The copy wrote every byte of `value`, and `T: FromBytes` accepts any bytes.
        unsafe { value.assume_init() }
    }

    /// Writes the whole `value` to `view` with a byte copy.
    ///
    /// `value` is not dropped, as if it had been transmuted into bytes.
    #[inline]
    fn copy_write<T: IntoBytes>(view: Self::View<'_, T>, value: T) {
        let value = ManuallyDrop::new(value);
        let src: *const T = &*value;
        // SAFETY: `src` points to a local of exactly the size of the byte view, initialized in
        // every byte because `T: IntoBytes`, and a local cannot overlap the I/O location.
        unsafe { Self::copy_to_io(bytes_of::<Self, T>(view), src.cast()) };
    }

    /// Copies `src` to `dst` as `memmove()` would: overlapping views end up with the bytes
    /// `src` had before the copy.
    ///
    /// The default carries the bytes through a small stack buffer, walking backwards when the
    /// destination lies above the source.
    ///
    /// # Safety
    ///
    /// `dst` and `src` have the same size.
    #[inline]
    unsafe fn move_io(dst: Self::View<'_, [u8]>, src: Self::View<'_, [u8]>) {
        // SAFETY: Same requirement.
        unsafe { bounce_move::<Self>(dst, src) }
    }

    /// Sets every byte of `view` to `byte`, as `memset_io()` does.
    ///
    /// The default writes a small stack buffer of `byte`s with [`copy_to_io`](Self::copy_to_io).
    #[inline]
    fn fill_io(view: Self::View<'_, [u8]>, byte: u8) {
        let pattern = [byte; BOUNCE_BYTES];
        let len = <[u8]>::size(Self::as_ptr(view));
        let mut done = 0;
        while done < len {
            let n = core::cmp::min(BOUNCE_BYTES, len - done);
            // SAFETY: `done + n <= len`; `pattern` is a local of at least `n` readable bytes, so
            // it cannot overlap the view.
            unsafe { Self::copy_to_io(byte_window::<Self>(view, done, n), pattern.as_ptr()) };
            done += n;
        }
    }
}

/// Copies `src` to `dst` through a small stack buffer, with the result of `memmove()`.
///
/// Each chunk is read completely before any of it is written, and the chunks are visited from
/// the end when the destination lies above the source, so no source byte is overwritten before
/// it has been read.
///
/// # Safety
///
/// `dst` and `src` have the same size.
pub(crate) unsafe fn bounce_move<B: IoCopyable + ?Sized>(
    dst: B::View<'_, [u8]>,
    src: B::View<'_, [u8]>,
) {
    let len = <[u8]>::size(B::as_ptr(dst));
    let backward = B::as_ptr(dst).addr() > B::as_ptr(src).addr();
    let mut bounce = [MaybeUninit::<u8>::uninit(); BOUNCE_BYTES];
    let mut done = 0;

    while done < len {
        let n = core::cmp::min(BOUNCE_BYTES, len - done);
        let start = if backward { len - done - n } else { done };
        // SAFETY: `start + n <= len`, the size of both views (safety requirement). `bounce` is a
        // local of at least `n` bytes, so it cannot overlap either view, and it is fully
        // written by the first copy before the second one reads it.
        unsafe {
            B::copy_from_io(byte_window::<B>(src, start, n), bounce.as_mut_ptr().cast());
            B::copy_to_io(byte_window::<B>(dst, start, n), bounce.as_ptr().cast());
        }
        done += n;
    }
}
