// SPDX-License-Identifier: GPL-2.0

//! A backend whose accesses fail when a test says so, and walks of the layer's runtime-checked
//! paths with a failure at each of their accesses in turn.
//!
//! QEMU's devices never fail an access, so what a driver sees when one does (a configuration
//! cycle to a device that went away, a bus error) is shown here with [`Faulty`], a view of
//! ordinary memory whose backend, [`FaultBus`], counts every access it is asked to make and fails
//! the one a [`FaultPlan`] chooses:
//!
//! - a `try_` access (`io_try_read`, `io_try_write`, `try_copy_from_io`, `try_copy_to_io`)
//!   returns the plan's error and touches nothing;
//! - a plain access behaves as a dead bus does: a read gives all ones, a write or a copy to the
//!   view is dropped, a copy from it fills the buffer with all ones.
//!
//! A plan fails its chosen access alone ([`Mode::Once`], a transient error), or that access and
//! every later one ([`Mode::Dead`], a device that stopped answering).
//!
//! Each `walk_*` function runs one path of the [`Io`] API once without a fault to count its
//! accesses, then once per access with that access failing, and checks every run against what
//! the API promises on failure: the error is the bus's own, no access is made after it, nothing
//! is written that the API says is not, and a plain accessor goes on with all ones. It returns
//! the number of failure points it walked, or the first promise it found broken.
//!
//! Shared by the KUnit suite `io_fault_walk` (`tests/io_fault_test.rs`) and the host tests
//! (`tests/host/tests/faults.rs`, plain and under Miri): it uses `kernel::io`, the prelude's
//! error codes and `core`, nothing else of the kernel crate.

use core::cell::Cell;

use kernel::{
    io::{
        io_project,
        io_try_project,
        io_try_read,
        io_try_write,
        split,
        Align4,
        Align8,
        ExactSize,
        Io,
        IoBackend,
        IoBase,
        IoCapable,
        IoCopyable,
        Region,
        RegionAlign,
        RegisterBlock, //
    },
    prelude::*,
    ptr::KnownSize, //
};

/// Which accesses of a [`FaultPlan`] fail, from the chosen one on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The chosen access fails, and the ones after it succeed: a transient error.
    Once,
    /// The chosen access and every later one fail: the device stopped answering.
    Dead,
}

/// Counts the accesses of the [`Faulty`] views that share it, and fails the one it is armed for.
pub(crate) struct FaultPlan {
    /// Accesses asked of the backend since the plan was last armed or disarmed.
    calls: Cell<usize>,
    /// The access that fails, counted from 1; 0 when none does.
    fail_at: Cell<usize>,
    mode: Cell<Mode>,
    error: Cell<Error>,
}

impl FaultPlan {
    /// A plan that fails nothing.
    pub(crate) const fn new() -> Self {
        Self {
            calls: Cell::new(0),
            fail_at: Cell::new(0),
            mode: Cell::new(Mode::Once),
            error: Cell::new(EIO),
        }
    }

    /// Fails access `n` (counted from 1, from now on) with `error`, and in [`Mode::Dead`] every
    /// access after it too.
    pub(crate) fn arm(&self, n: usize, mode: Mode, error: Error) {
        self.calls.set(0);
        self.fail_at.set(n);
        self.mode.set(mode);
        self.error.set(error);
    }

    /// Fails nothing from now on, and counts from 0 again.
    pub(crate) fn disarm(&self) {
        self.arm(0, Mode::Once, EIO);
    }

    /// The accesses asked of the backend since the plan was last armed or disarmed.
    pub(crate) fn calls(&self) -> usize {
        self.calls.get()
    }

    /// Counts one access; returns the error it fails with, if it fails.
    fn access(&self) -> Option<Error> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        let at = self.fail_at.get();
        let fails = at != 0 && (n == at || (n > at && self.mode.get() == Mode::Dead));
        fails.then(|| self.error.get())
    }
}

