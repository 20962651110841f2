// SPDX-License-Identifier: GPL-2.0

//! A driver for QEMU's `edu` device (PCI 1234:11e8) written against typed I/O views.
//!
//! BAR0 is described by [`EduRegs`], and every register access goes through `io_read!` or
//! `io_write!` on an `Mmio<'_, EduRegs>` view of it, through the [`STATUS`] register type defined
//! in that view, or, for the 64-bit DMA registers, through a projection of it ([`read_dma_reg`],
//! [`write_dma_reg`]): no offset appears in an access. The view is a cast checked at build time
//! from an 8-byte aligned region of the BAR, as the 64-bit DMA registers need. At probe the
//! driver checks the identification and liveness registers, shows which access widths the device
//! answers (narrower ones through byte and half-word views of a register), has the device compute
//! factorials through ordered and relaxed views, shows the order of a 64-bit write split into two
//! 32-bit halves, and moves a buffer to the device and back with its DMA engine, programmed with
//! the DMA addresses of projected sub-views of one coherent allocation. Then it requests the
//! device's interrupt, first as the best type the device offers (MSI on edu), then as INTx, and
//! each time has a factorial, DMA transfers and `irq_raise` interrupt it; the handler reads and
//! acknowledges the causes through the typed view and counts them. It reports every check as
//! KTAP, and what the device did in a few `summary:` lines.
//!
//! With several CPUs, a work item on each works the device at once (`samples/common/smp.rs`):
//! `liveness` written and read from every CPU, each read the inverse of one whole value some CPU
//! wrote; each CPU's stripe of the shared coherent buffer written at once, next to a 64-bit
//! location that one CPU writes with single 64-bit writes while the others read it (never a torn
//! value), all of it then moved by the device's DMA engine and found intact; and in each
//! interrupt round, every CPU raising a cause of its own, each raise waiting for the handler,
//! until the handler's counts add up to exactly what each CPU raised.
//!
//! Loaded with `hotplug=1` (the hotplug stage, `tests/harness/hotplug.sh`), the driver instead
//! keeps the device, with its MSI handler, and runs a loop on each CPU through a `Devres`-managed
//! BAR until the device is removed ([`Hotplug`]).
//!
//! QEMU must be started with `-device edu`. Its DMA engine drops the address bits above its DMA
//! mask, 28 bits by default (its `dma_mask` property); the driver asks the DMA API for a mask of
//! `dma_bits` bits (a module parameter, 28 by default), which must be the device's. Where no
//! memory lies below 256 MiB and no IOMMU translates (32-bit arm's `virt` machine, whose RAM
//! starts at 1 GiB), the harness gives both 32 bits.
//!
//! A 32-bit kernel has no 64-bit access: there the 64-bit DMA registers are written as two 32-bit
//! halves, and read as the low half, which is all the device answers to a 32-bit read (see
//! [`check_dma_register_widths`]).

use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};

use kernel::{
    device::{
        Bound,
        Core, //
    },
    devres::DevresLt,
    dma::{
        Coherent,
        Device as _,
        DmaAddress,
        DmaMask, //
    },
    io::{
        io_project,
        io_read,
        io_write,
        register,
        register::Register as _,
        Align8,
        Io,
        Mmio,
        Region,
        RelaxedMmio, //
    },
    irq::{
        self,
        Flags,
        IrqRequest,
        IrqReturn,
        Registration, //
    },
    pci::{
        self,
        IrqType,
        IrqTypes,
        IrqVectorRegistration, //
    },
    prelude::*,
    revocable::Revocable,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed,
            Release, //
        },
        Arc,
    },
    time::{
        delay::fsleep,
        Delta, //
    },
    types::ScopeGuard,
};

#[path = "common/check.rs"]
mod checks;
#[path = "common/ktap.rs"]
mod ktap;
#[path = "common/loops.rs"]
mod loops;
#[path = "common/smp.rs"]
mod smp;

use checks::{
    check,
    check_eq, //
};
use ktap::Suite;
use smp::CONTEXTS;

#[path = "common/edu.rs"]
mod edu;
use edu::{
    read_dma_reg,
    write_dma_reg,
    EduRegs,
    DEVICE_BUFFER,
    DMA_START,
    DMA_TO_RAM,
    EDU_ID, //
};

/// BAR0 as far as [`EduRegs`] reaches, as a region whose base and size are multiples of 8.
type EduRegion = Region<{ size_of::<EduRegs>() }, Align8>;

register! {
    /// The `status` register of [`EduRegs`], with its two bits.
    STATUS(u32) @ 0x20 {
        /// Raise an interrupt when a factorial is done.
        7:7 irq_when_done;
        /// A factorial is being computed (read-only).
        0:0 computing;
    }
}

const _: () = assert!(STATUS::OFFSET == core::mem::offset_of!(EduRegs, status));

/// `dma_cmd`: raise an interrupt when the transfer is done.
const DMA_IRQ_WHEN_DONE: u64 = 1 << 2;

/// `irq_status` cause: a factorial started with `irq_when_done` set is done.
const FACTORIAL_DONE: u32 = 0x1;
/// `irq_status` cause: a transfer started with [`DMA_IRQ_WHEN_DONE`] is done.
const DMA_DONE: u32 = 0x100;
/// An `irq_status` cause that only a write to `irq_raise` raises.
const RAISED: u32 = 1 << 24;
/// The causes that the contexts of [`smp::scope`] raise, one each, from this bit up.
const SMP_CAUSE_SHIFT: usize = 12;
const SMP_CAUSES: u32 = ((1 << CONTEXTS) - 1) << SMP_CAUSE_SHIFT;
const _: () = assert!(SMP_CAUSES & (FACTORIAL_DONE | DMA_DONE | RAISED) == 0);

/// The cause that context `ctx` raises.
fn smp_cause(ctx: usize) -> u32 {
    1 << (SMP_CAUSE_SHIFT + ctx)
}

/// The coherent buffer, and the windows of it that the two transfers use. The offsets are odd
/// and the length not a multiple of the 256-byte bounce chunk, so the projection arithmetic and
/// the copies are exercised off the easy paths.
const HOST_SIZE: usize = 4096;
const OUT_START: usize = 0x13;
const BACK_START: usize = 0x82b;
const XFER_LEN: usize = 0x241;
/// Where in the device's buffer the data goes; the round trip driven by interrupts uses another
/// place, so that it cannot find the first round trip's data there.
const DEVICE_OFFSET: u64 = 0x105;
const IRQ_DEVICE_OFFSET: u64 = 0x807;

const _: () = assert!(OUT_START + XFER_LEN <= BACK_START && BACK_START + XFER_LEN <= HOST_SIZE);
// The transfers stay within the device's buffer. (Its size is named in here: rustc 1.85 takes
// a constant that only an unnamed constant uses for dead code.)
const _: () = {
    /// Size of the device's DMA buffer.
    const DEVICE_BUFFER_SIZE: usize = 4096;
    assert!(DEVICE_OFFSET as usize + XFER_LEN <= DEVICE_BUFFER_SIZE);
    assert!(IRQ_DEVICE_OFFSET as usize + XFER_LEN <= DEVICE_BUFFER_SIZE);
};

/// Bounds of every wait: up to `POLL_TRIES` checks, `POLL_DELAY` apart. A DMA transfer takes
/// about 100 ms of the device's time; a factorial a few microseconds.
const POLL_TRIES: u32 = 2000;
const POLL_DELAY: Delta = Delta::from_millis(1);
/// How long to go on watching after an awaited interrupt, for one that should not come.
const SETTLE: Delta = Delta::from_millis(20);

/// Waits until `done()` holds, for a bounded time; returns how many delays it took.
fn poll(mut done: impl FnMut() -> bool) -> Result<u32> {
    for waited in 0..POLL_TRIES {
        if done() {
            return Ok(waited);
        }
        fsleep(POLL_DELAY);
    }
    if done() {
        Ok(POLL_TRIES)
    } else {
        Err(ETIMEDOUT)
    }
}

/// n!, as the device computes it: in 32 bits, wrapping.
fn factorial(n: u32) -> u32 {
    (1..=n).fold(1u32, |acc, k| acc.wrapping_mul(k))
}

