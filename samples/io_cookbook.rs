// SPDX-License-Identifier: GPL-2.0

//! The recipes of the guide's cookbook (`Documentation/io/cookbook.rst`), as a driver that runs
//! each of them on QEMU's devices and checks what it did.
//!
//! The guide shows the code between the `[recipe:NAME]` and `[end recipe:NAME]` markers of this
//! file, so every line it shows is built and run by `make test`. One driver binds three devices,
//! each with the recipes its hardware can show, and reports them as one KTAP suite per device:
//!
//! - ivshmem-plain (1af4:1110), whose BAR2 is shared memory, stands for a device's register
//!   block: a driver that keeps its BAR in its driver data and derives views per call, typed
//!   registers with a queue array indexed at runtime, a 64-bit base split in two `u32`s, a copy
//!   out of a BAR window at an untrusted offset, and a BAR managed by `Devres` after unbind;
//! - edu (1234:11e8) has a DMA engine and an interrupt: a descriptor ring in coherent memory with
//!   little-endian fields, published with the right barrier and announced with an ordered
//!   doorbell write, completions read back with the right read barrier, a walk of its
//!   configuration space capabilities, and an interrupt handler where `?` is not available;
//! - pci-testdev (1b36:0005) has a BAR of I/O ports: port I/O through a typed view.
//!
//! QEMU must be started with `-device edu -device pci-testdev` and an `ivshmem-plain` device.

use core::hint::black_box;

use kernel::{
    device::Core,
    dma::{
        Device as _,
        DmaMask, //
    },
    io::{
        io_project,
        io_read,
        io_try_read,
        io_try_write,
        io_write,
        split,
        Align8,
        CoherentBuffer,
        Io,
        Le16,
        Le32,
        Mmio,
        Region, //
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
        IrqTypes, //
    },
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed, //
        },
        barrier::{
            dma_mb,
            Read,
            Write, //
        },
    },
    time::{
        delay::fsleep,
        Delta, //
    },
};

#[path = "common/check.rs"]
mod checks;
#[path = "common/devres_group.rs"]
mod devres_group;
#[path = "common/edu.rs"]
mod edu;
#[path = "common/ktap.rs"]
mod ktap;

use checks::{
    check,
    check_eq, //
};
use edu::{
    read_dma_reg,
    write_dma_reg,
    EduRegs,
    DEVICE_BUFFER,
    DMA_START,
    DMA_TO_RAM,
    EDU_ID, //
};
use ktap::Suite;

/// Waits until `done()` holds, for at most two seconds.
fn poll(mut done: impl FnMut() -> bool) -> Result {
    for _ in 0..2000 {
        if done() {
            return Ok(());
        }
        fsleep(Delta::from_millis(1));
    }
    if done() {
        Ok(())
    } else {
        Err(ETIMEDOUT)
    }
}

// ---- ivshmem-plain: registers, windows and a managed BAR ----

// [recipe:register-block]
/// One queue of the device: where it is and how far the device got.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Queue {
    head: u32,
    tail: u32,
    size: u32,
    flags: u32,
}

/// The device's register block, at the start of its BAR.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Mailbox {
    ctrl: u32,
    status: u32,
    /// A 64-bit base address that the device takes as two 32-bit halves.
    base_lo: u32,
    base_hi: u32,
    queues: [Queue; 8],
    /// Where the device put a message, and how long it is: the device's numbers, untrusted.
    msg_offset: u32,
    msg_len: u32,
}

/// Sets queue `n` (a number that came from elsewhere: checked at runtime) to `size` entries.
fn setup_queue(regs: Mmio<'_, Mailbox>, n: usize, size: u32) -> Result {
    let queue = io_project!(regs, .queues[try: n]);
    io_write!(queue, .size, size);
    io_write!(queue, .head, 0);
    io_write!(queue, .tail, 0);
    Ok(())
}
// [end recipe:register-block]

/// The BAR of the shared memory, and the part of it the recipes use.
const SHM_BAR: u32 = 2;
const SHM_SIZE: usize = 0x4000;
/// Where in the shared memory the recipes' register block sits: past what the other drivers
/// that bind ivshmem use at its start, and before the layout its observer checks (at 0x10000).
const MAILBOX_AT: usize = 0x3000;