/// A view of a `T` in memory, valid for `'a`, whose accesses go through a [`FaultPlan`].
///
/// # Invariants
///
/// `ptr` is aligned for `T` and valid for reads and writes of `KnownSize::size(ptr)` bytes while
/// `'a` lasts, and nothing else accesses those bytes meanwhile.
pub(crate) struct Faulty<'a, T: ?Sized> {
    ptr: *mut T,
    plan: &'a FaultPlan,
}

impl<T: ?Sized> Clone for Faulty<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Faulty<'_, T> {}

impl<'a, T: ?Sized + ExactSize> Faulty<'a, T> {
    /// A view of the value `value` borrows, whose accesses `plan` counts and fails.
    pub(crate) fn from_mut(value: &'a mut T, plan: &'a FaultPlan) -> Self {
        // INVARIANT: A unique borrow is aligned and valid for its whole value, which is
        // `KnownSize::size` bytes for an `ExactSize` type, and nothing else reaches it for `'a`.
        Self { ptr: value, plan }
    }
}

impl<'a, const SIZE: usize, A: RegionAlign> Faulty<'a, Region<SIZE, A>> {
    /// A region view of `bytes`, whose accesses `plan` counts and fails.
    ///
    /// Fails with [`EINVAL`] if `bytes` is not a valid region (see [`Region`]).
    pub(crate) fn region(bytes: &'a mut [u8], plan: &'a FaultPlan) -> Result<Self> {
        let ptr = Region::<SIZE, A>::ptr_try_from_raw_parts_mut(bytes.as_mut_ptr(), bytes.len())?;
        // INVARIANT: `ptr` covers exactly the borrowed bytes, checked to make a valid region.
        Ok(Self { ptr, plan })
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Faulty<'a, T> {
    type Backend = FaultBus;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

/// The backend of [`Faulty`] views: volatile accesses to memory, failed as the plan says.
pub(crate) struct FaultBus;

// SAFETY: A view is its pointer and its plan: `as_ptr` returns the pointer, `project_view` keeps
// the plan and takes the part it is given, which lies within the whole and so is valid for as
// long, and `as_view` returns a view unchanged.
unsafe impl IoBackend for FaultBus {
    type View<'a, T: ?Sized + KnownSize> = Faulty<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.ptr
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        whole: Self::View<'a, T>,
        part: *mut U,
    ) -> Self::View<'a, U> {
        // INVARIANT: `part` is an aligned part of the whole's location (safety requirement).
        Faulty {
            ptr: part,
            plan: whole.plan,
        }
    }
}

/// Implements [`IoCapable`] for [`FaultBus`], for each listed primitive.
macro_rules! fault_accessors {
    ($($ty:ty)*) => {$(
        impl IoCapable<$ty> for FaultBus {
            fn io_read(view: Faulty<'_, $ty>) -> $ty {
                Self::io_try_read(view).unwrap_or(<$ty>::MAX)
            }

            fn io_write(view: Faulty<'_, $ty>, value: $ty) {
                let _ = Self::io_try_write(view, value);
            }

            fn io_try_read(view: Faulty<'_, $ty>) -> Result<$ty> {
                if let Some(err) = view.plan.access() {
                    return Err(err);
                }
                // SAFETY: The view's invariant makes `ptr` aligned and valid for reads.
                Ok(unsafe { view.ptr.read_volatile() })
            }

            fn io_try_write(view: Faulty<'_, $ty>, value: $ty) -> Result {
                if let Some(err) = view.plan.access() {
                    return Err(err);
                }
                // SAFETY: The view's invariant makes `ptr` aligned and valid for writes.
                unsafe { view.ptr.write_volatile(value) };
                Ok(())
            }
        }
    )*};
}

fault_accessors!(u8 u16 u32);

#[cfg(CONFIG_64BIT)]
fault_accessors!(u64);