/// The byte at position `i` of the test pattern: no period that a misplaced window could match.
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(29) ^ (i >> 7) ^ 0x5a) as u8
}

/// The pattern of the round trip driven by interrupts: different from [`pattern`] at every byte.
fn irq_pattern(i: usize) -> u8 {
    !pattern(i)
}

fn check_identification(suite: &Suite<'_>, regs: Mmio<'_, EduRegs>) -> Result<u32> {
    let id = io_read!(regs, .id);
    suite.note(fmt!(
        "identification {:#010x}: edu version {}.{}",
        id,
        id >> 24,
        (id >> 16) & 0xff
    ));
    check_eq!(id, EDU_ID);
    Ok(id)
}

fn check_liveness(regs: Mmio<'_, EduRegs>) -> Result {
    for value in [0x1234_5678u32, 0, u32::MAX, 0xa5a5_5a5a] {
        io_write!(regs, .liveness, value);
        check_eq!(io_read!(regs, .liveness), !value);
    }
    Ok(())
}

/// Writes narrower than 32 bits below 0x80 do not reach the device's registers: 8-bit writes to
/// each byte of `liveness` and 16-bit writes to each half leave it reading the inverse of the last
/// 32-bit write, and a 32-bit write of the same bits changes it.
///
/// The narrower accesses go through byte and half-word views of the register, cast from its
/// projection: still no offset in an access.
#[cfg(CONFIG_X86)]
fn check_narrow_writes(regs: Mmio<'_, EduRegs>) -> Result {
    const BEFORE: u32 = 0x1234_5678;
    const NARROW: u32 = 0xa5a5_a5a5;
    let bytes = io_project!(regs, .liveness).cast::<[u8; 4]>();
    let halves = io_project!(regs, .liveness).cast::<[u16; 2]>();
    io_write!(regs, .liveness, BEFORE);
    check_eq!(io_read!(regs, .liveness), !BEFORE);
    for lane in 0..4 {
        io_write!(bytes, [try: lane], NARROW as u8);
        check_eq!(io_read!(regs, .liveness), !BEFORE);
    }
    for half in 0..2 {
        io_write!(halves, [try: half], NARROW as u16);
        check_eq!(io_read!(regs, .liveness), !BEFORE);
    }
    io_write!(regs, .liveness, NARROW);
    check_eq!(io_read!(regs, .liveness), !NARROW);
    Ok(())
}

/// Reads narrower than 32 bits below 0x80 are not answered by the device's registers: with
/// `liveness` holding a value none of whose bytes is 0x00 or 0xff, every 8- and 16-bit read of it
/// returns the same filler, all zeros or all ones, never the register's bytes, while a 32-bit read
/// still returns the value. QEMU 10.0 turns such reads away before they reach the device (edu
/// declares 32 bits as its narrowest access) and reads them as 0; all ones is what a bus
/// typically returns for a read that nothing answers. Returns the 8-bit filler.
#[cfg(CONFIG_X86)]
fn check_narrow_reads(suite: &Suite<'_>, regs: Mmio<'_, EduRegs>) -> Result<u8> {
    const WRITTEN: u32 = 0x1234_5678;
    const _: () = {
        let held = (!WRITTEN).to_ne_bytes();
        let mut i = 0;
        while i < held.len() {
            assert!(held[i] != 0 && held[i] != u8::MAX);
            i += 1;
        }
    };
    let bytes = io_project!(regs, .liveness).cast::<[u8; 4]>();
    let halves = io_project!(regs, .liveness).cast::<[u16; 2]>();
    io_write!(regs, .liveness, WRITTEN);
    check_eq!(io_read!(regs, .liveness), !WRITTEN);
    let filler = io_read!(bytes, [build: 0]);
    let filler16 = u16::from_ne_bytes([filler; 2]);
    suite.note(fmt!(
        "liveness {:#010x} read as bytes: {:#04x}, as halves: {:#06x}",
        io_read!(regs, .liveness),
        filler,
        io_read!(halves, [build: 0])
    ));
    check!(filler == 0 || filler == u8::MAX);
    for lane in 0..4 {
        check_eq!(io_read!(bytes, [try: lane]), filler);
    }
    for half in 0..2 {
        check_eq!(io_read!(halves, [try: half]), filler16);
    }
    check_eq!(io_read!(regs, .liveness), !WRITTEN);
    Ok(filler)
}

/// From 0x80 the device answers 32- and 64-bit accesses, and decodes each 64-bit register at its
/// own address only: a 32-bit read there returns the low half and a 32-bit write replaces the
/// whole register, while the address of the high half answers nothing (reads as all ones,
/// ignores writes). Memory would keep and return both halves.
#[cfg(CONFIG_64BIT)]
fn check_dma_register_widths(regs: Mmio<'_, EduRegs>) -> Result {
    const WIDE: u64 = 0x0123_4567_0765_4321;
    const LOW: u32 = 0x0abc_def0;
    let halves = io_project!(regs, .dma_src).cast::<[u32; 2]>();
    // The engine only takes its parameters while idle.
    check_eq!(io_read!(regs, .dma_cmd) & DMA_START, 0);
    io_write!(regs, .dma_src, WIDE);
    check_eq!(io_read!(regs, .dma_src), WIDE);
    check_eq!(io_read!(halves, [build: 0]), WIDE as u32);
    check_eq!(io_read!(halves, [build: 1]), u32::MAX);
    io_write!(halves, [build: 0], LOW);
    check_eq!(io_read!(regs, .dma_src), u64::from(LOW));
    io_write!(halves, [build: 1], 0x5555_5555);
    check_eq!(io_read!(regs, .dma_src), u64::from(LOW));
    io_write!(regs, .dma_src, 0);
    Ok(())
}

/// The same decoding, seen by a 32-bit kernel, whose only accesses of a 64-bit register are the
/// split forms: of a split write, the low half at the register's address replaces the register
/// and the high half goes nowhere; a split read finds the low half there and all ones at the
/// high half's address, whichever half it reads first. Memory would return what was written.
#[cfg(not(CONFIG_64BIT))]
fn check_dma_register_widths(regs: Mmio<'_, EduRegs>) -> Result {
    const WIDE: u64 = 0x0123_4567_0765_4321;
    const LOW: u32 = 0x0abc_def0;
    // What a split read returns: the register's low half, under the high half's all ones.
    let split = |low: u32| (u64::from(u32::MAX) << 32) | u64::from(low);
    let src = io_project!(regs, .dma_src);
    let halves = src.cast::<[u32; 2]>();
    // The engine only takes its parameters while idle.
    check_eq!(read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START, 0);
    src.write_lo_hi(WIDE);
    check_eq!(io_read!(halves, [build: 0]), WIDE as u32);
    check_eq!(io_read!(halves, [build: 1]), u32::MAX);
    check_eq!(src.read_lo_hi(), split(WIDE as u32));
    check_eq!(src.read_hi_lo(), split(WIDE as u32));
    src.write_hi_lo((u64::from(LOW) << 32) | u64::from(!LOW));
    check_eq!(io_read!(halves, [build: 0]), !LOW);
    io_write!(halves, [build: 0], LOW);
    check_eq!(src.read_lo_hi(), split(LOW));
    io_write!(halves, [build: 1], 0x5555_5555);
    check_eq!(src.read_hi_lo(), split(LOW));
    src.write_lo_hi(0);
    check_eq!(io_read!(halves, [build: 0]), 0);
    Ok(())
}

/// Relaxed accessors reach the device: `liveness` answers the inverse of what was written.
fn check_relaxed_liveness(regs: RelaxedMmio<'_, EduRegs>) -> Result {
    for value in [0x0bad_f00du32, 0x8000_0001] {
        io_write!(regs, .liveness, value);
        check_eq!(io_read!(regs, .liveness), !value);
    }
    Ok(())
}

/// A factorial computed by the device, started, polled and read through relaxed accessors.
fn check_relaxed_factorial(
    suite: &Suite<'_>,
    regs: RelaxedMmio<'_, EduRegs>,
) -> Result<(u32, u32)> {
    const N: u32 = 7;
    let computing = || regs.read(STATUS).computing().into_bool();
    check!(!computing());
    io_write!(regs, .factorial, N);
    let waited = poll(|| !computing())?;
    let result = io_read!(regs, .factorial);
    suite.note(fmt!(
        "relaxed: {}! = {} (after {} waits)",
        N,
        result,
        waited
    ));
    check_eq!(result, factorial(N));
    Ok((N, result))
}