// [recipe:driver-data]
/// What the driver keeps for a bound device: the BAR itself, mapped for as long as the device is
/// bound (`'bound`), never a view of it.
struct IvshmemData<'bound> {
    bar: pci::Bar<'bound, SHM_SIZE>,
}

impl IvshmemData<'_> {
    /// The register block, derived from the BAR on each call: a cast checked at build time,
    /// which costs nothing at runtime.
    fn regs(&self) -> Mmio<'_, Mailbox> {
        (&self.bar)
            .window::<Region<0x1000>, MAILBOX_AT>()
            .cast::<Mailbox>()
    }

    /// One access through a view derived for it.
    fn status(&self) -> u32 {
        io_read!(self.regs(), .status)
    }
}
// [end recipe:driver-data]

// [recipe:split-register]
/// Tells the device where its buffer is: a 64-bit address in two 32-bit registers, the low half
/// first, as C's `lo_hi_writeq(base, &regs->base_lo)`.
fn set_base(regs: Mmio<'_, Mailbox>, base: u64) {
    split::write_lo_hi(
        io_project!(regs, .base_lo),
        io_project!(regs, .base_hi),
        base,
    );
}

/// Reads the base back, the high half first (`hi_lo_readq()`).
fn base(regs: Mmio<'_, Mailbox>) -> u64 {
    split::read_hi_lo(io_project!(regs, .base_lo), io_project!(regs, .base_hi))
}
// [end recipe:split-register]

// [recipe:window-copy]
/// Copies the message the device reports (its offset and length in the BAR, both the device's
/// numbers) into `out`, which must be at least as long. Nothing here can overflow: the window is
/// checked without computing `offset + len`, and any value the device gives that does not fit
/// is an error, never an access.
fn copy_message<const SIZE: usize>(
    bar: &pci::Bar<'_, SIZE>,
    regs: Mmio<'_, Mailbox>,
    out: &mut [u8],
) -> Result<usize> {
    let offset = io_read!(regs, .msg_offset) as usize;
    let len = io_read!(regs, .msg_len) as usize;
    let window = bar.try_byte_window(offset, len)?;
    window.try_copy_to_slice(out.get_mut(..len).ok_or(EINVAL)?)?;
    Ok(len)
}
// [end recipe:window-copy]

/// The cases of the ivshmem suite, in the order [`ivshmem_recipes`] runs them.
const IVSHMEM_CASES: [&str; 5] = [
    "driver_data_keeps_the_bar",
    "register_block_queue_at_runtime_index",
    "split_64bit_base",
    "window_copy_untrusted_offset",
    "devres_bar_after_unbind",
];