// SAFETY: `try_copy_from_io` writes all of the view's size bytes of `buffer` when it succeeds and
// none when it fails; `copy_from_io` writes all of them either way (the copy, or all ones);
// the copies to I/O read exactly the view's size bytes of `buffer`, or none when they fail. Every
// access stays within the view, which is valid for it (invariant).
unsafe impl IoCopyable for FaultBus {
    unsafe fn copy_from_io(view: Faulty<'_, [u8]>, buffer: *mut u8) {
        // SAFETY: The caller's guarantees are passed on.
        if unsafe { Self::try_copy_from_io(view, buffer) }.is_err() {
            // SAFETY: `buffer` is writable for the view's length (safety requirement).
            unsafe { buffer.write_bytes(0xff, view.ptr.len()) };
        }
    }

    unsafe fn copy_to_io(view: Faulty<'_, [u8]>, buffer: *const u8) {
        // SAFETY: The caller's guarantees are passed on.
        let _ = unsafe { Self::try_copy_to_io(view, buffer) };
    }

    unsafe fn try_copy_from_io(view: Faulty<'_, [u8]>, buffer: *mut u8) -> Result {
        if let Some(err) = view.plan.access() {
            return Err(err);
        }
        // SAFETY: The view is readable for its length (invariant), `buffer` writable for as many
        // bytes, and the two do not overlap (safety requirements).
        unsafe { core::ptr::copy_nonoverlapping(view.ptr.cast::<u8>(), buffer, view.ptr.len()) };
        Ok(())
    }

    unsafe fn try_copy_to_io(view: Faulty<'_, [u8]>, buffer: *const u8) -> Result {
        if let Some(err) = view.plan.access() {
            return Err(err);
        }
        // SAFETY: As for `try_copy_from_io`, the other way.
        unsafe { core::ptr::copy_nonoverlapping(buffer, view.ptr.cast::<u8>(), view.ptr.len()) };
        Ok(())
    }
}

/// A promise that a walk found broken: the condition that failed, where it is in this file, and
/// the run it failed in (its failing access; 0 for the run without a failure).
pub(crate) struct Broken {
    pub(crate) line: u32,
    pub(crate) what: &'static str,
    pub(crate) step: usize,
}

impl core::fmt::Debug for Broken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}:{}: with access {} failing: {}",
            file!(),
            self.line,
            self.step,
            self.what
        )
    }
}

/// The result of a walk: the failure points it walked, or the broken promise.
pub(crate) type Walked = core::result::Result<usize, Broken>;

/// Returns the [`Broken`] promise `$cond` of run `$step` unless it holds.
macro_rules! promise {
    ($step:expr, $cond:expr) => {
        if !$cond {
            return Err(Broken {
                line: line!(),
                what: stringify!($cond),
                step: $step,
            });
        }
    };
}

/// The error access `step` fails with: two errors in turn, so that a path that replaced the bus's
/// error with one of its own would be caught.
pub(crate) fn error_of(step: usize) -> Error {
    if step % 2 == 1 {
        EIO
    } else {
        ENODEV
    }
}

/// Runs `run` once without a failure (step 0), then once for each access that run made with that
/// access failing alone (steps 1 to N). `run(step)` returns the accesses it made, or the promise
/// it found broken. Returns N, the failure points walked.
///
/// For a `try_` path, each run must stop at its failing access: a later access would be one the
/// path made after it had already failed.
fn walk(plan: &FaultPlan, stops: bool, mut run: impl FnMut(usize) -> Walked) -> Walked {
    plan.disarm();
    let points = run(0)?;
    for step in 1..=points {
        plan.arm(step, Mode::Once, error_of(step));
        let calls = run(step)?;
        promise!(step, !stops || calls == step);
        promise!(step, stops || calls == points);
    }
    plan.disarm();
    Ok(points)
}