/// Raises an interrupt cause and acknowledges it again. Nothing has requested the device's
/// interrupt, so the line stays masked; only the status register is observed.
fn check_interrupt_status(regs: Mmio<'_, EduRegs>) -> Result {
    const CAUSE: u32 = 1 << 20;
    // Start from a clean state: causes left by an earlier driver are acknowledged.
    io_write!(regs, .irq_ack, io_read!(regs, .irq_status));
    check_eq!(io_read!(regs, .irq_status), 0);
    io_write!(regs, .irq_raise, CAUSE);
    check_eq!(io_read!(regs, .irq_status), CAUSE);
    io_write!(regs, .irq_ack, CAUSE);
    check_eq!(io_read!(regs, .irq_status), 0);
    Ok(())
}

/// `irq_raise` and `irq_ack`, as the low and the high half of one 64-bit location.
///
/// Both are in the first 8-byte aligned slot of the region at their offset, which the build
/// checks: the window is proved in bounds and aligned, and so is the cast.
fn irq_raise_ack(bar: Mmio<'_, EduRegion>) -> Mmio<'_, u64> {
    const RAISE: usize = core::mem::offset_of!(EduRegs, irq_raise);
    const _: () = assert!(RAISE + 4 == core::mem::offset_of!(EduRegs, irq_ack));
    bar.window::<Region<8, Align8>, RAISE>().cast::<u64>()
}

/// The device only answers 32-bit accesses below 0x80, so a 64-bit location there can only be
/// written as two halves. With `irq_raise` as the low half and `irq_ack` as the high one, the
/// order of the halves shows: low then high raises a cause and acknowledges it, high then low
/// acknowledges first and leaves the cause pending.
fn check_split_writes(regs: Mmio<'_, EduRegs>, pair: Mmio<'_, u64>) -> Result {
    const CAUSE: u32 = 1 << 21;
    let both = (u64::from(CAUSE) << 32) | u64::from(CAUSE);
    io_write!(regs, .irq_ack, io_read!(regs, .irq_status));
    check_eq!(io_read!(regs, .irq_status), 0);
    pair.write_lo_hi(both);
    check_eq!(io_read!(regs, .irq_status), 0);
    pair.write_hi_lo(both);
    check_eq!(io_read!(regs, .irq_status), CAUSE);
    io_write!(regs, .irq_ack, CAUSE);
    check_eq!(io_read!(regs, .irq_status), 0);
    Ok(())
}

/// How many times each context of [`check_registers_from_every_cpu`] writes `liveness`.
const LIVENESS_ROUNDS: u32 = 300;

/// Every context writes `liveness` with values of its own and reads it back, and reads `id`, all
/// at once: the device takes each 32-bit access whole, so every read of `liveness` is the inverse
/// of one whole value that some context wrote, and `id` never reads as anything else.
fn check_registers_from_every_cpu(suite: &Suite<'_>, regs: Mmio<'_, EduRegs>) -> Result {
    let own: [Atomic<u32>; CONTEXTS] = [const { Atomic::new(0) }; CONTEXTS];
    let scope = smp::scope(&|ctx| {
        // CAST: A context number is tiny.
        let writer = ctx as u32 + 1;
        for round in 0..LIVENESS_ROUNDS {
            check_eq!(io_read!(regs, .id), EDU_ID);
            let value = (writer << 24) | round;
            io_write!(regs, .liveness, value);
            let back = !io_read!(regs, .liveness);
            // Whoever wrote last, it is a whole value that a context wrote.
            check!((1..=CONTEXTS as u32).contains(&(back >> 24)));
            check!(back & 0xff_ffff < LIVENESS_ROUNDS);
            if back == value {
                own[ctx].add(1, Relaxed);
            }
        }
        Ok(())
    })?;
    let own: [u32; CONTEXTS] = core::array::from_fn(|ctx| own[ctx].load(Relaxed));
    suite.note(fmt!(
        "summary: liveness and id from {} contexts on CPUs {:?}, {} rounds each: every read \
         whole; reads of a context's own last write: {:?}",
        CONTEXTS,
        scope.ran_on,
        LIVENESS_ROUNDS,
        own
    ));
    scope.result()?;
    check!(scope.spread());
    Ok(())
}

/// The stripes of [`check_coherent_shared`]: one per context, in the coherent buffer at
/// `SMP_OUT`, moved by the device to `SMP_DEVICE_OFFSET` in its buffer and back to `SMP_BACK`.
const SMP_STRIPE: usize = 0x80;
const SMP_LEN: usize = CONTEXTS * SMP_STRIPE;
const SMP_OUT: usize = 0x300;
const SMP_BACK: usize = 0xb00;
const SMP_DEVICE_OFFSET: u64 = 0xc00;
/// The 64-bit location of the coherent buffer that one context writes and the others read.
// Only a 64-bit kernel has the single 64-bit access that uses it; the layout asserts below
// reserve it on every kernel.
#[cfg_attr(not(CONFIG_64BIT), allow(dead_code))]
const SINGLE_AT: usize = 0x2f8;

const _: () = {
    assert!(OUT_START + XFER_LEN <= SINGLE_AT && SINGLE_AT + 8 <= SMP_OUT);
    assert!(SINGLE_AT % 8 == 0);
    assert!(SMP_OUT + SMP_LEN <= BACK_START);
    assert!(BACK_START + XFER_LEN <= SMP_BACK && SMP_BACK + SMP_LEN <= HOST_SIZE);
    assert!(SMP_DEVICE_OFFSET as usize + SMP_LEN <= 4096);
};

/// Byte `i` of context `ctx`'s stripe.
fn smp_stripe(ctx: usize, i: usize) -> u8 {
    // CAST: Truncation to the low byte is the pattern.
    (ctx * 0x51 + i * 7 + 0x33) as u8
}

/// Every context writes its stripe of the shared coherent buffer, a byte at a time, at once; then
/// one context writes [`smp::SINGLE_A`] and [`smp::SINGLE_B`] in turn to a 64-bit location of the
/// buffer with single 64-bit writes while the others read it (none may see anything else, bar the
/// zero it held). Last, the device's DMA engine moves the stripes to its buffer and back to
/// another window, where every byte must be what its context wrote: the device read what all the
/// CPUs wrote.
///
/// On a timeout the device may still be about to write into `buf`: see [`check_dma`].
fn check_coherent_shared(
    suite: &Suite<'_>,
    regs: Mmio<'_, EduRegs>,
    buf: &Coherent<[u8]>,
) -> Result {
    clear(buf)?;
    let out = io_project!(buf, [try: SMP_OUT..SMP_OUT + SMP_LEN]);
    let back = io_project!(buf, [try: SMP_BACK..SMP_BACK + SMP_LEN]);
    let scope = smp::scope(&|ctx| {
        let stripe = io_project!(out, [try: ctx * SMP_STRIPE..(ctx + 1) * SMP_STRIPE]);
        for i in 0..SMP_STRIPE {
            io_write!(stripe, [try: i], smp_stripe(ctx, i));
        }
        Ok(())
    })?;
    scope.result()?;
    check!(scope.spread());
    single_access(suite, buf)?;

    let to_device = DEVICE_BUFFER + SMP_DEVICE_OFFSET;
    dma_transfer(regs, out.dma_address(), to_device, SMP_LEN, 0)?;
    dma_transfer(regs, to_device, back.dma_address(), SMP_LEN, DMA_TO_RAM)?;
    let mut got = KVec::from_elem(0u8, SMP_LEN, GFP_KERNEL)?;
    back.try_copy_to_slice(&mut got)?;
    for (at, &byte) in got.iter().enumerate() {
        check_eq!(byte, smp_stripe(at / SMP_STRIPE, at % SMP_STRIPE));
    }
    suite.note(fmt!(
        "summary: coherent buffer shared by {} contexts on CPUs {:?}; their stripes moved by the \
         device's DMA engine, intact",
        CONTEXTS,
        scope.ran_on
    ));
    Ok(())
}

/// The 64-bit part of [`check_coherent_shared`], at [`SINGLE_AT`].
#[cfg(CONFIG_64BIT)]
fn single_access(suite: &Suite<'_>, buf: &Coherent<[u8]>) -> Result {
    let at = io_project!(buf, [try: SINGLE_AT..SINGLE_AT + 8]).try_cast::<u64>()?;
    let seen = smp::single_access(|| at.read_val(), |value| at.write_val(value))?;
    seen.report(suite, "coherent 64-bit location")?;
    check_eq!(at.read_val(), smp::SINGLE_B);
    Ok(())
}

/// A 32-bit kernel has no single 64-bit access to check.
#[cfg(not(CONFIG_64BIT))]
fn single_access(_suite: &Suite<'_>, _buf: &Coherent<[u8]>) -> Result {
    Ok(())
}

/// How many times each context raises its cause in [`check_raised_from_every_cpu`].
const SMP_RAISES: u32 = 32;

/// Every context raises a cause of its own, [`SMP_RAISES`] times, each time waiting until the
/// handler has counted it, all at once: the handler, on whichever CPU the interrupt comes,
/// counts exactly what each context raised, and acknowledges all of it.
fn check_raised_from_every_cpu(suite: &Suite<'_>, round: &str, irqs: &Interrupts<'_>) -> Result {
    let regs = irqs.regs;
    check_eq!(io_read!(regs, .irq_status), 0);
    irqs.causes.xchg(0, Full);
    let before = irqs.handled.load(Acquire);
    let scope = smp::scope(&|ctx| {
        let counted = &irqs.by_context[ctx];
        for raised in 0..SMP_RAISES {
            check_eq!(counted.load(Acquire), raised);
            io_write!(regs, .irq_raise, smp_cause(ctx));
            poll(|| counted.load(Acquire) != raised)?;
        }
        Ok(())
    })?;
    fsleep(SETTLE);
    let counted: [u32; CONTEXTS] = core::array::from_fn(|ctx| irqs.by_context[ctx].load(Acquire));
    suite.note(fmt!(
        "summary: {}: {} contexts on CPUs {:?} raised a cause {} times each; the handler \
         counted {:?} in {} interrupts",
        round,
        CONTEXTS,
        scope.ran_on,
        SMP_RAISES,
        counted,
        irqs.handled.load(Acquire).wrapping_sub(before)
    ));
    scope.result()?;
    check!(scope.spread());
    check_eq!(counted, [SMP_RAISES; CONTEXTS]);
    check_eq!(irqs.causes.xchg(0, Full) & !SMP_CAUSES, 0);
    check_eq!(io_read!(regs, .irq_status), 0);
    Ok(())
}

/// Has the device compute factorials, polling its status; returns the last one computed.
fn check_factorials(suite: &Suite<'_>, regs: Mmio<'_, EduRegs>) -> Result<(u32, u32)> {
    let computing = || regs.read(STATUS).computing().into_bool();
    let mut last = (0, 0);
    for n in [0u32, 1, 5, 10, 12] {
        // The device ignores a new operand while it is computing.
        check!(!computing());
        io_write!(regs, .factorial, n);
        let waited = poll(|| !computing())?;
        let result = io_read!(regs, .factorial);
        suite.note(fmt!("{}! = {} (after {} waits)", n, result, waited));
        check_eq!(result, factorial(n));
        last = (n, result);
    }
    Ok(last)
}

/// Starts one transfer of `len` bytes on the device's DMA engine.
fn dma_start(
    regs: Mmio<'_, EduRegs>,
    src: DmaAddress,
    dst: DmaAddress,
    len: usize,
    cmd: u64,
) -> Result {
    check_eq!(read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START, 0);
    write_dma_reg(io_project!(regs, .dma_src), src);
    write_dma_reg(io_project!(regs, .dma_dst), dst);
    write_dma_reg(io_project!(regs, .dma_count), len as u64);
    // The engine takes its parameters as long as it is idle: they read back as written.
    check_eq!(read_dma_reg(io_project!(regs, .dma_src)), src);
    check_eq!(read_dma_reg(io_project!(regs, .dma_dst)), dst);
    check_eq!(read_dma_reg(io_project!(regs, .dma_count)), len as u64);
    write_dma_reg(io_project!(regs, .dma_cmd), cmd | DMA_START);
    Ok(())
}

/// Waits, for a bounded time, until the DMA engine is idle; returns how many delays it took.
fn dma_idle(regs: Mmio<'_, EduRegs>) -> Result<u32> {
    poll(|| read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START == 0)
}

/// Runs one transfer of `len` bytes on the device's DMA engine and waits for its end.
fn dma_transfer(
    regs: Mmio<'_, EduRegs>,
    src: DmaAddress,
    dst: DmaAddress,
    len: usize,
    cmd: u64,
) -> Result<u32> {
    dma_start(regs, src, dst, len, cmd)?;
    dma_idle(regs)
}

/// Clears the whole of `buf` and makes sure it reads back clear, so that data found in it
/// afterwards can only have come from the device.
fn clear(buf: &Coherent<[u8]>) -> Result {
    let mut whole = KVec::from_elem(0u8, HOST_SIZE, GFP_KERNEL)?;
    buf.try_copy_from_slice(&whole)?;
    whole.fill(0xff);
    buf.try_copy_to_slice(&mut whole)?;
    check!(whole.iter().all(|&b| b == 0));
    Ok(())
}

/// Checks that the `XFER_LEN` bytes of `buf` at `start` are `want(0)`, `want(1)`, ... and that
/// every other byte is still clear: the device wrote the data, and exactly the window it was given.
fn check_came_back(buf: &Coherent<[u8]>, start: usize, want: impl Fn(usize) -> u8) -> Result {
    let mut whole = KVec::from_elem(0u8, HOST_SIZE, GFP_KERNEL)?;
    buf.try_copy_to_slice(&mut whole)?;
    let window = start..start + XFER_LEN;
    let expected = |i: usize| {
        if window.contains(&i) {
            want(i - start)
        } else {
            0
        }
    };
    if let Some(i) = (0..HOST_SIZE).find(|&i| whole[i] != expected(i)) {
        pr_err!(
            "    # byte {:#x} of the buffer is {:#04x}, expected {:#04x}\n",
            i,
            whole[i],
            expected(i)
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// Transfers a pattern from one window of `buf` to the device and back into another window;
/// returns whether the data came back.
///
/// On a timeout the device may still be about to write into `buf`, so the caller must not free
/// it; every other error leaves the engine idle.
fn check_dma(
    suite: &mut Suite<'_>,
    regs: Mmio<'_, EduRegs>,
    buf: &Coherent<[u8]>,
    mask_bits: u32,
) -> Result<bool> {
    // [guide:coherent-windows]
    // Two windows of one coherent buffer, each a view that knows its device address.
    let out = io_project!(buf, [try: OUT_START..OUT_START + XFER_LEN]);
    let back = io_project!(buf, [try: BACK_START..BACK_START + XFER_LEN]);
    let base = buf.dma_address();
    // [end guide:coherent-windows]
    suite.note(fmt!(
        "coherent buffer {:#x}+{:#x}; windows at {:#x} and {:#x}",
        base,
        buf.size(),
        out.dma_address(),
        back.dma_address()
    ));

    let mut data = KVec::with_capacity(XFER_LEN, GFP_KERNEL)?;
    for i in 0..XFER_LEN {
        data.push(pattern(i), GFP_KERNEL)?;
    }

    suite.run("dma_address_of_projections", || {
        check_eq!(out.dma_address(), base + OUT_START as DmaAddress);
        check_eq!(back.dma_address(), base + BACK_START as DmaAddress);
        // The device drops the address bits above its DMA mask, which is the driver's.
        let last = base + (HOST_SIZE - 1) as DmaAddress;
        check_eq!(last.checked_shr(mask_bits).unwrap_or(0), 0);
        Ok(())
    });

    out.try_copy_from_slice(&data)?;
    let waited = dma_transfer(
        regs,
        out.dma_address(),
        DEVICE_BUFFER + DEVICE_OFFSET,
        XFER_LEN,
        0,
    )?;
    suite.note(fmt!(
        "RAM to device: {} bytes after {} waits",
        XFER_LEN,
        waited
    ));

    clear(buf)?;
    let waited = dma_transfer(
        regs,
        DEVICE_BUFFER + DEVICE_OFFSET,
        back.dma_address(),
        XFER_LEN,
        DMA_TO_RAM,
    )?;
    suite.note(fmt!(
        "device to RAM: {} bytes after {} waits",
        XFER_LEN,
        waited
    ));

    Ok(suite.run("dma_round_trip", || {
        check_came_back(buf, BACK_START, pattern)
    }))
}

/// What the interrupt handler found, shared between it and the probe.
struct Interrupts<'a> {
    regs: Mmio<'a, EduRegs>,
    /// Interrupts that found causes pending in `irq_status` (and acknowledged them).
    handled: Atomic<u32>,
    /// The causes they found, ORed, since the probe last took them.
    causes: Atomic<u32>,
    /// Interrupts that found no cause pending: not this device's, on a shared INTx line.
    unclaimed: Atomic<u32>,
    /// Interrupts that found [`FACTORIAL_DONE`] pending.
    factorial: Atomic<u32>,
    /// Interrupts that found [`DMA_DONE`] pending.
    dma: Atomic<u32>,
    /// Interrupts that found any other cause pending ([`RAISED`]).
    other: Atomic<u32>,
    /// For each context of [`check_raised_from_every_cpu`], the interrupts that found its cause.
    by_context: [Atomic<u32>; CONTEXTS],
}

impl irq::Handler for Interrupts<'_> {
    fn handle(&self) -> IrqReturn {
        let pending = io_read!(self.regs, .irq_status);
        if pending == 0 {
            self.unclaimed.add(1, Relaxed);
            return IrqReturn::None;
        }
        // Exactly what was read: a cause raised since then stays pending and interrupts again.
        io_write!(self.regs, .irq_ack, pending);
        let mut seen = self.causes.load(Relaxed);
        while let Err(now) = self.causes.cmpxchg(seen, seen | pending, Relaxed) {
            seen = now;
        }
        if pending & FACTORIAL_DONE != 0 {
            self.factorial.add(1, Relaxed);
        }
        if pending & DMA_DONE != 0 {
            self.dma.add(1, Relaxed);
        }
        if pending & !(FACTORIAL_DONE | DMA_DONE | SMP_CAUSES) != 0 {
            self.other.add(1, Relaxed);
        }
        if pending & SMP_CAUSES != 0 {
            // A context raises its cause again once it sees it counted: the acknowledgement must
            // have reached the device by then, which a read from the device makes sure of.
            let _ = io_read!(self.regs, .irq_status);
            for ctx in 0..CONTEXTS {
                if pending & smp_cause(ctx) != 0 {
                    self.by_context[ctx].fetch_add(1, Release);
                }
            }
        }
        // Publishes the causes, and the acknowledgement before it, to whoever sees the count.
        self.handled.fetch_add(1, Release);
        IrqReturn::Handled
    }
}

/// What the interrupt handler counted, for the summary.
struct InterruptCounts {
    /// The type of interrupt: MSI-X, MSI or INTx.
    kind: &'static str,
    handled: u32,
    unclaimed: u32,
    factorial: u32,
    dma: u32,
    other: u32,
}

/// Has `trigger` make the device raise `cause`, and checks that exactly one interrupt comes
/// within the bounded wait (and no second one in the time after), that its handler found exactly
/// `cause` pending, and that `irq_status` reads 0 afterwards: the handler acknowledged it through
/// the device's register. Returns how many delays the interrupt took.
fn check_one_interrupt(
    irqs: &Interrupts<'_>,
    cause: u32,
    trigger: impl FnOnce() -> Result,
) -> Result<u32> {
    check_eq!(io_read!(irqs.regs, .irq_status), 0);
    check_eq!(irqs.causes.xchg(0, Full), 0);
    let before = irqs.handled.load(Acquire);
    trigger()?;
    let waited = poll(|| irqs.handled.load(Acquire) != before)?;
    fsleep(SETTLE);
    // Both taken before either is checked: a failure leaves no cause behind for the next check.
    let handled = irqs.handled.load(Acquire).wrapping_sub(before);
    let causes = irqs.causes.xchg(0, Full);
    check_eq!(handled, 1);
    check_eq!(causes, cause);
    check_eq!(io_read!(irqs.regs, .irq_status), 0);
    Ok(waited)
}

/// A factorial started with `irq_when_done` set interrupts once, with cause
/// [`FACTORIAL_DONE`], and the result is there when it does: no polling of the status.
fn check_factorial_interrupt(
    suite: &Suite<'_>,
    round: &str,
    irqs: &Interrupts<'_>,
) -> Result<(u32, u32)> {
    const N: u32 = 11;
    let regs = irqs.regs;
    check!(!regs.read(STATUS).computing().into_bool());
    regs.update(STATUS, |status| status.with_irq_when_done(true));
    let result = check_one_interrupt(irqs, FACTORIAL_DONE, || {
        io_write!(regs, .factorial, N);
        Ok(())
    });
    regs.update(STATUS, |status| status.with_irq_when_done(false));
    let waited = result?;
    check!(!regs.read(STATUS).computing().into_bool());
    let result = io_read!(regs, .factorial);
    suite.note(fmt!(
        "{}: {}! = {} (after {} waits)",
        round,
        N,
        result,
        waited
    ));
    check_eq!(result, factorial(N));
    Ok((N, result))
}

/// A round trip whose two transfers each ask for an interrupt: each raises exactly one, with
/// cause [`DMA_DONE`], once the engine is idle again, and the data come back.
///
/// On a timeout the device may still be about to write into `buf`: see [`check_dma`].
fn check_dma_interrupts(
    suite: &Suite<'_>,
    round: &str,
    irqs: &Interrupts<'_>,
    buf: &Coherent<[u8]>,
) -> Result {
    let regs = irqs.regs;
    let out = io_project!(buf, [try: OUT_START..OUT_START + XFER_LEN]);
    let back = io_project!(buf, [try: BACK_START..BACK_START + XFER_LEN]);
    let mut data = KVec::with_capacity(XFER_LEN, GFP_KERNEL)?;
    for i in 0..XFER_LEN {
        data.push(irq_pattern(i), GFP_KERNEL)?;
    }

    clear(buf)?;
    out.try_copy_from_slice(&data)?;
    let to_device = DEVICE_BUFFER + IRQ_DEVICE_OFFSET;
    let waited = check_one_interrupt(irqs, DMA_DONE, || {
        dma_start(
            regs,
            out.dma_address(),
            to_device,
            XFER_LEN,
            DMA_IRQ_WHEN_DONE,
        )
    })?;
    check_eq!(read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START, 0);
    suite.note(fmt!(
        "{}: RAM to device, {} bytes, after {} waits",
        round,
        XFER_LEN,
        waited
    ));

    clear(buf)?;
    let waited = check_one_interrupt(irqs, DMA_DONE, || {
        dma_start(
            regs,
            to_device,
            back.dma_address(),
            XFER_LEN,
            DMA_TO_RAM | DMA_IRQ_WHEN_DONE,
        )
    })?;
    check_eq!(read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START, 0);
    suite.note(fmt!(
        "{}: device to RAM, {} bytes, after {} waits",
        round,
        XFER_LEN,
        waited
    ));
    check_came_back(buf, BACK_START, irq_pattern)
}

/// A round of [`exercise_interrupts`]: the interrupt types it asks for, and its names.
struct Round {
    /// What its notes and steps start with.
    name: &'static str,
    /// The interrupt types it may allocate, the best first.
    types: fn() -> IrqTypes,
    /// Its cases, in order: a factorial, DMA transfers and `irq_raise` interrupt, then every CPU
    /// raises causes at once.
    cases: [&'static str; 4],
}

/// The rounds of interrupts: MSI-X, MSI or INTx, the first that the device offers (edu has an MSI
/// capability and no MSI-X); then INTx, the level-triggered line that only the handler's
/// acknowledgement lowers.
const ROUNDS: [Round; 2] = [
    Round {
        name: "interrupt",
        types: IrqTypes::all,
        cases: [
            "interrupt_factorial",
            "interrupt_dma",
            "interrupt_raised",
            "interrupt_raised_from_every_cpu",
        ],
    },
    Round {
        name: "intx",
        types: || IrqTypes::default().with(IrqType::Intx),
        cases: [
            "intx_factorial",
            "intx_dma",
            "intx_raised",
            "intx_raised_from_every_cpu",
        ],
    },
];

/// The cases of the suite, in the order [`exercise`] reports them, the rounds' last. On
/// architectures where a declined access width is an external abort, the two narrow-width cases
/// are reported as skipped.
const CASES: [&str; 23] = ktap::join(&[
    &[
        "identification",
        "liveness",
        "narrow_writes_ignored",
        "narrow_reads_unanswered",
        "dma_registers_32_and_64_bit",
        "relaxed_liveness",
        "relaxed_factorial",
        "interrupt_status",
        "split_writes_in_order",
        "factorial",
        "registers_from_every_cpu",
        "dma_address_of_projections",
        "dma_round_trip",
        "dma",
        "coherent_shared_by_every_cpu",
    ],
    &ROUNDS[0].cases,
    &ROUNDS[1].cases,
]);

/// The name of an interrupt type, for the log.
fn irq_type_name(irq_type: IrqType) -> &'static str {
    match irq_type {
        IrqType::Intx => "INTx",
        IrqType::Msi => "MSI",
        IrqType::MsiX => "MSI-X",
    }
}

/// Requests the device's interrupt as one of the types of `round`, has the device raise it in
/// each of its ways, one case each, and frees it again: the handler's registration first, then
/// the vectors. Returns what the handler counted.
fn exercise_interrupts(
    pdev: &pci::Device<Core<'_>>,
    suite: &mut Suite<'_>,
    round: &Round,
    regs: Mmio<'_, EduRegs>,
    buf: &Coherent<[u8]>,
    summary: &mut Summary,
) -> Result<InterruptCounts> {
    // From here on, `round` is the round's name.
    let &Round {
        name: round,
        types,
        cases: [factorial_case, dma_case, raised_case, every_cpu_case],
    } = round;
    // Nothing left pending by the checks before: the first interrupt is one of ours.
    io_write!(regs, .irq_ack, io_read!(regs, .irq_status));

    let vectors = suite.step(
        fmt!("{}: alloc_irq_vectors", round),
        pdev.alloc_irq_vectors(1, 1, types()),
    )?;
    let kind = irq_type_name(vectors.irq_type());
    let vector = vectors.index(0);
    let request = IrqRequest::from(suite.step(fmt!("{}: irq_vector_0", round), vector)?);
    suite.note(fmt!(
        "{}: {} vector of type {}, irq {}",
        round,
        vectors.len(),
        kind,
        request.irq()
    ));
    let handler = try_init!(Interrupts {
        regs,
        handled: Atomic::new(0),
        causes: Atomic::new(0),
        unclaimed: Atomic::new(0),
        factorial: Atomic::new(0),
        dma: Atomic::new(0),
        other: Atomic::new(0),
        by_context: [const { Atomic::new(0) }; CONTEXTS],
    }? Error);
    // SAFETY: The registration is dropped at the end of this function, never forgotten.
    let registration = unsafe { Registration::new(request, Flags::SHARED, c"io_edu", handler) };
    let registration = suite.step(
        fmt!("{}: request_irq", round),
        KBox::pin_init(registration, GFP_KERNEL),
    )?;
    let irqs = registration.handler();

    let result = check_factorial_interrupt(suite, round, irqs);
    if summary.factorial_irq.is_none() {
        summary.factorial_irq = result.ok();
    }
    suite.case(factorial_case, result.map(|_| ()));

    let result = check_dma_interrupts(suite, round, irqs, buf);
    if result.is_ok() {
        summary.dma_irq_bytes += 2 * XFER_LEN;
    }
    // A transfer that timed out may still write into the buffer: the caller checks the engine.
    suite.case(dma_case, result);

    let result = check_one_interrupt(irqs, RAISED, || {
        io_write!(regs, .irq_raise, RAISED);
        Ok(())
    });
    suite.case(raised_case, result.map(|_| ()));

    // The summary's counts are those of the three cases above.
    let counts = InterruptCounts {
        kind,
        handled: irqs.handled.load(Acquire),
        unclaimed: irqs.unclaimed.load(Relaxed),
        factorial: irqs.factorial.load(Relaxed),
        dma: irqs.dma.load(Relaxed),
        other: irqs.other.load(Relaxed),
    };
    let result = check_raised_from_every_cpu(suite, round, irqs);
    suite.case(every_cpu_case, result);

    // `free_irq()` waits for a handler that is running; the vectors go after the handler.
    drop(registration);
    drop(vectors);
    suite.note(fmt!("{}: handler and vectors freed", round));
    Ok(counts)
}

/// What the device did, for the `summary:` lines.
#[derive(Default)]
struct Summary {
    id: Option<u32>,
    widths: bool,
    narrow_read: Option<u8>,
    relaxed: bool,
    factorial: Option<(u32, u32)>,
    factorial_relaxed: Option<(u32, u32)>,
    factorial_irq: Option<(u32, u32)>,
    dma_bytes: usize,
    dma_irq_bytes: usize,
    /// What the handler counted in each round that got as far as requesting the interrupt.
    interrupts: KVec<InterruptCounts>,
}

/// A factorial `(n, n!)` that the device computed, for a summary line, or its failure.
struct Computed(Option<(u32, u32)>);

impl kernel::fmt::Display for Computed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some((n, result)) => write!(f, "{}! = {}", n, result),
            None => f.write_str("FAILED"),
        }
    }
}