fn ivshmem_recipes(
    pdev: &pci::Device<Core<'_>>,
    data: &IvshmemData<'_>,
    suite: &mut Suite<'_>,
) -> Result {
    let regs = data.regs();
    suite.run("driver_data_keeps_the_bar", || {
        io_write!(regs, .status, 0x5a5a);
        check_eq!(data.status(), 0x5a5a);
        check_eq!((&data.bar).try_read32(MAILBOX_AT + 4), Ok(0x5a5a));
        Ok(())
    });
    suite.run("register_block_queue_at_runtime_index", || {
        for n in 0..8 {
            setup_queue(regs, black_box(n), 64 << n)?;
        }
        check_eq!(io_read!(regs, .queues[build: 5].size), 64 << 5);
        check_eq!(setup_queue(regs, black_box(8), 1), Err(ERANGE));
        // The queue array, as the device sees it, at its offset in the BAR.
        check_eq!(
            (&data.bar).try_read32(MAILBOX_AT + 16 + 3 * 16 + 8),
            Ok(64 << 3)
        );
        Ok(())
    });
    suite.run("split_64bit_base", || {
        set_base(regs, 0x0123_4567_89ab_cdef);
        check_eq!(io_read!(regs, .base_lo), 0x89ab_cdef);
        check_eq!(io_read!(regs, .base_hi), 0x0123_4567);
        check_eq!(base(regs), 0x0123_4567_89ab_cdef);
        Ok(())
    });
    suite.run("window_copy_untrusted_offset", || {
        let message = b"a message the device left in its BAR";
        let at = MAILBOX_AT + 0x200;
        (&data.bar)
            .try_byte_window(at, message.len())?
            .copy_from_slice(message);
        let mut out = [0u8; 64];
        io_write!(regs, .msg_offset, at as u32);
        io_write!(regs, .msg_len, message.len() as u32);
        check_eq!(copy_message(&data.bar, regs, &mut out), Ok(message.len()));
        check_eq!(&out[..message.len()], message);
        // What a broken or hostile device might report: the BAR is mapped whole, so "out of
        // range" is measured against its real size, not the part the recipes use.
        let end = u32::try_from((&data.bar).size())?;
        for (offset, len) in [(u32::MAX, 8), (end - 4, 8), (end, 1), (0, u32::MAX)] {
            io_write!(regs, .msg_offset, offset);
            io_write!(regs, .msg_len, len);
            check_eq!(copy_message(&data.bar, regs, &mut out), Err(ERANGE));
        }
        // A message longer than the caller's buffer.
        io_write!(regs, .msg_offset, at as u32);
        io_write!(regs, .msg_len, 65);
        check_eq!(copy_message(&data.bar, regs, &mut out), Err(EINVAL));
        Ok(())
    });
    suite.run("devres_bar_after_unbind", || devres_bar(pdev));
    Ok(())
}

// [recipe:devres]
/// A BAR handed to the device's managed resources, for code that outlives the probe's borrow of
/// the device (a work item, a timer): the `DevresBar` may be kept anywhere, and every access goes
/// through `access()`, which fails once the driver is unbound.
fn doorbell_count(
    bar: &pci::DevresBar<0x100>,
    dev: &kernel::device::Device<kernel::device::Bound>,
) -> Result<u32> {
    let bar = bar.access(dev)?;
    bar.try_read32(0x0c)
}
// [end recipe:devres]

/// The managed BAR0 of ivshmem, reached while bound and refused after the release that unbinding
/// runs (here released by a devres group that holds only it).
fn devres_bar(pdev: &pci::Device<Core<'_>>) -> Result {
    let dev: &kernel::device::Device<Core<'_>> = pdev.as_ref();
    let dev: &kernel::device::Device<kernel::device::Bound> = dev;
    let group = devres_group::DevresGroup::open(pdev)?;
    let bar = pdev
        .iomap_region_sized::<0x100>(0, c"io_cookbook")?
        .into_devres()?;
    // ivshmem's register 0x0c is the doorbell, which reads as zero.
    check_eq!(doorbell_count(&bar, dev), Ok(0));
    check_eq!(group.release(), 1);
    check!(bar.try_access().is_none());
    check_eq!(
        bar.try_access_with(|bar| bar.size()).ok_or(ENXIO),
        Err(ENXIO)
    );
    Ok(())
}

// ---- edu: DMA ring, completions, capabilities and an interrupt handler ----

/// BAR0, mapped as at least as large as the registers.
type EduBar<'a> = pci::Bar<'a, { size_of::<EduRegs>() }>;

// [recipe:align8-registers]
/// edu's registers in its BAR0. They include 64-bit ones, which need a region known to be 8-byte
/// aligned: that is checked once, here, at runtime (`EINVAL` if it were not); every register
/// access through the view it returns is then checked when the driver is built.
fn edu_registers<'a>(bar: &'a EduBar<'_>) -> Result<Mmio<'a, EduRegs>> {
    let region = bar.try_as_region::<Region<{ size_of::<EduRegs>() }, Align8>>()?;
    Ok(region.cast::<EduRegs>())
}
// [end recipe:align8-registers]

// [recipe:relaxed-poll]
/// Has edu compute `n!`. An ordered write starts the computation; the busy bit is polled
/// through a relaxed view (`readl_relaxed()`: no barrier on each read of the loop), and the
/// result is read once the bit is clear. Accesses to one device are never reordered among
/// themselves, relaxed or not: only their order against memory is.
fn factorial(regs: Mmio<'_, EduRegs>, n: u32) -> Result<u32> {
    const STATUS_COMPUTING: u32 = 0x01;
    io_write!(regs, .factorial, n);
    let relaxed = regs.relaxed();
    poll(|| io_read!(relaxed, .status) & STATUS_COMPUTING == 0)?;
    Ok(io_read!(regs, .factorial))
}
// [end recipe:relaxed-poll]