/// Bytes of a recognisable pattern: byte `i` is `i * 7 + 1`.
fn pattern<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let mut next = 1u8;
    for b in &mut bytes {
        *b = next;
        next = next.wrapping_add(7);
    }
    bytes
}

/// Makes a region view of `bytes` for run `step`; a buffer that makes no valid region is a
/// broken promise of the test itself.
fn region<'a, const SIZE: usize, A: RegionAlign>(
    bytes: &'a mut [u8],
    plan: &'a FaultPlan,
    step: usize,
) -> core::result::Result<Faulty<'a, Region<SIZE, A>>, Broken> {
    Faulty::region(bytes, plan).map_err(|_| Broken {
        line: line!(),
        what: "the test's buffer is a valid region",
        step,
    })
}

/// A block of registers, as a driver would describe one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes)]
pub(crate) struct Regs {
    id: u32,
    ctrl: u32,
    queue: [u32; 4],
    base: [u32; 2],
    counter: u64,
}

// Its views take offsets, as a region's do.
impl RegisterBlock for Regs {}

impl Regs {
    /// The registers before each run.
    const BEFORE: Regs = Regs {
        id: 0x0100_00ed,
        ctrl: 0x0000_0003,
        queue: [0x10, 0x20, 0x30, 0x40],
        base: [0x89ab_cdef, 0x0123_4567],
        counter: 0x1122_3344_5566_7788,
    };
}

/// Every `try_` offset accessor, each width read and written at an aligned offset of a region:
/// a failed read returns the bus's error, a failed write leaves memory as it was.
pub(crate) fn walk_offset_accessors(plan: &FaultPlan) -> Walked {
    const AT: usize = 16;
    let before = pattern::<32>();
    let mut points = 0;
    for width in [1usize, 2, 4, 8] {
        if width == 8 && !cfg!(CONFIG_64BIT) {
            continue;
        }
        for write in [false, true] {
            points += walk(plan, true, |step| {
                let mut words = [0u64; 4];
                words.as_mut_bytes().copy_from_slice(&before);
                let io = region::<32, Align8>(words.as_mut_bytes(), plan, step)?;
                let mut at = [0u8; 8];
                at[..width].copy_from_slice(&before[AT..AT + width]);
                let got = match (width, write) {
                    (1, false) => io.try_read8(AT).map(u64::from),
                    (2, false) => io.try_read16(AT).map(u64::from),
                    (4, false) => io.try_read32(AT).map(u64::from),
                    #[cfg(CONFIG_64BIT)]
                    (8, false) => io.try_read64(AT),
                    (1, true) => io.try_write8(0x5a, AT).map(|()| 0),
                    (2, true) => io.try_write16(0x5a5a, AT).map(|()| 0),
                    (4, true) => io.try_write32(0x5a5a_5a5a, AT).map(|()| 0),
                    #[cfg(CONFIG_64BIT)]
                    (8, true) => io.try_write64(0x5a5a_5a5a_5a5a_5a5a, AT).map(|()| 0),
                    _ => Err(EINVAL),
                };
                let calls = plan.calls();
                let after = words.as_bytes();
                if step == 0 && write {
                    promise!(step, got == Ok(0));
                    promise!(step, after[AT..AT + width].iter().all(|&b| b == 0x5a));
                    promise!(step, after[..AT] == before[..AT]);
                    promise!(step, after[AT + width..] == before[AT + width..]);
                } else if step == 0 {
                    // Little- or big-endian, the value is the bytes at the offset in the CPU's
                    // order: the low bytes of a `u64` made of them the same way.
                    let want = match width {
                        1 => u64::from(at[0]),
                        2 => u64::from(u16::from_ne_bytes([at[0], at[1]])),
                        4 => u64::from(u32::from_ne_bytes([at[0], at[1], at[2], at[3]])),
                        _ => u64::from_ne_bytes(at),
                    };
                    promise!(step, got == Ok(want));
                    promise!(step, *after == before);
                } else {
                    promise!(step, got == Err(error_of(step)));
                    promise!(step, *after == before);
                }
                Ok(calls)
            })?;
        }
    }
    Ok(points)
}