impl Summary {
    /// Prints the summary lines: what the device did, as its registers and interrupts showed.
    fn print(&self, suite: &Suite<'_>) {
        match self.id {
            Some(id) => suite.note(fmt!(
                "summary: edu version {}.{} (id {:#010x})",
                id >> 24,
                (id >> 16) & 0xff,
                id
            )),
            None => suite.note(fmt!("summary: identification failed")),
        }
        match self.narrow_read {
            Some(filler) if self.widths => suite.note(fmt!(
                "summary: access widths: below 0x80 32-bit only (8/16-bit writes ignored, reads \
                 give {:#04x}), from 0x80 32- and 64-bit",
                filler
            )),
            None if self.widths && !cfg!(CONFIG_X86) && cfg!(CONFIG_64BIT) => suite.note(fmt!(
                "summary: access widths: from 0x80 32- and 64-bit (narrower ones not tried: an \
                 external abort here)"
            )),
            None if self.widths && !cfg!(CONFIG_X86) => suite.note(fmt!(
                "summary: access widths: from 0x80 32-bit, a 64-bit register's low half only \
                 (no 64-bit access on this kernel; narrower ones not tried: an external abort \
                 here)"
            )),
            _ => suite.note(fmt!("summary: access widths: FAILED")),
        }
        suite.note(fmt!(
            "summary: relaxed accessors: {}",
            if self.relaxed {
                "reach the device (liveness answered, factorial computed)"
            } else {
                "FAILED"
            }
        ));
        suite.note(fmt!(
            "summary: factorials computed by the device: {} polled, {} relaxed, {} on interrupt",
            Computed(self.factorial),
            Computed(self.factorial_relaxed),
            Computed(self.factorial_irq)
        ));
        for counts in &self.interrupts {
            suite.note(fmt!(
                "summary: interrupts by {}: {} handled and acknowledged (factorial {}, DMA {}, \
                 raised {}), {} unclaimed",
                counts.kind,
                counts.handled,
                counts.factorial,
                counts.dma,
                counts.other,
                counts.unclaimed
            ));
        }
        if self.interrupts.is_empty() {
            suite.note(fmt!("summary: interrupts: none requested"));
        }
        suite.note(fmt!(
            "summary: DMA: bytes moved and verified: {} polling the engine, {} on its interrupts",
            self.dma_bytes,
            self.dma_irq_bytes
        ));
    }
}

