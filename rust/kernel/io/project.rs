// SPDX-License-Identifier: GPL-2.0

//! Projection of views onto their parts: [`io_project!`] (whose documentation gives the path
//! grammar), [`io_read!`] and [`io_write!`], and the helpers their expansions use.

use crate::{
    prelude::*,
    ptr::KnownSize, //
};

use super::traits::{
    IoBackend,
    IoBase, //
};

/// Holds a view while [`io_project!`] computes a place within it.
#[doc(hidden)]
pub struct Projector<'a, B: IoBackend, T: ?Sized + KnownSize>(B::View<'a, T>);

impl<'a, B: IoBackend, T: ?Sized + KnownSize> Projector<'a, B, T> {
    /// Wraps the view of `handle`.
    #[inline(always)]
    pub fn new<H: IoBase<'a, Backend = B, Target = T>>(handle: H) -> Self {
        Self(handle.as_view())
    }

    /// Returns the pointer from which the projected place is computed.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut T {
        B::as_ptr(self.0)
    }

    /// Returns the view of `place`.
    ///
    /// # Safety
    ///
    /// `place` must have been derived from [`as_ptr`](Self::as_ptr) by in-bounds projection.
    #[inline(always)]
    pub unsafe fn project<U: ?Sized + KnownSize>(self, place: *mut U) -> B::View<'a, U> {
        // SAFETY: An in-bounds projection is a part of the view, aligned for `U`.
        unsafe { B::project_view(self.0, place) }
    }
}

/// Carries a constant index into a build-time check of an array projection.
///
/// [`io_project!`] calls [`check`](Self::check) for every `[build: N]` step with a literal `N`:
/// for an array, an inherent method that rejects `N >= LEN` at compile time; for anything else
/// (a slice, whose length is only known to the optimizer), the [`NoConstLen`] fallback that
/// leaves the check to `build_assert!`.
#[doc(hidden)]
pub struct ConstIndex<const I: usize, P>(pub P);

impl<const I: usize, T, const N: usize> ConstIndex<I, *mut [T; N]> {
    /// Fails the build unless `I < N`.
    #[inline(always)]
    pub fn check(&self) {
        const_assert!(I < N, "io_project!: constant index out of bounds");
    }
}

/// Fallback of [`ConstIndex::check`] for places whose length is not a constant.
#[doc(hidden)]
pub trait NoConstLen {
    /// Does nothing: the projection itself checks the index.
    #[inline(always)]
    fn check(&self) {}
}

impl<const I: usize, P> NoConstLen for ConstIndex<I, P> {}

/// Projects a view onto a part of it.
///
/// `io_project!(io, path)` takes a handle (a view, or a reference to an owner) and a projection
/// path, and returns the view of the selected part, of the same backend. The path is written in
/// the grammar of [`kernel::ptr::project!`](crate::ptr::project!):
///
/// - `.field` and `.0` select a field of a struct or tuple (never of a `#[repr(packed)]` one
///   whose field may be misaligned: that does not compile);
/// - `[build: i]` indexes an array or slice, and `[build: a..b]` (or `..b`, `a..`, `..`) takes a
///   sub-slice, proven in bounds at build time: a constant index past the end of an array is a
///   compile error;
/// - `[try: i]` checks at runtime and returns an [`ERANGE`] error through `?`, so the expression
///   uses `?` (where `?` is not available,
///   [`io_try_project!`](crate::io_try_project) returns the `Result`);
/// - `[panic: i]` checks at runtime and panics.
///
/// Indices and the bounds of ranges are `usize`, as for Rust's slices (and as 7.3's grammar
/// has them, so that an unannotated index variable is inferred to be one). Convert another
/// integer type first: a narrower unsigned one with `usize::from(i)`, which cannot fail, a
/// wider or signed one (a `u64` on a 32-bit kernel, an `i32`) with `usize::try_from(i)`, whose
/// error is the caller's to map, never with `as`, which truncates or wraps silently.
///
/// Steps chain: `io_project!(regs, .queues[try: n].doorbell)`. The computation is pure address
/// arithmetic; no access is made.
///
/// # Examples
///
/// ```
/// use kernel::io::{io_project, Io, SysMem};
/// use kernel::prelude::*;
///
/// #[repr(C)]
/// #[derive(Clone, Copy, FromBytes, IntoBytes)]
/// struct Desc {
///     addr: u64,
///     len: u32,
///     flags: u32,
/// }
///
/// let mut ring = [Desc { addr: 0, len: 0, flags: 0 }; 4];
/// let io = SysMem::from_mut(&mut ring);
///
/// let slot = io_project!(io, [build: 3]);
/// slot.copy_write(Desc { addr: 0x1000, len: 64, flags: 1 });
/// io_project!(slot, .flags).write_val(3);
///
/// let n = 7;
/// assert_eq!(
///     (|| -> Result<u32> { Ok(io_project!(io, [try: n].len).read_val()) })(),
///     Err(ERANGE)
/// );
/// assert_eq!(ring[3].flags, 3);
/// assert_eq!(ring[3].addr, 0x1000);
/// ```
#[macro_export]
macro_rules! io_project {
    ($io:expr, $($path:tt)*) => {{
        #[allow(unused_imports)]
        use $crate::io::IoBase as _;
        let projector = $crate::io::__project::Projector::new(($io).as_view());
        let place = projector.as_ptr();
        $crate::io::__project_steps!(place; $($path)*);
        #[allow(unused_unsafe)]
        // SAFETY: `place` was computed from `projector.as_ptr()` by `kernel::ptr::project!`
        // steps, which only produce places within their input.
        unsafe {
            projector.project(place)
        }
    }};
}