/// The `try_` accessors of whole values and of locations in a typed view, and the projection
/// macros that access: `try_read_val`, `try_write_val`, `try_read`, `try_write`, `io_try_read!`
/// and `io_try_write!`.
pub(crate) fn walk_values_and_locations(plan: &FaultPlan) -> Walked {
    let mut points = 0;
    for path in 0..6 {
        points += walk(plan, true, |step| {
            let mut regs = Regs::BEFORE;
            let io = Faulty::from_mut(&mut regs, plan);
            let mut want = Regs::BEFORE;
            // The queue is at offset 8 of the registers.
            let (got, good): (Result<u32>, u32) = match path {
                0 => (io_project!(io, .ctrl).try_read_val(), 3),
                1 => {
                    want.ctrl = 7;
                    (io_project!(io, .ctrl).try_write_val(7).map(|()| 7), 7)
                }
                2 => (io.try_read(12usize), 0x20),
                3 => {
                    want.queue[2] = 0x33;
                    (io.try_write(16usize, 0x33u32).map(|()| 0x33), 0x33)
                }
                4 => (io_try_read!(io, .queue[try: 3]), 0x40),
                _ => {
                    want.queue[0] = 0x11;
                    (
                        io_try_write!(io, .queue[try: 0], 0x11u32).map(|()| 0x11),
                        0x11,
                    )
                }
            };
            let calls = plan.calls();
            if step == 0 {
                promise!(step, got == Ok(good));
                promise!(step, regs == want);
            } else {
                promise!(step, got == Err(error_of(step)));
                promise!(step, regs == Regs::BEFORE);
            }
            Ok(calls)
        })?;
    }
    Ok(points)
}

/// `try_update`: a failed read leaves the closure uncalled and writes nothing; a failed write
/// leaves the old value.
pub(crate) fn walk_update(plan: &FaultPlan) -> Walked {
    walk(plan, true, |step| {
        let mut regs = Regs::BEFORE;
        let called = Cell::new(0);
        let io = Faulty::from_mut(&mut regs, plan);
        // The second word of the queue.
        let got = io.try_update(12usize, |v: u32| {
            called.set(called.get() + 1);
            v | 0x8000_0000
        });
        let calls = plan.calls();
        if step == 0 {
            promise!(step, got == Ok(()));
            promise!(step, called.get() == 1);
            promise!(step, regs.queue[1] == 0x8000_0020);
        } else {
            promise!(step, got == Err(error_of(step)));
            // The closure runs between the read and the write.
            promise!(step, called.get() == step - 1);
            promise!(step, regs == Regs::BEFORE);
        }
        Ok(calls)
    })
}

/// The `try_` copies between a view and memory: `try_copy_read`, `try_copy_write`,
/// `try_copy_to_slice` and `try_copy_from_slice`. A failed copy returns the bus's error, a value
/// read is never made of bytes the bus did not give, and a failed copy to the view writes none of
/// it (this bus fails before it writes).
pub(crate) fn walk_copies(plan: &FaultPlan) -> Walked {
    let mut points = 0;
    for path in 0..4 {
        points += walk(plan, true, |step| {
            let mut regs = Regs::BEFORE;
            let mut out = [0u8; 16];
            let io = Faulty::from_mut(&mut regs, plan);
            let queue = io_project!(io, .queue);
            let got: Result<[u32; 4]> = match path {
                0 => queue.try_copy_read(),
                1 => queue.try_copy_write([9, 8, 7, 6]).map(|()| [9, 8, 7, 6]),
                2 => queue
                    .as_bytes()
                    .try_copy_to_slice(&mut out)
                    .map(|()| [0x10, 0x20, 0x30, 0x40]),
                _ => queue
                    .as_bytes()
                    .try_copy_from_slice([5u32, 6, 7, 8].as_bytes())
                    .map(|()| [5, 6, 7, 8]),
            };
            let calls = plan.calls();
            if step == 0 {
                promise!(step, got.is_ok());
                let want = got.unwrap_or_default();
                if path == 2 {
                    promise!(step, out == *[0x10u32, 0x20, 0x30, 0x40].as_bytes());
                }
                promise!(step, regs.queue == want);
            } else {
                promise!(step, got == Err(error_of(step)));
                promise!(step, regs == Regs::BEFORE);
            }
            Ok(calls)
        })?;
    }
    Ok(points)
}