/// Runs every check; `summary` collects what the device did as it goes.
fn exercise(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>, summary: &mut Summary) -> Result {
    let bar = suite.step(
        "map_bar0",
        pdev.iomap_region_sized::<{ size_of::<EduRegs>() }>(0, c"io_edu"),
    )?;
    // The BAR's own view is a region only known to be 4-byte aligned; BARs are naturally
    // aligned, which is checked once, here. From the 8-byte aligned region, the register block
    // with its 64-bit registers is a cast checked at build time.
    let bar8 = suite.step("align8_region", (&bar).try_as_region::<EduRegion>())?;
    // A view prints where it is, never what it holds; the address is hashed as `%p` hashes it.
    suite.note(fmt!("BAR0: {:?}", bar8));
    let regs = bar8.cast::<EduRegs>();

    let result = check_identification(suite, regs);
    summary.id = result.ok();
    suite.case("identification", result.map(|_| ()));
    suite.run("liveness", || check_liveness(regs));
    // An access narrower than the device takes is a failed bus cycle for QEMU. x86 drops the
    // write and reads a filler; arm and arm64 take an external abort, which the kernel cannot
    // recover from in a driver, so there the narrow accesses are not tried.
    #[cfg(CONFIG_X86)]
    let (narrow_writes, narrow_reads) = {
        let writes = suite.run("narrow_writes_ignored", || check_narrow_writes(regs));
        let result = check_narrow_reads(suite, regs);
        summary.narrow_read = result.ok();
        (
            writes,
            suite.case("narrow_reads_unanswered", result.map(|_| ())),
        )
    };
    #[cfg(not(CONFIG_X86))]
    let (narrow_writes, narrow_reads) = {
        const WHY: &str = "a declined access width is an external abort on this architecture";
        suite.skip("narrow_writes_ignored", WHY);
        suite.skip("narrow_reads_unanswered", WHY);
        (true, true)
    };
    let dma_widths = suite.run("dma_registers_32_and_64_bit", || {
        check_dma_register_widths(regs)
    });
    summary.widths = narrow_writes && narrow_reads && dma_widths;
    let relaxed = regs.relaxed();
    summary.relaxed = suite.run("relaxed_liveness", || check_relaxed_liveness(relaxed));
    let result = check_relaxed_factorial(suite, relaxed);
    summary.factorial_relaxed = result.ok();
    summary.relaxed &= result.is_ok();
    suite.case("relaxed_factorial", result.map(|_| ()));
    suite.run("interrupt_status", || check_interrupt_status(regs));
    suite.run("split_writes_in_order", || {
        check_split_writes(regs, irq_raise_ack(bar8))
    });
    let result = check_factorials(suite, regs);
    summary.factorial = result.ok();
    suite.case("factorial", result.map(|_| ()));
    let result = check_registers_from_every_cpu(suite, regs);
    suite.case("registers_from_every_cpu", result);

    // The device's DMA mask, as the module parameter gives it (tests/harness/boot.sh sets
    // both).
    let mask_bits = module_parameters::dma_bits.value();
    let result = DmaMask::try_new(mask_bits).and_then(|mask| {
        // SAFETY: Nothing else allocates or maps DMA memory for this device while it probes.
        unsafe { pdev.dma_set_mask_and_coherent(mask) }
    });
    suite.step(fmt!("dma_mask_{}_bits", mask_bits), result)?;

    let buf = suite.step(
        "coherent_alloc",
        Coherent::<u8>::zeroed_slice(pdev.as_ref(), HOST_SIZE, GFP_KERNEL),
    )?;

    let result = check_dma(suite, regs, &buf, mask_bits);
    if result == Ok(true) {
        summary.dma_bytes = 2 * XFER_LEN;
    }
    suite.case("dma", result.map(|_| ()));
    let result = check_coherent_shared(suite, regs, &buf);
    suite.case("coherent_shared_by_every_cpu", result);

    let mut result = Ok(());
    for round in &ROUNDS {
        result = exercise_interrupts(pdev, suite, round, regs, &buf, summary)
            .and_then(|counts| Ok(summary.interrupts.push(counts, GFP_KERNEL)?));
        if result.is_err() {
            break;
        }
    }

    // A transfer that timed out may still write into the buffer: better leak it than free it
    // under the device's feet.
    if dma_idle(regs).is_err() {
        suite.note(fmt!("DMA timed out; leaking the buffer"));
        core::mem::forget(buf);
    }
    result
}

