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

    /// Copies `src` to `dst` as [`move_io`](Self::move_io) does, reporting a failed bus cycle
    /// as an error; on failure, `dst` may be partly written.
    ///
    /// The default carries the bytes through a small stack buffer with
    /// [`try_copy_from_io`](Self::try_copy_from_io) and
    /// [`try_copy_to_io`](Self::try_copy_to_io), stopping at the first failure, so it is right
    /// for every backend; one whose accesses never fail and that moves faster overrides it with
    /// its `move_io`.
    ///
    /// # Safety
    ///
    /// As for [`move_io`](Self::move_io).
    #[inline]
    unsafe fn try_move_io(dst: Self::View<'_, [u8]>, src: Self::View<'_, [u8]>) -> Result {
        // SAFETY: Same requirement.
        unsafe { try_bounce_move::<Self>(dst, src) }
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
    let chunk = |from, to, bounce: *mut u8| {
        // SAFETY: `bounce_chunks` passes two windows of its views, of the length of `bounce`,
        // a local that overlaps neither; it is filled before it is read.
        unsafe {
            B::copy_from_io(from, bounce);
            B::copy_to_io(to, bounce);
        }
        Ok(())
    };
    // SAFETY: Same requirement. The chunks cannot fail, so neither can the walk.
    let moved = unsafe { bounce_chunks::<B>(dst, src, chunk) };
    debug_assert!(moved.is_ok());
}

/// Copies `src` to `dst` as [`bounce_move`] does, with the copies that report a failed bus
/// cycle; stops at the first one, with its error.
///
/// # Safety
///
/// `dst` and `src` have the same size.
pub(crate) unsafe fn try_bounce_move<B: IoCopyable + ?Sized>(
    dst: B::View<'_, [u8]>,
    src: B::View<'_, [u8]>,
) -> Result {
    let chunk = |from, to, bounce: *mut u8| {
        // SAFETY: `bounce_chunks` passes two windows of its views, of the length of `bounce`,
        // a local that overlaps neither; the write only runs once the read has filled it.
        unsafe {
            B::try_copy_from_io(from, bounce)?;
            B::try_copy_to_io(to, bounce)
        }
    };
    // SAFETY: Same requirement.
    unsafe { bounce_chunks::<B>(dst, src, chunk) }
}

/// Walks `src` and `dst` in chunks of at most [`BOUNCE_BYTES`], from the end when the
/// destination lies above the source, and calls `chunk(from, to, buffer)` for each: `from` and
/// `to` the two windows of the chunk, `buffer` a local of exactly their length, which `chunk`
/// must fill from `from` before it writes `to` from it. Stops at the first error.
///
/// # Safety
///
/// `dst` and `src` have the same size.
unsafe fn bounce_chunks<'d, 's, B: IoCopyable + ?Sized>(
    dst: B::View<'d, [u8]>,
    src: B::View<'s, [u8]>,
    mut chunk: impl FnMut(B::View<'s, [u8]>, B::View<'d, [u8]>, *mut u8) -> Result,
) -> Result {
    let len = <[u8]>::size(B::as_ptr(dst));
    let backward = B::as_ptr(dst).addr() > B::as_ptr(src).addr();
    let mut bounce = [MaybeUninit::<u8>::uninit(); BOUNCE_BYTES];
    let mut done = 0;

    while done < len {
        let n = core::cmp::min(BOUNCE_BYTES, len - done);
        let start = if backward { len - done - n } else { done };
        // SAFETY: `start + n <= len`, the size of both views (safety requirement).
        let (from, to) = unsafe {
            (
                byte_window::<B>(src, start, n),
                byte_window::<B>(dst, start, n),
            )
        };
        // `bounce` is a local of at least `n` bytes, so it cannot overlap either view.
        chunk(from, to, bounce.as_mut_ptr().cast())?;
        done += n;
    }
    Ok(())
}