/// `try_copy_from_view`, which carries the bytes through a small buffer in chunks: apart, and
/// overlapping with the destination above and below the source. A failure stops the move with the
/// bus's error; only the destination may have changed, each of its bytes to the one the move
/// would have put there; the source keeps every byte that is not also the destination's.
pub(crate) fn walk_view_to_view(plan: &FaultPlan) -> Walked {
    const LEN: usize = 600;
    let mut points = 0;
    for (src_at, dst_at) in [(0, 700), (0, 200), (200, 0)] {
        points += walk(plan, true, |step| {
            let before = pattern::<1400>();
            let mut buf = before;
            let io = Faulty::from_mut(&mut buf[..], plan);
            let got = match (
                io_try_project!(io, [try: dst_at..dst_at + LEN]),
                io_try_project!(io, [try: src_at..src_at + LEN]),
            ) {
                (Ok(dst), Ok(src)) => dst.try_copy_from_view(src),
                _ => Err(ERANGE),
            };
            let calls = plan.calls();
            let dst = dst_at..dst_at + LEN;
            for (i, (&now, &was)) in buf.iter().zip(before.iter()).enumerate() {
                let moved = if dst.contains(&i) {
                    before[i - dst_at + src_at]
                } else {
                    was
                };
                if step == 0 {
                    promise!(step, now == moved);
                } else {
                    promise!(step, now == moved || now == was);
                }
            }
            if step == 0 {
                promise!(step, got == Ok(()));
            } else {
                promise!(step, got == Err(error_of(step)));
            }
            Ok(calls)
        })?;
    }
    Ok(points)
}

/// Finds capability `id` in a configuration-space-like region, as a driver walks the list: the
/// pointer at 0x34, then an ID and a next pointer per capability, every read checked at runtime
/// and its error returned. A list that loops ends after as many steps as the space has room for.
pub(crate) fn find_capability<'a, H>(cfg: H, id: u8) -> Result<Option<u8>>
where
    H: Io<'a, Target = Region<256>>,
    H::Backend: IoCapable<u8>,
{
    let mut at = cfg.try_read8(0x34)? & !3;
    for _ in 0..48 {
        if at < 0x40 {
            return Ok(None);
        }
        let here = usize::from(at);
        if cfg.try_read8(here)? == id {
            return Ok(Some(at));
        }
        at = cfg.try_read8(here + 1)? & !3;
    }
    Err(EINVAL)
}

/// A configuration space with three capabilities: 0x05 at 0x40, 0x10 at 0x50, 0x11 at 0x60.
fn config_space() -> [u32; 64] {
    let mut words = [0u32; 64];
    let bytes = words.as_mut_bytes();
    bytes[0x34] = 0x40;
    for (at, id, next) in [(0x40, 0x05, 0x50), (0x50, 0x10, 0x60), (0x60, 0x11, 0x00)] {
        bytes[at] = id;
        bytes[at + 1] = next;
    }
    words
}