// ---- Hot-unplug under load (`hotplug=1`) ----

/// BAR0, managed by devres: revoked when the device goes.
type EduBar<'a> = pci::Bar<'a, { size_of::<EduRegs>() }>;
type EduDevres = DevresLt<EduBar<'static>>;

/// The register block of a BAR: the base of a BAR is aligned, which is checked at runtime.
fn bar_regs<'a>(bar: &'a EduBar<'_>) -> Result<Mmio<'a, EduRegs>> {
    Ok(bar.try_as_region::<EduRegion>()?.cast::<EduRegs>())
}

/// What the loops, the interrupt handler and the driver share in hot-plug mode.
struct HotplugShared {
    bar: EduDevres,
    /// Open while the loops may write; the remove path revokes it, which waits until no write is
    /// in flight.
    writes: Pin<KBox<Revocable<()>>>,
    /// Per context: the interrupts it raised with its cause, and those the handler counted.
    raised: [Atomic<u32>; CONTEXTS],
    handled: [Atomic<u32>; CONTEXTS],
    /// Interrupts with [`RAISED`], the probe's own, that the handler counted.
    probe_raised: Atomic<u32>,
    /// Interrupts that found no cause pending.
    unclaimed: Atomic<u32>,
}

/// The loops' body: each round reads `id`, and while writes are open writes `liveness` and
/// raises its own cause once the handler has counted the last one.
struct Loads(Arc<HotplugShared>);