// [recipe:dma-ring]
/// One descriptor, as the device reads it: little-endian fields, and the prelude's derives only.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Desc {
    addr: Le32,
    len: Le16,
    flags: Le16,
}

const RING_SIZE: usize = 256;

/// The ring: the descriptors, then the index the driver publishes them with.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Ring {
    descs: [Desc; RING_SIZE],
    head: Le16,
    _pad: [u8; 6],
}

/// Fills `count` descriptors from `head` on (wrapping), then publishes them and rings the
/// doorbell. The order is the protocol's: every descriptor is written before the index that
/// publishes it, and the index before the doorbell.
fn post(ring: &CoherentBuffer<Ring>, regs: Mmio<'_, EduRegs>, head: u16, count: u16) -> Result {
    for i in 0..count {
        let slot = usize::from(head.wrapping_add(i)) % RING_SIZE;
        let desc = io_project!(ring, .descs[try: slot]);
        io_write!(desc, .addr, Le32::new(0x1000 * u32::from(i)));
        io_write!(desc, .len, Le16::new(512));
        io_write!(desc, .flags, Le16::new(1));
    }
    // `dma_wmb()`: the descriptors reach memory, as the device sees it, before the index does.
    // Both are in coherent memory, whose writes the CPU may otherwise reorder as the device sees
    // them; `dma_wmb()` orders exactly that, and costs less than a full `wmb()`.
    dma_mb(Write);
    io_write!(ring, .head, Le16::new(head.wrapping_add(count)));
    // The doorbell: an ordered MMIO write (`writel()`, not `writel_relaxed()`), which is ordered
    // after the CPU's earlier writes to memory, so the device never sees the doorbell before the
    // index. With a relaxed view, a `wmb()` would have to come first.
    doorbell(regs, ring.dma_address(), size_of::<Ring>());
    Ok(())
}

/// edu's doorbell: its DMA engine, told to copy the ring into the device.
fn doorbell(regs: Mmio<'_, EduRegs>, ring: u64, len: usize) {
    write_dma_reg(io_project!(regs, .dma_src), ring);
    write_dma_reg(io_project!(regs, .dma_dst), DEVICE_BUFFER);
    write_dma_reg(io_project!(regs, .dma_count), len as u64);
    write_dma_reg(io_project!(regs, .dma_cmd), DMA_START);
}
// [end recipe:dma-ring]

// [recipe:completions]
/// Waits for the device to finish and reads what it wrote back into `done` (a ring of the same
/// layout): the index first, then the descriptors it covers, which `dma_rmb()` keeps from being
/// read before the index.
fn completed(done: &CoherentBuffer<Ring>, regs: Mmio<'_, EduRegs>) -> Result<(u16, u32)> {
    // An ordered MMIO read (`readq()`): the reads of memory after it are not done before it.
    poll(|| read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START == 0)?;
    let head = io_read!(done, .head).get();
    // `dma_rmb()`: the index is read before the descriptors it makes valid.
    dma_mb(Read);
    let last = usize::from(head.wrapping_sub(1)) % RING_SIZE;
    let len = u32::from(io_read!(done, .descs[try: last].len).get());
    Ok((head, len))
}
// [end recipe:completions]

/// Has edu copy its buffer back into `done` (the device's side of the ring round trip).
fn copy_back(regs: Mmio<'_, EduRegs>, done: &CoherentBuffer<Ring>) -> Result {
    poll(|| read_dma_reg(io_project!(regs, .dma_cmd)) & DMA_START == 0)?;
    write_dma_reg(io_project!(regs, .dma_src), DEVICE_BUFFER);
    write_dma_reg(io_project!(regs, .dma_dst), done.dma_address());
    write_dma_reg(io_project!(regs, .dma_count), size_of::<Ring>() as u64);
    write_dma_reg(io_project!(regs, .dma_cmd), DMA_START | DMA_TO_RAM);
    Ok(())
}