/// A capability walk with each of its reads failing in turn: the walk returns the bus's error,
/// never a wrong answer, and reads nothing after the failure; found or not found.
pub(crate) fn walk_capability_list(plan: &FaultPlan) -> Walked {
    let mut points = 0;
    for (id, want) in [(0x11, Some(0x60)), (0x01, None)] {
        points += walk(plan, true, |step| {
            let mut words = config_space();
            let cfg = region::<256, Align4>(words.as_mut_bytes(), plan, step)?;
            let got = find_capability(cfg, id);
            let calls = plan.calls();
            if step == 0 {
                promise!(step, got == Ok(want));
            } else {
                promise!(step, got == Err(error_of(step)));
            }
            promise!(step, words == config_space());
            Ok(calls)
        })?;
    }
    Ok(points)
}

/// What makes no access cannot fail on the bus: runtime-checked casts, windows and projections
/// compute addresses only. Returns 0 failure points, having checked that each made no access and
/// that out-of-range requests fail with `ERANGE` all the same.
pub(crate) fn walk_address_arithmetic(plan: &FaultPlan) -> Walked {
    plan.arm(1, Mode::Dead, EIO);
    let mut words = [0u32; 16];
    let io = region::<64, Align4>(words.as_mut_bytes(), plan, 0)?;
    let ok = io.try_cast::<[u32; 16]>().is_ok()
        && io.try_window::<Region<16>>(16, 16).is_ok()
        && io.try_byte_window(3, 9).is_ok()
        && io.try_as_region::<Region<32>>().is_ok()
        && io_try_project!(io.cast::<[u32; 16]>(), [try: 15]).is_ok();
    promise!(0, ok);
    promise!(0, io.try_cast::<[u32; 17]>().err() == Some(ERANGE));
    promise!(0, io.try_byte_window(60, 5).err() == Some(ERANGE));
    promise!(
        0,
        io_try_read!(io.cast::<[u32; 16]>(), [try: 16]) == Err(ERANGE)
    );
    promise!(0, plan.calls() == 0);
    plan.disarm();
    Ok(0)
}

/// The plain accessors, walked as the `try_` ones are: with one access failing, each goes on
/// past it as C does on a dead bus. The failed read gives all ones, the failed write is dropped,
/// and the rest happen: `read32`/`write32`, the FIFO accessors, `fill`, and the split 64-bit
/// accessors, whose halves tear.
pub(crate) fn walk_plain_accessors(plan: &FaultPlan) -> Walked {
    let mut points = 0;
    for path in 0..8 {
        points += walk(plan, false, |step| {
            let mut regs = Regs::BEFORE;
            let mut fifo = [0u32; 4];
            let io = Faulty::from_mut(&mut regs, plan);
            let mut want = Regs::BEFORE;
            // What a read returned, and what it returns without a failure.
            let (got, good) = match path {
                0 => (u64::from(io.read32(0)), 0x0100_00ed),
                1 => {
                    io.write32(0x55, 4);
                    want.ctrl = 0x55;
                    (0, 0)
                }
                2 => {
                    io_project!(io, .id).read_fifo(&mut fifo);
                    (0, 0)
                }
                3 => {
                    io_project!(io, .ctrl).write_fifo(&[4, 5, 6, 7]);
                    want.ctrl = 7;
                    (0, 0)
                }
                4 => (
                    io_project!(io, .counter).read_lo_hi(),
                    0x1122_3344_5566_7788,
                ),
                5 => (
                    io_project!(io, .counter).read_hi_lo(),
                    0x1122_3344_5566_7788,
                ),
                6 => {
                    let base = io_project!(io, .base);
                    let (lo, hi) = (io_project!(base, [build: 0]), io_project!(base, [build: 1]));
                    split::write_hi_lo(lo, hi, 0xaaaa_bbbb_cccc_dddd);
                    want.base = [0xcccc_dddd, 0xaaaa_bbbb];
                    (0, 0)
                }
                _ => {
                    io_project!(io, .queue).as_bytes().fill(0xee);
                    want.queue = [0xeeee_eeee; 4];
                    (0, 0)
                }
            };
            let calls = plan.calls();
            if step == 0 {
                promise!(step, got == good);
                promise!(step, regs == want);
                if path == 2 {
                    promise!(step, fifo == [0x0100_00ed; 4]);
                }
                return Ok(calls);
            }
            if matches!(path, 0 | 2 | 4 | 5) {
                promise!(step, regs == Regs::BEFORE);
            }
            match path {
                0 => promise!(step, got == 0xffff_ffff),
                1 | 6 | 7 => {
                    // The one failed write was dropped: the rest of what was written is there.
                    promise!(step, regs != want);
                    let dropped = match path {
                        1 => Regs::BEFORE.ctrl == regs.ctrl,
                        // write_hi_lo: the high half goes first.
                        6 => regs.base[2 - step] == Regs::BEFORE.base[2 - step],
                        _ => regs.queue == Regs::BEFORE.queue,
                    };
                    promise!(step, dropped);
                    if path == 6 {
                        promise!(step, regs.base[step - 1] == want.base[step - 1]);
                    }
                }
                2 => {
                    for (i, &v) in fifo.iter().enumerate() {
                        promise!(
                            step,
                            v == if i + 1 == step { u32::MAX } else { 0x0100_00ed }
                        );
                    }
                }
                3 => {
                    // The last value written wins, unless its write was the one dropped.
                    let last = if step == 4 { 6 } else { 7 };
                    promise!(step, regs.ctrl == last);
                }
                4 => promise!(
                    step,
                    got == if step == 1 {
                        0x1122_3344_ffff_ffff
                    } else {
                        0xffff_ffff_5566_7788
                    }
                ),
                _ => promise!(
                    step,
                    got == if step == 1 {
                        0xffff_ffff_5566_7788
                    } else {
                        0x1122_3344_ffff_ffff
                    }
                ),
            }
            Ok(calls)
        })?;
    }
    Ok(points)
}