impl loops::LoopBody for Loads {
    const HANDLES: u32 = 1;

    fn round(&self, ctx: usize) -> Result {
        let shared = &*self.0;
        let bar = shared.bar.try_access().ok_or(ENXIO)?;
        let regs = bar_regs(&bar)?;
        check_eq!(io_read!(regs, .id), EDU_ID);
        if let Some(_open) = shared.writes.try_access() {
            let raised = shared.raised[ctx].load(Relaxed);
            // CAST: A context number is tiny.
            let value = ((ctx as u32 + 1) << 24) | (raised & 0xff_ffff);
            io_write!(regs, .liveness, value);
            check!((1..=CONTEXTS as u32).contains(&(!io_read!(regs, .liveness) >> 24)));
            if shared.handled[ctx].load(Acquire) == raised {
                shared.raised[ctx].store(raised + 1, Relaxed);
                io_write!(regs, .irq_raise, smp_cause(ctx));
            }
        }
        Ok(())
    }

    fn granted(&self) -> u32 {
        let bar = &self.0.bar;
        u32::from(bar.try_access().is_some() | bar.try_access_with(|_| ()).is_some())
    }
}

/// The interrupt handler of hot-plug mode: counts each context's cause, through the managed BAR
/// (a handler that finds it revoked claims nothing).
struct HotplugIrq(Arc<HotplugShared>);

impl irq::Handler for HotplugIrq {
    fn handle(&self) -> IrqReturn {
        let shared = &*self.0;
        let Some(bar) = shared.bar.try_access() else {
            return IrqReturn::None;
        };
        let Ok(regs) = bar_regs(&bar) else {
            return IrqReturn::None;
        };
        let pending = io_read!(regs, .irq_status);
        if pending == 0 {
            shared.unclaimed.add(1, Relaxed);
            return IrqReturn::None;
        }
        io_write!(regs, .irq_ack, pending);
        // The acknowledgement reaches the device before the counts say so.
        let _ = io_read!(regs, .irq_status);
        for ctx in 0..CONTEXTS {
            if pending & smp_cause(ctx) != 0 {
                shared.handled[ctx].fetch_add(1, Release);
            }
        }
        if pending & RAISED != 0 {
            shared.probe_raised.fetch_add(1, Release);
        }
        IrqReturn::Handled
    }
}

/// The device's interrupt vector and its handler's registration, kept for as long as the device
/// is bound: the registration borrows the vectors, so both live in one owner, which frees the
/// registration first.
struct BoundIrq<'bound> {
    registration: ManuallyDrop<Pin<KBox<Registration<'bound, HotplugIrq>>>>,
    /// Owned: it comes from `KBox::into_raw()`, and [`Drop`] frees it after the registration.
    vectors: NonNull<IrqVectorRegistration<'bound>>,
}