/// Applies the steps of a projection path one at a time; see [`io_project!`].
#[macro_export]
#[doc(hidden)]
macro_rules! __io_project_steps {
    ($place:ident;) => {};
    ($place:ident; . $field:tt $($rest:tt)*) => {
        // Never runs: it only type-checks the field as a place, which for a union field needs
        // `unsafe`. So a union field projects only inside the caller's own `unsafe` block:
        // reading a wider field than the one last written would read uninitialized bytes.
        if false {
            #[allow(unused_unsafe)]
            // SAFETY: Never executed.
            let container = unsafe { &*$place };
            let _ = container.$field;
        }
        let $place = $crate::ptr::project!(mut $place, .$field);
        $crate::io::__project_steps!($place; $($rest)*);
    };
    ($place:ident; [build: $index:literal] $($rest:tt)*) => {
        {
            #[allow(unused_imports)]
            use $crate::io::__project::NoConstLen as _;
            $crate::io::__project::ConstIndex::<{ $index }, _>($place).check();
        }
        let $place = $crate::ptr::project!(mut $place, [build: $index]);
        $crate::io::__project_steps!($place; $($rest)*);
    };
    ($place:ident; [$flavour:ident: $index:expr] $($rest:tt)*) => {
        let $place = $crate::ptr::project!(mut $place, [$flavour: $index]);
        $crate::io::__project_steps!($place; $($rest)*);
    };
}

/// Projects a view onto a part of it, returning the projection's `Result` instead of passing an
/// error on with `?`: `io_try_project!(io, path)` is `Ok(io_project!(io, path))`, or the
/// [`ERANGE`] error of a `[try: ...]` step.
///
/// For code where `?` is not available, or not wanted: an interrupt handler, a helper that
/// returns a plain value, a `match` on the error.
///
/// # Examples
///
/// ```
/// use kernel::io::{io_try_project, io_try_read, io_try_write, Io, SysMem};
/// use kernel::prelude::*;
///
/// /// Returns the status of queue `n` (a device's `u16` index), or `u32::MAX` if there is no
/// /// such queue.
/// fn status(regs: SysMem<'_, [u32; 4]>, n: u16) -> u32 {
///     io_try_read!(regs, [try: usize::from(n)]).unwrap_or(u32::MAX)
/// }
///
/// let mut regs = [1u32, 2, 3, 4];
/// let io = SysMem::from_mut(&mut regs);
/// assert_eq!(status(io, 2), 3);
/// assert_eq!(status(io, 9), u32::MAX);
/// match io_try_project!(io, [try: 5..7]) {
///     Ok(_) => unreachable!(),
///     Err(e) => assert_eq!(e, ERANGE),
/// }
/// assert_eq!(io_try_write!(io, [try: 4], 7u32), Err(ERANGE));
/// assert_eq!(io_try_write!(io, [try: 3], 7u32), Ok(()));
/// assert_eq!(regs, [1, 2, 3, 7]);
/// ```
#[macro_export]
macro_rules! io_try_project {
    ($io:expr, $($path:tt)*) => {{
        let handle = $io;
        (move || -> $crate::error::Result<_> {
            ::core::result::Result::Ok($crate::io_project!(handle, $($path)*))
        })()
    }};
}