// [recipe:capability-walk]
/// Finds capability `id` in the device's configuration space, or `None`. The list is the
/// device's: every pointer is checked (`try_` accessors return `ERANGE` past the end), and the
/// walk stops after as many steps as the space has room for, so a list that loops ends.
fn find_capability(pdev: &pci::Device<Core<'_>>, id: u8) -> Result<Option<u8>> {
    const STATUS_CAP_LIST: u16 = 1 << 4;
    let cfg = pdev.config_space();
    // A configuration cycle can fail (the device is gone): the `try_` accessors report it.
    if cfg.try_read16(0x06)? & STATUS_CAP_LIST == 0 {
        return Ok(None);
    }
    let mut at = cfg.try_read8(0x34)? & !3;
    // 48 capabilities of 4 bytes fill the space after the standard header.
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
    Err(ELOOP)
}
// [end recipe:capability-walk]

// [recipe:irq-handler]
/// The interrupt handler's state: the registers, and a log of the causes it saw in coherent
/// memory, indexed at runtime.
struct Events<'a> {
    regs: Mmio<'a, EduRegs>,
    log: &'a CoherentBuffer<[Le32]>,
    next: Atomic<u32>,
}

impl irq::Handler for Events<'_> {
    fn handle(&self) -> IrqReturn {
        let pending = io_read!(self.regs, .irq_status);
        if pending == 0 {
            return IrqReturn::None;
        }
        io_write!(self.regs, .irq_ack, pending);
        // No `?` in a handler: the runtime-checked write returns its `Result`, and a log that is
        // full is not a reason to leave the interrupt unhandled.
        let slot = self.next.fetch_add(1, Relaxed) as usize;
        if io_try_write!(self.log, [try: slot], Le32::new(pending)).is_err() {
            pr_warn!("event log full, cause {:#x} not logged\n", pending);
        }
        IrqReturn::Handled
    }
}
// [end recipe:irq-handler]

/// The cases of the edu suite, in the order [`edu_recipes`] runs them.
const EDU_CASES: [&str; 5] = [
    "relaxed_poll_of_the_busy_bit",
    "dma_ring_published_and_announced",
    "completions_read_after_the_index",
    "capability_walk",
    "irq_handler_without_question_mark",
];

fn edu_recipes(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>) -> Result {
    let bar: EduBar<'_> = suite.step("map_bar0", pdev.iomap_region_sized(0, c"io_cookbook"))?;
    let regs = suite.step("registers", edu_registers(&bar))?;
    // edu drops the address bits above its DMA mask (28 bits, unless QEMU was told otherwise:
    // the harness gives this driver the same width as the device).
    let bits = module_parameters::dma_bits.value();
    let mask = DmaMask::try_new(bits).and_then(|mask| {
        // SAFETY: No DMA mapping or allocation of this device exists yet.
        unsafe { pdev.dma_set_mask_and_coherent(mask) }
    });
    suite.step(fmt!("dma_mask_{}_bits", bits), mask)?;
    let dev = pdev.as_ref();
    let ring = suite.step("ring", CoherentBuffer::<Ring>::zeroed(dev, GFP_KERNEL))?;
    let done = suite.step(
        "completions",
        CoherentBuffer::<Ring>::zeroed(dev, GFP_KERNEL),
    )?;

    suite.run("relaxed_poll_of_the_busy_bit", || {
        check_eq!(factorial(regs, black_box(5)), Ok(120));
        check_eq!(factorial(regs, black_box(12)), Ok(479_001_600));
        check_eq!(io_read!(regs, .id), EDU_ID);
        Ok(())
    });
    suite.run("dma_ring_published_and_announced", || {
        post(&ring, regs, black_box(250), 9)?;
        check_eq!(io_read!(&ring, .head).get(), 259);
        // Wrapped: 250..255 and 0..3.
        check_eq!(io_read!(&ring, .descs[build: 2].addr).get(), 0x1000 * 8);
        check_eq!(io_read!(&ring, .descs[build: 255].len).get(), 512);
        Ok(())
    });
    suite.run("completions_read_after_the_index", || {
        copy_back(regs, &done)?;
        check_eq!(completed(&done, regs), Ok((259, 512)));
        let mut got = KVec::from_elem(0u8, size_of::<Ring>(), GFP_KERNEL)?;
        let mut want = KVec::from_elem(0u8, size_of::<Ring>(), GFP_KERNEL)?;
        (&done).as_bytes().copy_to_slice(&mut got);
        (&ring).as_bytes().copy_to_slice(&mut want);
        check!(got == want);
        Ok(())
    });
    suite.run("capability_walk", || {
        // edu has an MSI capability (ID 0x05) and no power management one (0x01).
        let msi = find_capability(pdev, 0x05)?;
        check!(msi.is_some());
        check_eq!(find_capability(pdev, 0x01), Ok(None));
        Ok(())
    });
    suite.run("irq_handler_without_question_mark", || {
        irq_events(pdev, regs)
    });
    Ok(())
}