/// A device that stops answering at access 3 and never answers again: every `try_` access from
/// there on fails with its error, every plain read is all ones, every write is dropped; the
/// accesses before it happened. Returns the accesses made on the dead device.
pub(crate) fn walk_dead_device(plan: &FaultPlan) -> Walked {
    let mut regs = Regs::BEFORE;
    plan.arm(3, Mode::Dead, ENODEV);
    let io = Faulty::from_mut(&mut regs, plan);
    let answered = (io.try_read32(0), io.try_write32(0x44, 4));
    let dead = (
        io.try_read32(0),
        io.try_update(4usize, |v: u32| v + 1),
        io.read32(0),
        io_project!(io, .counter).read_lo_hi(),
        io_project!(io, .queue).try_copy_read(),
    );
    io.write32(0x66, 4);
    io_project!(io, .queue).copy_write([1, 2, 3, 4]);
    let calls = plan.calls();
    plan.disarm();
    promise!(0, answered == (Ok(0x0100_00ed), Ok(())));
    promise!(3, dead.0 == Err(ENODEV) && dead.1 == Err(ENODEV));
    promise!(3, dead.2 == u32::MAX && dead.3 == u64::MAX);
    promise!(3, dead.4 == Err(ENODEV));
    let mut want = Regs::BEFORE;
    want.ctrl = 0x44;
    promise!(3, regs == want);
    Ok(calls - 2)
}

/// A walk of one path: see [`walk`].
pub(crate) type WalkFn = fn(&FaultPlan) -> Walked;

/// Every walk of this file with its name, in order.
pub(crate) const WALKS: [(&str, WalkFn); 9] = [
    ("offset_accessors", walk_offset_accessors),
    ("values_and_locations", walk_values_and_locations),
    ("update", walk_update),
    ("copies", walk_copies),
    ("view_to_view", walk_view_to_view),
    ("capability_list", walk_capability_list),
    ("address_arithmetic", walk_address_arithmetic),
    ("plain_accessors", walk_plain_accessors),
    ("dead_device", walk_dead_device),
];