/// Reads a primitive through a projection, returning a `Result`: `io_try_read!(io, path)`.
///
/// The error is the [`ERANGE`] of a `[try: ...]` step, or the bus's error if the access itself
/// fails ([`try_read_val`](super::Io::try_read_val)); see
/// [`io_try_project!`](crate::io_try_project).
#[macro_export]
macro_rules! io_try_read {
    ($io:expr, $($path:tt)*) => {
        $crate::io_try_project!($io, $($path)*).and_then($crate::io::Io::try_read_val)
    };
}

/// Writes a primitive through a projection, returning a `Result`: `io_try_write!(io, path,
/// value)`.
///
/// The error is the [`ERANGE`] of a `[try: ...]` step, or the bus's error if the access itself
/// fails ([`try_write_val`](super::Io::try_write_val)); see
/// [`io_try_project!`](crate::io_try_project).
#[macro_export]
macro_rules! io_try_write {
    ($io:expr, $($rest:tt)*) => {
        $crate::io::__io_try_write_split!([$io] [] $($rest)*)
    };
}

/// Splits the arguments of [`io_try_write!`] into the path and the value.
#[macro_export]
#[doc(hidden)]
macro_rules! __io_try_write_split {
    ([$io:expr] [$($path:tt)*] , $value:expr) => {
        $crate::io_try_project!($io, $($path)*)
            .and_then(|view| $crate::io::Io::try_write_val(view, $value))
    };
    ([$io:expr] [$($path:tt)*] $step:tt $($rest:tt)*) => {
        $crate::io::__io_try_write_split!([$io] [$($path)* $step] $($rest)*)
    };
}

/// Reads a primitive through a projection: `io_read!(io, path)`.
///
/// Equivalent to `io_project!(io, path).read_val()`: one access of the width of the selected
/// field, which must be a primitive the backend supports. Use
/// [`copy_read`](super::Io::copy_read) on a projection for whole structures.
///
/// # Examples
///
/// ```
/// use kernel::io::{io_read, SysMem};
///
/// let mut regs = (0x11u8, 0x2233u16, [0x4455_6677u32; 2]);
/// let io = SysMem::from_mut(&mut regs);
/// assert_eq!(io_read!(io, .1), 0x2233);
/// assert_eq!(io_read!(io, .2[build: 1]), 0x4455_6677);
/// ```
#[macro_export]
macro_rules! io_read {
    ($io:expr, $($path:tt)*) => {
        $crate::io::Io::read_val($crate::io_project!($io, $($path)*))
    };
}

/// Writes a primitive through a projection: `io_write!(io, path, value)`.
///
/// Equivalent to `io_project!(io, path).write_val(value)`.
///
/// # Examples
///
/// ```
/// use kernel::io::{io_write, SysMem};
///
/// let mut regs = [[0u16; 2]; 2];
/// let io = SysMem::from_mut(&mut regs);
/// io_write!(io, [build: 1][build: 0], 0xbeef);
/// assert_eq!(regs, [[0, 0], [0xbeef, 0]]);
/// ```
#[macro_export]
macro_rules! io_write {
    ($io:expr, $($rest:tt)*) => {
        $crate::io::__io_write_split!([$io] [] $($rest)*)
    };
}

/// Splits the arguments of [`io_write!`] into the path and the value.
#[macro_export]
#[doc(hidden)]
macro_rules! __io_write_split {
    ([$io:expr] [$($path:tt)*] , $value:expr) => {
        $crate::io::Io::write_val($crate::io_project!($io, $($path)*), $value)
    };
    ([$io:expr] [$($path:tt)*] $step:tt $($rest:tt)*) => {
        $crate::io::__io_write_split!([$io] [$($path)* $step] $($rest)*)
    };
}