/// Requests edu's interrupt with the [`Events`] handler, raises three causes one after the other
/// and checks the log; then raises more than the log holds.
fn irq_events(pdev: &pci::Device<Core<'_>>, regs: Mmio<'_, EduRegs>) -> Result {
    const LOG: usize = 3;
    let log = CoherentBuffer::<[Le32]>::zeroed_slice(pdev.as_ref(), LOG, GFP_KERNEL)?;
    let vectors = pdev.alloc_irq_vectors(1, 1, IrqTypes::all())?;
    let request = IrqRequest::from(vectors.index(0)?);
    let log_ref = &log;
    let handler = try_init!(Events {
        regs,
        log: log_ref,
        next: Atomic::new(0),
    }? Error);
    // SAFETY: The registration is dropped at the end of this function, never forgotten.
    let registration =
        unsafe { Registration::new(request, Flags::SHARED, c"io_cookbook", handler) };
    let registration = KBox::pin_init(registration, GFP_KERNEL)?;
    let events = registration.handler();
    for (i, cause) in [1u32 << 24, 1 << 25, 1 << 26, 1 << 27]
        .into_iter()
        .enumerate()
    {
        io_write!(regs, .irq_raise, cause);
        poll(|| events.next.load(Acquire) as usize > i)?;
    }
    check_eq!(events.next.load(Acquire), 4);
    check_eq!(io_read!(regs, .irq_status), 0);
    let mut seen = [Le32::new(0); LOG];
    for (i, entry) in seen.iter_mut().enumerate() {
        *entry = io_try_read!(&log, [try: i])?;
    }
    check_eq!(seen.map(|e| e.get()), [1 << 24, 1 << 25, 1 << 26]);
    drop(registration);
    drop(vectors);
    Ok(())
}

// ---- pci-testdev: port I/O ----

// [recipe:port-io]
/// The header at the start of pci-testdev's port BAR (BAR1).
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct TestHeader {
    /// Write: selects one of the BAR's three tests (0 to 2); read: the test's number among both
    /// BARs' tests (the ports' come after the memory BAR's three).
    test: u8,
    width: u8,
    _pad0: [u8; 2],
    offset: Le32,
    data: u8,
    _pad1: [u8; 3],
    count: Le32,
}

/// Selects test `index` through the ports, writes its byte where it says, and returns how many
/// writes the device counted. Port I/O is a view like any other: `ioread8()`/`iowrite8()` per
/// access, through the same projection.
fn port_test(ports: &pci::PortBar<'_, 0x100>, index: u8) -> Result<u32> {
    let header = ports.cast::<TestHeader>();
    io_write!(header, .test, index);
    let offset = io_read!(header, .offset).get() as usize;
    let data = io_read!(header, .data);
    // The offset is the device's: checked at runtime.
    ports.try_write8(data, offset)?;
    Ok(io_read!(header, .count).get())
}
// [end recipe:port-io]

/// The cases of the pci-testdev suite.
const TESTDEV_CASES: [&str; 1] = ["port_io_typed_header"];