// SAFETY: `BoundIrq` owns what `vectors` points to as a `KBox` would, and the vectors may be sent
// to another thread; so may the registration.
unsafe impl Send for BoundIrq<'_> {}

impl<'bound> BoundIrq<'bound> {
    /// Allocates one MSI (or MSI-X) vector of the device and registers `handler` for it.
    fn request(pdev: &'bound pci::Device<Bound>, handler: HotplugIrq) -> Result<Self> {
        let msi = IrqTypes::default().with(IrqType::Msi).with(IrqType::MsiX);
        let vectors = KBox::new(pdev.alloc_irq_vectors(1, 1, msi)?, GFP_KERNEL)?;
        let vectors = NonNull::from(KBox::leak(vectors));
        let free = ScopeGuard::new(|| {
            // SAFETY: Nothing borrows the vectors if the registration below failed.
            drop(unsafe { KBox::from_raw(vectors.as_ptr()) })
        });
        // SAFETY: The vectors stay where they are until `drop` (or the guard above) frees them,
        // and that happens only after the registration that borrows them is gone.
        let borrowed: &'bound IrqVectorRegistration<'bound> = unsafe { vectors.as_ref() };
        let request = IrqRequest::from(borrowed.index(0)?);
        // SAFETY: The registration is dropped in `drop`, never forgotten.
        let registration = unsafe {
            Registration::new(request, Flags::SHARED, c"io_edu", Ok::<_, Error>(handler))
        };
        let registration = KBox::pin_init(registration, GFP_KERNEL)?;
        free.dismiss();
        Ok(Self {
            registration: ManuallyDrop::new(registration),
            vectors,
        })
    }
}

impl Drop for BoundIrq<'_> {
    fn drop(&mut self) {
        // SAFETY: Dropped once, here, before the vectors it borrows. `free_irq()` waits for a
        // handler that is running.
        unsafe { ManuallyDrop::drop(&mut self.registration) };
        // SAFETY: `vectors` came from `KBox::leak()` in `request`, and nothing borrows it any
        // more.
        drop(unsafe { KBox::from_raw(self.vectors.as_ptr()) });
    }
}

/// What a device bound in hot-plug mode keeps. The interrupt is declared first, so it is freed
/// first.
struct Hotplug<'bound> {
    _irq: BoundIrq<'bound>,
    shared: Arc<HotplugShared>,
    loops: Arc<loops::LoopsAtRelease<Loads>>,
    instance: u32,
}

/// The probe's checks in hot-plug mode, on a device just added: identification, `liveness`, a
/// factorial.
fn hotplug_checks(regs: Mmio<'_, EduRegs>) -> Result {
    check_eq!(io_read!(regs, .id), EDU_ID);
    for value in [0x1234_5678u32, 0xa5a5_5a5a] {
        io_write!(regs, .liveness, value);
        check_eq!(io_read!(regs, .liveness), !value);
    }
    const N: u32 = 10;
    io_write!(regs, .factorial, N);
    poll(|| !regs.read(STATUS).computing().into_bool())?;
    check_eq!(io_read!(regs, .factorial), factorial(N));
    Ok(())
}

/// Probes in hot-plug mode: checks the device, hands the BAR to devres, requests the interrupt
/// (checked with one raised cause) and starts a loop on each CPU.
fn hotplug_probe<'bound>(
    pdev: &'bound pci::Device<Core<'_>>,
    instance: u32,
) -> Result<Hotplug<'bound>> {
    // Registered before the BAR, so released after it: the loops meet the revocation.
    let loops = loops::LoopsAtRelease::register(pdev.as_ref(), instance)?;
    let bar: EduBar<'_> = pdev.iomap_region_sized(0, c"io_edu")?;
    hotplug_checks(bar_regs(&bar)?)?;
    let shared = Arc::new(
        HotplugShared {
            bar: bar.into_devres()?,
            writes: KBox::pin_init(Revocable::new(()), GFP_KERNEL)?,
            raised: [const { Atomic::new(0) }; CONTEXTS],
            handled: [const { Atomic::new(0) }; CONTEXTS],
            probe_raised: Atomic::new(0),
            unclaimed: Atomic::new(0),
        },
        GFP_KERNEL,
    )?;
    let irq = BoundIrq::request(pdev, HotplugIrq(shared.clone()))?;
    {
        let bar = shared.bar.access(pdev.as_ref())?;
        let regs = bar_regs(bar)?;
        io_write!(regs, .irq_ack, io_read!(regs, .irq_status));
        io_write!(regs, .irq_raise, RAISED);
        poll(|| shared.probe_raised.load(Acquire) == 1)?;
        check_eq!(io_read!(regs, .irq_status), 0);
    }
    loops.start(Loads(shared.clone()))?;
    Ok(Hotplug {
        _irq: irq,
        shared,
        loops,
        instance,
    })
}

impl Hotplug<'_> {
    /// The remove path, with the device still bound: stops the loops' writes and interrupts,
    /// waits for the handler to count the last ones, then checks that it counted exactly what
    /// each loop raised. The loops go on reading `id` until devres revokes the BAR.
    fn unbind(&self, pdev: &pci::Device<Core<'_>>) {
        let shared = &*self.shared;
        // Waits for every write in flight: none starts after it.
        shared.writes.revoke();
        let settled = poll(|| {
            (0..CONTEXTS).all(|c| shared.handled[c].load(Acquire) == shared.raised[c].load(Relaxed))
        });
        let raised: [u32; CONTEXTS] = core::array::from_fn(|c| shared.raised[c].load(Relaxed));
        let handled: [u32; CONTEXTS] = core::array::from_fn(|c| shared.handled[c].load(Acquire));
        let status = shared
            .bar
            .access(pdev.as_ref())
            .and_then(|bar| Ok(io_read!(bar_regs(bar)?, .irq_status)));
        let agrees = settled.is_ok()
            && raised == handled
            && raised.iter().all(|&r| r > 0)
            && status == Ok(0);
        pr_info!(
            "hotplug: unbind {} #{}: {}: interrupts raised {:?}, handled {:?}, irq_status {:?}, \
             {} unclaimed, {} rounds\n",
            pdev.as_ref().name(),
            self.instance,
            if agrees { "agrees" } else { "DISAGREES" },
            raised,
            handled,
            status,
            shared.unclaimed.load(Relaxed),
            self.loops.loops().map_or(0, |loops| loops.rounds())
        );
    }
}

struct EduDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <EduDriver as pci::Driver>::IdInfo,
    // `pci::Vendor` has no constant for QEMU's vendor ID 0x1234, so match edu's class
    // ("unclassified", sub-class 0xff) and check the IDs in `probe`.
    [(pci::DeviceId::from_class(0x00ff00, 0xffffff), ())]
);

impl pci::Driver for EduDriver {
    type IdInfo = ();
    /// In hot-plug mode, what the device keeps while bound.
    type Data<'bound> = Option<Hotplug<'bound>>;
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        if pdev.vendor_id().as_raw() != 0x1234 || pdev.device_id() != 0x11e8 {
            return Err(ENODEV);
        }
        pdev.enable_device_mem()?;
        pdev.set_master();

        if module_parameters::hotplug.value() {
            return loops::probe(pdev.as_ref(), |instance| {
                hotplug_probe(pdev, instance).map(Some)
            });
        }
        ktap::probe_suite("io_edu", pdev.as_ref(), &CASES, |suite| {
            let mut summary = Summary::default();
            let result = exercise(pdev, suite, &mut summary);
            summary.print(suite);
            result
        })?;
        Ok(None)
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        if let Some(hotplug) = &*this {
            hotplug.unbind(pdev);
        }
    }
}

kernel::module_pci_driver! {
    type: EduDriver,
    name: "io_edu",
    authors: ["The typed I/O project"],
    description: "Typed I/O sample for QEMU's edu device",
    license: "GPL v2",
    params: {
        dma_bits: u32 {
            default: 28,
            description: "Width of the device's DMA mask in bits (QEMU's edu: dma_mask)",
        },
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
        hotplug: bool {
            default: false,
            description: "Keep the device, with I/O loops on every CPU, for hot-unplug tests",
        },
    },
}