fn testdev_recipes(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>) -> Result {
    let ports = suite.step(
        "map_port_bar1",
        pdev.iomap_port_region_sized::<0x100>(1, c"io_cookbook"),
    )?;
    suite.run("port_io_typed_header", || {
        // The ports' first test (`portio-no-eventfd`, number 3 among both BARs' tests) counts
        // every write of its byte at its port.
        check_eq!(port_test(&ports, 0)?, 1);
        check_eq!(io_read!(ports.cast::<TestHeader>(), .test), 3);
        // Selecting it again resets its count.
        check_eq!(port_test(&ports, 0)?, 1);
        Ok(())
    });
    Ok(())
}

// [recipe:driver]
/// Which device a probe has, from the ID table.
#[derive(Clone, Copy)]
enum Which {
    Ivshmem,
    Edu,
    Testdev,
}

struct Cookbook;

kernel::pci_device_table!(
    PCI_TABLE,
    <Cookbook as pci::Driver>::IdInfo,
    [
        (
            pci::DeviceId::from_id(pci::Vendor::REDHAT_QUMRANET, 0x1110),
            Which::Ivshmem
        ),
        (
            pci::DeviceId::from_id(pci::Vendor::REDHAT, 0x5),
            Which::Testdev
        ),
        // `pci::Vendor` has no constant for QEMU's vendor ID 0x1234: edu is matched by its
        // class ("unclassified", sub-class 0xff), and `probe` checks its IDs. The first entry
        // that matches wins, and pci-testdev has the same class: this one comes last.
        (pci::DeviceId::from_class(0x00ff00, 0xffffff), Which::Edu),
    ]
);

/// The driver data: the ivshmem recipe keeps its BAR; the others run at probe only.
enum CookbookData<'bound> {
    Ivshmem(IvshmemData<'bound>),
    Other,
}

impl pci::Driver for Cookbook {
    type IdInfo = Which;
    type Data<'bound> = CookbookData<'bound>;
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    /// Tears the device down through the BAR the driver kept: still mapped while `unbind` runs,
    /// released when the data is dropped after it.
    fn unbind<'bound>(_pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        if let CookbookData::Ivshmem(data) = &*this {
            io_write!(data.regs(), .ctrl, 0);
        }
    }

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        match info.copied().ok_or(ENODEV)? {
            Which::Ivshmem => {
                // [recipe:map-bar]
                pdev.enable_device_mem()?;
                // A BAR of at least SHM_SIZE bytes; its real size comes from the PCI core.
                let bar = pdev.iomap_region_sized::<SHM_SIZE>(SHM_BAR, c"io_cookbook")?;
                // [end recipe:map-bar]
                let data = IvshmemData { bar };
                ktap::probe_suite(
                    "io_cookbook_ivshmem",
                    pdev.as_ref(),
                    &IVSHMEM_CASES,
                    |suite| ivshmem_recipes(pdev, &data, suite),
                )?;
                Ok(CookbookData::Ivshmem(data))
            }
            Which::Edu => {
                if pdev.vendor_id().as_raw() != 0x1234 || pdev.device_id() != 0x11e8 {
                    return Err(ENODEV);
                }
                pdev.enable_device_mem()?;
                pdev.set_master();
                ktap::probe_suite("io_cookbook_edu", pdev.as_ref(), &EDU_CASES, |suite| {
                    edu_recipes(pdev, suite)
                })?;
                Ok(CookbookData::Other)
            }
            Which::Testdev => {
                pdev.enable_device()?;
                ktap::probe_suite(
                    "io_cookbook_testdev",
                    pdev.as_ref(),
                    &TESTDEV_CASES,
                    |suite| testdev_recipes(pdev, suite),
                )?;
                Ok(CookbookData::Other)
            }
        }
    }
}

kernel::module_pci_driver! {
    type: Cookbook,
    name: "io_cookbook",
    authors: ["The typed I/O project"],
    description: "The guide's cookbook, run on QEMU's edu, ivshmem-plain and pci-testdev",
    license: "GPL v2",
    params: {
        dma_bits: u32 {
            default: 28,
            description: "Width of edu's DMA mask in bits (QEMU's edu: dma_mask)",
        },
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
    },
}
// [end recipe:driver]
