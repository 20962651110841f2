// SPDX-License-Identifier: GPL-2.0

//! A virtio block device driver (virtio-blk, PCI 1af4:1042, virtio 1.x only) on the typed I/O
//! layer: a disk for the block layer, with a hardware queue per CPU where the device offers that
//! many (`VIRTIO_BLK_F_MQ`), reads and writes of any size the block layer sends, and flushes.
//!
//! The transport (`common/virtio_pci.rs`) and the split virtqueues (`common/virtqueue.rs`) are
//! shared with the virtio-rng sample. Each request is a chain of three parts: its header (type,
//! sector) and its status byte, both in a coherent DMA array indexed by the request's tag and
//! reached through projections of it, and between them the request's data, mapped for the
//! device with `blk_rq_map_sg()` and `dma_map_sg()`. Each queue has its MSI-X vector (or all
//! share INTx), whose handler takes back what the device finished, checking each used entry
//! before the request it names is completed.
//!
//! 7.3's Rust block layer (`kernel::block::mq`) has the tag set and the request's life cycle,
//! but neither a request's sector, direction and segments nor the disk's queue limits (segment
//! counts and sizes, the write cache that makes flushes reach the driver): the driver reads the
//! first from the `struct request`, and makes its disk itself ([`Disk`]) with the limits the
//! device gives, in small `unsafe` blocks whose safety arguments it states.
//!
//! With the module parameter `intx=1` it takes INTx for all its queues even where MSI-X is
//! available, and names its suite `io_virtio_blk_intx`: the boot tests the fallback that way.
//!
//! At probe the driver reports, as KTAP, the device's structures, the features and handshake,
//! its queues and their interrupts, the capacity, and the disk. The data on it is checked from
//! user space (`tests/harness/virtio.sh`) and in the image file after the boot
//! (`tests/harness/disk.py`).
//!
//! QEMU must be started with `-device virtio-blk-pci,disable-legacy=on,...`.

use core::{
    ffi::c_void,
    ptr::NonNull, //
};

use kernel::{
    bindings,
    block::mq::{
        Operations,
        Request,
        TagSet, //
    },
    device::{
        self,
        Bound,
        Core, //
    },
    dma::Coherent,
    error::{
        from_err_ptr,
        to_result, //
    },
    io::{
        io_project,
        io_read,
        io_write,
        Io,
        Le16,
        Le32,
        Le64, //
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
        IrqTypes, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        new_spinlock_irq,
        SpinLockIrq, //
    },
    types::{
        ForeignOwnable,
        Opaque,
        ScopeGuard, //
    },
};

#[path = "common/check.rs"]
mod checks;
#[path = "common/ktap.rs"]
mod ktap;
// Shared with the virtio-rng sample and the KUnit suites: not every user needs every item.
#[allow(dead_code)]
#[path = "common/virtio_caps.rs"]
mod virtio_caps;
#[allow(dead_code)]
#[path = "common/virtio_pci.rs"]
mod virtio_pci;
#[path = "common/virtio_probe.rs"]
mod virtio_probe;
#[allow(dead_code)]
#[path = "common/virtqueue.rs"]
mod virtqueue;

use checks::{
    check,
    check_eq, //
};
use ktap::Suite;
use virtio_pci::{
    device_address,
    read_split,
    Bars,
    Notifier,
    Split64,
    Transport,
    F_EVENT_IDX,
    F_ORDER_PLATFORM,
    F_VERSION_1,
    NO_VECTOR, //
};
use virtqueue::{
    Ring,
    RingFeatures,
    Segment,
    SplitQueue, //
};

/// The name of the driver and of its interrupts.
const NAME: &CStr = c"io_virtio_blk";
/// The size of each request queue: QEMU's default.
const QUEUE_SIZE: usize = 256;
/// How many requests each hardware queue takes at a time (the tags of each queue).
const DEPTH: u32 = 64;
/// The most data segments of a request: with its header and status, a request of this many
/// fills an empty queue (as many as QEMU's `seg_max`, and Linux's virtio_blk, take).
const SEGMENTS_MAX: usize = QUEUE_SIZE - 2;
/// The most hardware queues the driver sets up.
const QUEUES_MAX: u32 = 16;
/// The size of a sector in the device's addresses.
const SECTOR: u64 = 512;
/// The bits of a request's `cmd_flags` that hold its operation (C's `REQ_OP_MASK`).
const REQ_OP_MASK: u32 = (1 << bindings::REQ_OP_BITS) - 1;

/// A direction of a DMA mapping.
type DmaDirection = bindings::dma_data_direction;

/// Feature: the device gives the largest segment size (`size_max`).
const F_SIZE_MAX: u64 = 1 << 1;
/// Feature: the device gives the most segments of a request (`seg_max`).
const F_SEG_MAX: u64 = 1 << 2;
/// Feature: the disk is read-only.
const F_RO: u64 = 1 << 5;
/// Feature: the device gives its logical block size (`blk_size`).
const F_BLK_SIZE: u64 = 1 << 6;
/// Feature: the device has a write cache, and takes flush requests.
const F_FLUSH: u64 = 1 << 9;
/// Feature: the device has several request queues (`num_queues`).
const F_MQ: u64 = 1 << 12;
/// The features the driver can use.
const WANTED: u64 =
    F_SIZE_MAX | F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH | F_MQ | F_EVENT_IDX | F_ORDER_PLATFORM;

/// Request type: read.
const T_IN: u32 = 0;
/// Request type: write.
const T_OUT: u32 = 1;
/// Request type: flush the write cache.
const T_FLUSH: u32 = 4;
/// Status: done.
const S_OK: u8 = 0;
/// Status: the device does not support the request.
const S_UNSUPP: u8 = 2;
/// What the status byte holds until the device writes it: no status the device may write.
const S_NONE: u8 = 0xff;

/// `struct virtio_blk_config`, as far as the driver reads it.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct BlkConfig {
    /// The size of the disk, in 512-byte sectors.
    capacity: Split64,
    /// The largest segment ([`F_SIZE_MAX`]).
    size_max: Le32,
    /// The most segments in a request ([`F_SEG_MAX`]).
    seg_max: Le32,
    cylinders: Le16,
    heads: u8,
    sectors: u8,
    /// The logical block size ([`F_BLK_SIZE`]).
    blk_size: Le32,
    physical_block_exp: u8,
    alignment_offset: u8,
    min_io_size: Le16,
    opt_io_size: Le32,
    writeback: u8,
    unused0: u8,
    /// How many request queues the device has ([`F_MQ`]).
    num_queues: Le16,
}

const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(BlkConfig, seg_max) == 12);
    assert!(offset_of!(BlkConfig, blk_size) == 20);
    assert!(offset_of!(BlkConfig, writeback) == 32);
    assert!(offset_of!(BlkConfig, num_queues) == 34);
    assert!(size_of::<BlkConfig>() == 36);
};

/// `struct virtio_blk_outhdr`: what the device reads first in a request.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes)]
struct OutHdr {
    /// [`T_IN`], [`T_OUT`], [`T_FLUSH`].
    kind: Le32,
    ioprio: Le32,
    /// Where the data goes, in 512-byte sectors.
    sector: Le64,
}

/// A request's header and its status byte, by tag, in coherent DMA memory.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct ReqHeader {
    out: OutHdr,
    /// Written by the device: [`S_OK`], ...
    status: u8,
    _pad: [u8; 7],
}

const _: () = assert!(size_of::<ReqHeader>() == 24);

// SAFETY: The fields of a `ReqHeader` are integers, for which every bit pattern is valid; it has
// no interior mutability.
unsafe impl kernel::transmute::FromBytes for ReqHeader {}
// SAFETY: The fields cover all 24 bytes (checked above): no padding, so no uninitialized byte.
// It has no interior mutability.
unsafe impl kernel::transmute::AsBytes for ReqHeader {}

/// What a queue's lock protects: the virtqueue, whose tokens are the requests in flight.
struct QueueState<'b> {
    vq: SplitQueue<ARef<Request<VirtioBlk>>, QUEUE_SIZE>,
    notifier: Option<Notifier<'b>>,
}

/// A request queue of the device, and a hardware queue of the disk.
#[pin_data]
struct BlkQueue<'b> {
    ring: Coherent<Ring<QUEUE_SIZE>>,
    /// Request headers and status bytes, by tag.
    headers: Coherent<[ReqHeader]>,
    /// [`SEGMENTS_MAX`] scatterlist entries per tag: the request holding the tag maps its data
    /// there.
    sg: KVVec<Opaque<bindings::scatterlist>>,
    /// What the request holding each tag mapped: its entries and direction ([`Mapped`]), or 0.
    mapped: KVec<Atomic<u32>>,
    /// Set for a tag whose request is failed without the device's word (the queue broke).
    failed: KVec<Atomic<bool>>,
    #[pin]
    state: SpinLockIrq<QueueState<'b>>,
    /// Requests completed through this queue.
    completed: Atomic<u32>,
}

/// The DMA mapping of a request's data: entries handed to `dma_map_sg()`, and the direction.
struct Mapped;

impl Mapped {
    fn pack(nents: u32, dir: DmaDirection) -> u32 {
        (nents << 8) | (dir.0 & 0xff)
    }

    fn unpack(value: u32) -> (u32, DmaDirection) {
        (value >> 8, bindings::dma_data_direction(value & 0xff))
    }
}

/// The device as the block layer's callbacks reach it.
struct BlkShared<'b> {
    queues: KVec<Pin<KBox<BlkQueue<'b>>>>,
    /// The device that maps the requests' data: the PCI function's.
    dma_dev: *mut bindings::device,
}

// SAFETY: `dma_dev` is a device reference that only the DMA API uses, from any thread, as C
// drivers do; the queues are `Send` and `Sync`.
unsafe impl Send for BlkShared<'_> {}
// SAFETY: As for `Send`.
unsafe impl Sync for BlkShared<'_> {}

impl BlkShared<'_> {
    /// Requests completed through all queues, wrapping.
    fn completed(&self) -> u32 {
        self.queues.iter().fold(0, |sum, queue| {
            sum.wrapping_add(queue.completed.load(Relaxed))
        })
    }
}

impl<'b> BlkQueue<'b> {
    fn new(dev: &pci::Device<Bound>) -> Result<impl PinInit<Self, Error>> {
        let ring = Coherent::zeroed(dev.as_ref(), GFP_KERNEL)?;
        // CAST: `DEPTH` is 64.
        let depth = DEPTH as usize;
        let headers = Coherent::zeroed_slice(dev.as_ref(), depth, GFP_KERNEL)?;
        // Half a MiB for 64 tags: `kvmalloc()`, which needs no contiguous pages.
        let mut sg = KVVec::with_capacity(depth * SEGMENTS_MAX, GFP_KERNEL)?;
        for _ in 0..depth * SEGMENTS_MAX {
            sg.push(Opaque::zeroed(), GFP_KERNEL)?;
        }
        let mut mapped = KVec::with_capacity(depth, GFP_KERNEL)?;
        let mut failed = KVec::with_capacity(depth, GFP_KERNEL)?;
        for _ in 0..depth {
            mapped.push(Atomic::new(0), GFP_KERNEL)?;
            failed.push(Atomic::new(false), GFP_KERNEL)?;
        }
        let vq = SplitQueue::new()?;
        Ok(try_pin_init!(BlkQueue {
            ring,
            headers,
            sg,
            mapped,
            failed,
            state <- new_spinlock_irq!(QueueState {
                vq,
                notifier: None,
            }),
            completed: Atomic::new(0),
        }? Error))
    }

    /// The scatterlist of `tag`.
    fn sg(&self, tag: usize) -> Result<*mut bindings::scatterlist> {
        let first = self.sg.get(tag * SEGMENTS_MAX).ok_or(EINVAL)?;
        Ok(first.get())
    }

    /// Maps the data of `rq`, which holds `tag`, for the device: returns how many segments the
    /// device is given.
    ///
    /// # Safety
    ///
    /// `rq` is a request the driver owns (between `queue_rq` and its end), holding `tag` of this
    /// queue.
    unsafe fn map(
        &self,
        dma_dev: *mut bindings::device,
        rq: *mut bindings::request,
        tag: usize,
        dir: DmaDirection,
    ) -> Result<usize> {
        let sg = self.sg(tag)?;
        // SAFETY: The driver owns `rq` (the caller's guarantee).
        let segments = usize::from(unsafe { (*rq).nr_phys_segments });
        // The disk's limits keep requests within this; check anyway.
        if segments == 0 || segments > SEGMENTS_MAX {
            return Err(EIO);
        }
        // SAFETY: `sg` is the tag's array of `SEGMENTS_MAX` entries, which only the request
        // holding the tag uses.
        // CAST: At most `SEGMENTS_MAX` entries.
        unsafe { bindings::sg_init_table(sg, segments as u32) };
        let mut last = core::ptr::null_mut();
        // SAFETY: `rq` is owned by the driver, and `sg` holds its `nr_phys_segments` entries.
        let nents = unsafe { bindings::__blk_rq_map_sg(rq, sg, &mut last) };
        let nents = u32::try_from(nents).map_err(|_| EIO)?;
        if nents == 0 {
            return Err(EIO);
        }
        // SAFETY: `sg` holds `nents` entries just set up; `dma_dev` is the device's own.
        // CAST: `nents` is at most `SEGMENTS_MAX`.
        let mapped = unsafe { bindings::dma_map_sg_attrs(dma_dev, sg, nents as i32, dir, 0) };
        if mapped == 0 {
            return Err(ENOMEM);
        }
        self.mapped[tag].store(Mapped::pack(nents, dir), Relaxed);
        Ok(mapped as usize)
    }

    /// Unmaps the data of the request that holds `tag`, if it was mapped.
    fn unmap(&self, dma_dev: *mut bindings::device, tag: usize) {
        let Some(mapped) = self.mapped.get(tag) else {
            return;
        };
        let (nents, dir) = Mapped::unpack(mapped.xchg(0, Relaxed));
        if nents == 0 {
            return;
        }
        if let Ok(sg) = self.sg(tag) {
            // SAFETY: `sg` holds the `nents` entries that `map()` mapped in direction `dir` for
            // `dma_dev`, and the device is done with them.
            // CAST: `nents` is at most `SEGMENTS_MAX`.
            unsafe { bindings::dma_unmap_sg_attrs(dma_dev, sg, nents as i32, dir, 0) };
        }
    }

    /// The segments the device is given for a request: its header, the `count` mapped entries of
    /// `tag`'s scatterlist, its status byte.
    fn segments(
        &self,
        tag: usize,
        count: usize,
        device_writes: bool,
    ) -> Result<impl Iterator<Item = Segment> + '_> {
        let header = io_project!(&self.headers, [try: tag]);
        let out = Segment {
            addr: device_address(io_project!(header, .out).dma_address()),
            // CAST: 16 bytes.
            len: size_of::<OutHdr>() as u32,
            device_writes: false,
        };
        let status = Segment {
            addr: device_address(io_project!(header, .status).dma_address()),
            len: 1,
            device_writes: true,
        };
        let mut entry = self.sg(tag)?;
        let data = (0..count).map(move |_| {
            let at = entry;
            // SAFETY: `at` is one of the `count` entries `dma_map_sg()` mapped; the next one
            // follows it (the list is not chained), and is only read while in range.
            entry = unsafe { bindings::sg_next(at) };
            Segment {
                // SAFETY: `at` is a mapped entry.
                addr: device_address(unsafe { bindings::sg_dma_address(at) }),
                // SAFETY: As above.
                len: unsafe { bindings::sg_dma_len(at) },
                device_writes,
            }
        });
        let head = Iterator::chain(core::iter::once(out), data);
        Ok(Iterator::chain(head, core::iter::once(status)))
    }

    /// Takes back every request the device finished and completes it; the interrupt handler.
    fn drain(&self) {
        let mut state = self.state.lock();
        loop {
            loop {
                match state.vq.pop_used(&self.ring) {
                    Ok(Some((rq, _len))) => {
                        self.completed.add(1, Relaxed);
                        Request::complete(rq);
                    }
                    Ok(None) => break,
                    Err(err) => {
                        pr_err!("device error: {}; failing the queue's requests\n", err);
                        for rq in state.vq.take_all() {
                            if let Some(failed) = self.failed.get(request_tag(&rq)) {
                                failed.store(true, Relaxed);
                            }
                            Request::complete(rq);
                        }
                        return;
                    }
                }
            }
            if !state.vq.enable_interrupts(&self.ring) {
                break;
            }
        }
    }
}

/// The raw `struct request` of `rq`.
fn request_raw(rq: &Request<VirtioBlk>) -> *mut bindings::request {
    // CAST: `Request` is a transparent wrapper of `struct request`.
    core::ptr::from_ref(rq)
        .cast::<bindings::request>()
        .cast_mut()
}

/// The tag `rq` holds, as an index.
fn request_tag(rq: &Request<VirtioBlk>) -> usize {
    // SAFETY: A request the driver holds has its tag set for as long as it holds it.
    usize::try_from(unsafe { (*request_raw(rq)).tag }).unwrap_or(usize::MAX)
}

/// The index of the hardware queue `rq` was queued on.
fn request_queue(rq: &Request<VirtioBlk>) -> usize {
    // SAFETY: A request the driver holds belongs to a live hardware context.
    unsafe { (*(*request_raw(rq)).mq_hctx).queue_num as usize }
}

/// The pointer to the device the disk's queue data holds: the [`BlkShared`] of the driver that
/// made the disk.
///
/// # Invariants
///
/// It points to a `BlkShared` that outlives the disk.
struct QueuesRef(NonNull<c_void>);

// SAFETY: A `BlkShared` is `Send` and `Sync`.
unsafe impl Send for QueuesRef {}
// SAFETY: As for `Send`.
unsafe impl Sync for QueuesRef {}

impl QueuesRef {
    fn get(&self) -> &BlkShared<'_> {
        // SAFETY: The pointee outlives the disk (invariant), and the block layer calls the
        // driver only while the disk lives.
        unsafe { self.0.cast::<BlkShared<'_>>().as_ref() }
    }

    /// The device of the disk whose request is `rq`.
    fn of(rq: &Request<VirtioBlk>) -> &BlkShared<'_> {
        // SAFETY: The request's queue is the disk's, whose `queuedata` is the `into_foreign()`
        // of a `KBox<QueuesRef>` ([`Disk::add`]), alive while the disk is.
        let data = unsafe { (*(*request_raw(rq)).q).queuedata };
        // SAFETY: As above: borrowed, not taken back.
        let queues: &QueuesRef = unsafe { <KBox<QueuesRef> as ForeignOwnable>::borrow(data) };
        // SAFETY: As in `get()`; the borrow lasts as long as the request's.
        unsafe { queues.0.cast::<BlkShared<'_>>().as_ref() }
    }
}

/// The block layer's side of the driver.
struct VirtioBlk;

#[vtable]
impl Operations for VirtioBlk {
    type QueueData = KBox<QueuesRef>;

    // [guide:queue-rq]
    fn queue_rq(queues: &QueuesRef, rq: ARef<Request<Self>>, is_last: bool) -> Result {
        let shared = queues.get();
        let raw = request_raw(&rq);
        let tag = request_tag(&rq);
        let queue = shared.queues.get(request_queue(&rq)).ok_or(EIO)?;
        // SAFETY: The driver owns the request until it ends it.
        let (op, sector) = unsafe { ((*raw).cmd_flags & REQ_OP_MASK, (*raw).__sector) };
        let (kind, dir) = match op {
            bindings::req_op_REQ_OP_READ => (T_IN, Some(DmaDirection::DMA_FROM_DEVICE)),
            bindings::req_op_REQ_OP_WRITE => (T_OUT, Some(DmaDirection::DMA_TO_DEVICE)),
            bindings::req_op_REQ_OP_FLUSH => (T_FLUSH, None),
            _ => return Err(EOPNOTSUPP),
        };
        let header = io_project!(&queue.headers, [try: tag]);
        io_project!(header, .out).copy_write(OutHdr {
            kind: Le32::new(kind),
            ioprio: Le32::new(0),
            sector: Le64::new(if dir.is_some() { sector } else { 0 }),
        });
        io_write!(header, .status, S_NONE);
        queue.failed[tag].store(false, Relaxed);

        let data = match dir {
            // SAFETY: The driver owns `rq`, which holds `tag` of this queue.
            Some(dir) => unsafe { queue.map(shared.dma_dev, raw, tag, dir)? },
            None => 0,
        };
        let device_writes = op == bindings::req_op_REQ_OP_READ;
        let segments = match queue.segments(tag, data, device_writes) {
            Ok(segments) => segments,
            Err(err) => {
                queue.unmap(shared.dma_dev, tag);
                return Err(err);
            }
        };
        let mut state = queue.state.lock();
        if let Err((err, rq)) = state.vq.add(&queue.ring, data + 2, segments, rq) {
            drop(state);
            drop(rq);
            queue.unmap(shared.dma_dev, tag);
            // A full queue: the block layer retries once a request completes.
            return Err(if err == ENOSPC { EBUSY } else { err });
        }
        let kick = is_last && state.vq.kick_prepare(&queue.ring);
        let notifier = state.notifier;
        drop(state);
        if let (true, Some(notifier)) = (kick, notifier) {
            notifier.notify();
        }
        Ok(())
    }
    // [end guide:queue-rq]

    fn commit_rqs(queues: &QueuesRef) {
        for queue in &queues.get().queues {
            let mut state = queue.state.lock();
            let kick = state.vq.kick_prepare(&queue.ring);
            let notifier = state.notifier;
            drop(state);
            if let (true, Some(notifier)) = (kick, notifier) {
                notifier.notify();
            }
        }
    }

    fn complete(rq: ARef<Request<Self>>) {
        let shared = QueuesRef::of(&rq);
        let tag = request_tag(&rq);
        let Some(queue) = shared.queues.get(request_queue(&rq)) else {
            end(rq, bindings::BLK_STS_IOERR);
            return;
        };
        queue.unmap(shared.dma_dev, tag);
        let failed = queue.failed.get(tag).is_none_or(|f| f.load(Relaxed));
        let status = (|| -> Result<u8> { Ok(io_read!(&queue.headers, [try: tag].status)) })()
            .unwrap_or(S_NONE);
        match status {
            S_OK if !failed => {
                if let Err(rq) = Request::end_ok(rq) {
                    pr_err!("a request could not be ended\n");
                    end(rq, bindings::BLK_STS_IOERR);
                }
            }
            S_UNSUPP if !failed => end(rq, bindings::BLK_STS_NOTSUPP),
            _ => end(rq, bindings::BLK_STS_IOERR),
        }
    }
}

// [guide:end]
/// Ends `rq` with `status`. (7.3's `Request` only ends a request as done.)
fn end(rq: ARef<Request<VirtioBlk>>, status: bindings::blk_status_t) {
    let raw = request_raw(&rq);
    // The reference is handed back to the block layer with the request. The request's Rust
    // reference count is left as it is: the block layer owns the request again, and the count is
    // set afresh when it is queued next.
    core::mem::forget(rq);
    // SAFETY: The driver owned `raw` until now and gives it up: nothing of the driver's refers
    // to it any more.
    unsafe { bindings::blk_mq_end_request(raw, status) };
}
// [end guide:end]

/// The disk: a `struct gendisk` made with the device's limits, added to the system.
///
/// # Invariants
///
/// `gendisk` is a disk added with `device_add_disk()`, whose queue's `queuedata` is the foreign
/// form of a `KBox<QueuesRef>`.
struct Disk {
    gendisk: *mut bindings::gendisk,
}

// SAFETY: The disk is only deleted, from the thread that drops it.
unsafe impl Send for Disk {}

/// The disk's block device operations: none of its own.
static DISK_OPS: DiskOps = DiskOps(bindings::block_device_operations {
    submit_bio: None,
    open: None,
    release: None,
    ioctl: None,
    compat_ioctl: None,
    check_events: None,
    unlock_native_capacity: None,
    getgeo: None,
    set_read_only: None,
    swap_slot_free_notify: None,
    report_zones: None,
    devnode: None,
    alternative_gpt_sector: None,
    get_unique_id: None,
    owner: core::ptr::null_mut(),
    pr_ops: core::ptr::null_mut(),
    free_disk: None,
    poll_bio: None,
});

/// The operations, shareable: they are constant.
struct DiskOps(bindings::block_device_operations);

// SAFETY: The operations are never written: only the block layer reads them.
unsafe impl Sync for DiskOps {}

/// What a disk is made of.
struct DiskSpec {
    /// In 512-byte sectors.
    capacity: u64,
    logical_block_size: u32,
    max_segments: u16,
    max_segment_size: u32,
    write_cache: bool,
    read_only: bool,
}

impl Disk {
    /// Makes the disk `name` on `tagset` with `spec`, whose requests go to `shared`, under
    /// `parent`, and adds it: from here the block layer sends requests.
    ///
    /// # Safety
    ///
    /// `shared` must outlive the disk.
    unsafe fn add(
        tagset: &TagSet<VirtioBlk>,
        shared: &BlkShared<'_>,
        parent: &device::Device<Bound>,
        name: &CStr,
        spec: &DiskSpec,
    ) -> Result<Self> {
        // INVARIANT: The block layer's calls reach `shared` through this, which outlives the
        // disk (the caller's guarantee).
        let queues = KBox::new(
            QueuesRef(NonNull::from(shared).cast::<c_void>()),
            GFP_KERNEL,
        )?;
        let data = queues.into_foreign();
        let data_guard = ScopeGuard::new(move || {
            // SAFETY: `data` came from `into_foreign()` just above, and is taken back once.
            drop(unsafe { KBox::<QueuesRef>::from_foreign(data) })
        });

        let mut limits: bindings::queue_limits = pin_init::zeroed();
        limits.logical_block_size = spec.logical_block_size;
        limits.physical_block_size = spec.logical_block_size;
        limits.max_hw_sectors = u32::MAX;
        limits.max_segments = spec.max_segments;
        limits.max_segment_size = spec.max_segment_size;
        if spec.write_cache {
            limits.features |= bindings::BLK_FEAT_WRITE_CACHE;
        }
        // CAST: `TagSet` is a transparent wrapper of `struct blk_mq_tag_set`.
        let raw_tagset = core::ptr::from_ref(tagset)
            .cast::<bindings::blk_mq_tag_set>()
            .cast_mut();
        // SAFETY: `raw_tagset` is an allocated tag set whose operations are `VirtioBlk`'s, which
        // expect `data` as queue data; `limits` is initialized; the lock class is static.
        let gendisk = from_err_ptr(unsafe {
            bindings::__blk_mq_alloc_disk(
                raw_tagset,
                &mut limits,
                data,
                kernel::static_lock_class!().as_ptr(),
            )
        })?;
        // SAFETY: `gendisk` was allocated just above and is not added: it is released once.
        let disk_guard = ScopeGuard::new(move || unsafe { bindings::put_disk(gendisk) });

        let bytes = name.to_bytes_with_nul();
        // SAFETY: The disk is not added yet: nothing else accesses it. `disk_name` is an array of
        // 32 characters, and a longer name is refused.
        unsafe {
            let disk_name = &mut (*gendisk).disk_name;
            if bytes.len() > disk_name.len() {
                return Err(EINVAL);
            }
            for (to, from) in disk_name.iter_mut().zip(bytes) {
                *to = kernel::ffi::c_char::from_ne_bytes([*from]);
            }
            (*gendisk).fops = &DISK_OPS.0;
            bindings::set_capacity(gendisk, spec.capacity);
            bindings::set_disk_ro(gendisk, spec.read_only);
        }
        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let parent = core::ptr::from_ref(parent)
            .cast::<bindings::device>()
            .cast_mut();
        // SAFETY: `gendisk` is set up; `parent` is the bound device it is the disk of.
        to_result(unsafe { bindings::device_add_disk(parent, gendisk, core::ptr::null_mut()) })?;
        data_guard.dismiss();
        disk_guard.dismiss();
        // INVARIANT: Added just above, with `data` as its queue data.
        Ok(Disk { gendisk })
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        // SAFETY: The disk was added (invariant). Deleting it waits for the requests in flight
        // and sends no more; the queue data is then no longer used.
        let data = unsafe {
            bindings::del_gendisk(self.gendisk);
            (*(*self.gendisk).queue).queuedata
        };
        // SAFETY: The last reference of the disk: released once.
        unsafe { bindings::put_disk(self.gendisk) };
        // SAFETY: `data` is the queue data set in `add()`, taken back once, now unused.
        drop(unsafe { KBox::<QueuesRef>::from_foreign(data) });
    }
}

/// A queue's interrupt handler: takes back what the device finished on one queue (MSI-X), or
/// on all of them (INTx, where the ISR says whether the interrupt is the device's).
struct BlkIrq<'b> {
    shared: &'b BlkShared<'b>,
    /// The queue of the vector, with MSI-X.
    queue: Option<usize>,
    /// With INTx, the transport whose ISR is read.
    intx: Option<Transport<'b>>,
}

impl irq::Handler for BlkIrq<'_> {
    fn handle(&self) -> IrqReturn {
        if let Some(transport) = self.intx {
            // Reading the ISR acknowledges it and lowers the line.
            if transport.isr() == 0 {
                return IrqReturn::None;
            }
        }
        match self.queue {
            Some(index) => {
                if let Some(queue) = self.shared.queues.get(index) {
                    queue.drain();
                }
            }
            None => {
                for queue in &self.shared.queues {
                    queue.drain();
                }
            }
        }
        IrqReturn::Handled
    }
}

/// A device that is set up: reset again when dropped, before its memory is freed.
struct LiveDevice<'b> {
    transport: Transport<'b>,
}

impl Drop for LiveDevice<'_> {
    fn drop(&mut self) {
        if self.transport.reset().is_err() {
            pr_err!("the device did not reset\n");
        }
    }
}

/// What the driver holds while bound, in drop order: the disk is deleted (the requests in flight
/// end first), the device reset, its interrupts and vectors freed, then the memory it was given
/// and its BARs.
struct BlkData<'b> {
    /// Always `Some`, but in `drop`.
    disk: Option<Disk>,
    /// In the hotplug stage, the binding's record.
    hotplug: Option<virtio_probe::HotplugBinding>,
    _live: LiveDevice<'b>,
    _irqs: KVec<Pin<KBox<Registration<'b, BlkIrq<'b>>>>>,
    _vectors: KBox<pci::IrqVectorRegistration<'b>>,
    _tagset: Pin<KBox<TagSet<VirtioBlk>>>,
    shared: Pin<KBox<BlkShared<'b>>>,
    _bars: KBox<Bars<'b>>,
}

// SAFETY: Every part may be used and dropped from any thread; the driver core drops it once the
// device unbinds.
unsafe impl Send for BlkData<'_> {}

impl Drop for BlkData<'_> {
    fn drop(&mut self) {
        // Runs before the fields are dropped: the counts of the whole binding, but none of the
        // fault walk's hundreds of bindings (see `ktap`).
        if let Some(hotplug) = &self.hotplug {
            // Deleting the disk waits for the requests in flight and turns away new ones: then
            // every request the block layer gave the driver has come back from the device.
            drop(self.disk.take());
            let outstanding = self
                .shared
                .queues
                .iter()
                .map(|queue| queue.state.lock().vq.in_flight())
                .sum();
            hotplug.report(
                self.shared.completed(),
                outstanding,
                self._live.transport.reset(),
            );
            return;
        }
        if ktap::walking() {
            return;
        }
        let mut counts = [0u32; QUEUES_MAX as usize];
        for (count, queue) in counts.iter_mut().zip(&self.shared.queues) {
            *count = queue.completed.load(Relaxed);
        }
        pr_info!(
            "requests completed by queue: {:?}\n",
            &counts[..self.shared.queues.len()]
        );
    }
}

/// The cases of the probe's suite, in order.
const CASES: [&str; 5] = [
    "capabilities",
    "features_version_1",
    "queues",
    "capacity",
    "disk_added",
];

/// What the device's configuration says.
struct Geometry {
    capacity: u64,
    blk_size: u32,
    seg_max: u32,
    size_max: u32,
    num_queues: u16,
}

/// Brings the device up, reporting each check; returns what the driver keeps.
fn bring_up<'b>(pdev: &'b pci::Device<Bound>, suite: &mut Suite<'_>) -> Result<BlkData<'b>> {
    // CAST: 36 bytes.
    let layout = virtio_pci::find_layout(pdev, size_of::<BlkConfig>() as u32);
    if let Err(malformed) = &layout {
        suite.note(fmt!("capabilities: {}", malformed));
    }
    let layout = layout.map_err(Error::from);
    suite.case("capabilities", layout.map(|_| ()));
    let layout = layout?;

    let bars = KBox::new(Bars::map(pdev, &layout, NAME)?, GFP_KERNEL)?;
    // SAFETY: `bars` is on the heap and moves into `BlkData` as a box: its address is stable,
    // and it is dropped last, after everything that holds a view of it.
    let transport = Transport::new(unsafe { &*core::ptr::from_ref(&*bars) }, &layout)?;
    transport.reset()?;
    let live = LiveDevice { transport };
    let negotiated = transport.negotiate(WANTED);
    suite.run("features_version_1", || {
        let features = negotiated?;
        suite_features(features)?;
        check!(features & F_VERSION_1 != 0);
        Ok(())
    });
    let features = negotiated?;
    virtio_pci::check_dma(pdev, features)?;

    let config = transport.device_config::<BlkConfig>()?;
    let geometry = transport.read_config(|| Geometry {
        capacity: read_split(io_project!(config, .capacity)),
        blk_size: io_read!(config, .blk_size).get(),
        seg_max: io_read!(config, .seg_max).get(),
        size_max: io_read!(config, .size_max).get(),
        num_queues: io_read!(config, .num_queues).get(),
    })?;

    // A queue per CPU, as many as the device has, and at most `max_queues` where that is set
    // (the fault walk sets it: each queue fails in the same places, while the block layer's
    // allocations for each, mostly tolerated debugfs and sysfs entries, multiply the walk).
    let offered = if features & F_MQ != 0 {
        u32::from(geometry.num_queues)
    } else {
        1
    };
    let wanted = match module_parameters::max_queues.value() {
        0 => QUEUES_MAX,
        most => most,
    };
    let limits = [
        offered,
        kernel::cpu::nr_cpu_ids(),
        u32::from(transport.num_queues()),
        QUEUES_MAX,
        wanted,
    ];
    let count = match limits.into_iter().min() {
        Some(0) | None => 1,
        Some(count) => count,
    };
    let mut queues = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for _ in 0..count {
        queues.push(
            KBox::pin_init(BlkQueue::new(pdev)?, GFP_KERNEL)?,
            GFP_KERNEL,
        )?;
    }
    // CAST: `device::Device` is a transparent wrapper of `struct device`.
    let dma_dev = core::ptr::from_ref(pdev.as_ref())
        .cast::<bindings::device>()
        .cast_mut();
    let shared = KBox::pin_init(try_init!(BlkShared { queues, dma_dev }? Error), GFP_KERNEL)?;
    // From here the device is given the queues' memory: it is reset before that is freed, if
    // the probe fails (dropped before `shared`).
    let reset_guard = ScopeGuard::new(|| {
        let _ = transport.reset();
    });

    // A vector per queue with MSI-X; INTx for all of them otherwise, and with `intx=1`, where
    // the boot tests the fallback.
    let msix = if module_parameters::intx.value() {
        Err(ENODEV)
    } else {
        pdev.alloc_irq_vectors(count, count, IrqTypes::default().with(IrqType::MsiX))
    };
    let vectors = match msix {
        Ok(vectors) => vectors,
        Err(_) => pdev.alloc_irq_vectors(1, 1, IrqTypes::default().with(IrqType::Intx))?,
    };
    let vectors = KBox::new(vectors, GFP_KERNEL)?;
    let msix = matches!(vectors.irq_type(), IrqType::MsiX);
    let ring_features = RingFeatures {
        event_idx: features & F_EVENT_IDX != 0,
        order_platform: features & F_ORDER_PLATFORM != 0,
    };
    let setup = (|| -> Result {
        transport.set_config_vector(NO_VECTOR)?;
        for (index, queue) in (0u16..).zip(&shared.queues) {
            let vector = if msix { index } else { NO_VECTOR };
            let mut state = queue.state.lock();
            state.vq.init_ring(&queue.ring, ring_features)?;
            state.notifier = Some(transport.setup_queue(index, &queue.ring, vector)?);
        }
        Ok(())
    })();
    suite.run("queues", || {
        setup?;
        for (index, queue) in (0u16..).zip(&shared.queues) {
            let ring = &queue.ring;
            check_eq!(
                transport.queue_addresses(index),
                (
                    device_address(io_project!(ring, .desc).dma_address()),
                    device_address(io_project!(ring, .avail).dma_address()),
                    device_address(io_project!(ring, .used).dma_address()),
                )
            );
        }
        Ok(())
    });
    setup?;
    suite.note(fmt!(
        "{} queues of {} entries ({} offered, {} CPUs), interrupts {}",
        count,
        QUEUE_SIZE,
        offered,
        kernel::cpu::nr_cpu_ids(),
        if msix {
            "MSI-X, a vector per queue"
        } else {
            "INTx"
        }
    ));

    // SAFETY: `shared` and `vectors` are on the heap and move into `BlkData` as boxes, dropped
    // after the registrations (declaration order) or before them on failure here (locals are
    // dropped in reverse order): either way they outlive them.
    let shared_ref = unsafe { &*core::ptr::from_ref(&*shared) };
    // SAFETY: As for `shared_ref`.
    let vectors_ref = unsafe { &*core::ptr::from_ref(&*vectors) };
    let mut irqs = KVec::new();
    let mut irq_numbers = KVec::new();
    for index in 0..vectors_ref.len() {
        let request = IrqRequest::from(vectors_ref.index(index)?);
        irq_numbers.push(request.irq(), GFP_KERNEL)?;
        let handler = BlkIrq {
            shared: shared_ref,
            queue: msix.then_some(index),
            intx: (!msix).then_some(transport),
        };
        // SAFETY: The registration is kept in `BlkData` and dropped with it, never forgotten.
        let registration =
            unsafe { Registration::new(request, Flags::SHARED, NAME, Ok::<_, Error>(handler)) };
        irqs.push(KBox::pin_init(registration, GFP_KERNEL)?, GFP_KERNEL)?;
    }
    transport.driver_ok();

    suite.note(fmt!(
        "capacity {} sectors, block size {}, seg_max {}, size_max {}",
        geometry.capacity,
        geometry.blk_size,
        geometry.seg_max,
        geometry.size_max
    ));
    suite.run("capacity", || {
        check!(geometry.capacity > 0);
        check!(geometry.capacity <= u64::MAX / SECTOR);
        if features & F_BLK_SIZE != 0 {
            check!(geometry.blk_size.is_power_of_two());
            check!((512..=4096).contains(&geometry.blk_size));
        }
        Ok(())
    });

    let tagset = KBox::pin_init(TagSet::new(count, DEPTH, 1), GFP_KERNEL)?;
    if msix {
        // Each queue's interrupt goes to the CPUs whose requests the queue carries, so that a
        // request completes on the CPU that issued it, with no interrupt between CPUs (Linux's
        // driver asks the PCI core for vectors spread the same way).
        set_affinity(&tagset, &irq_numbers)?;
    }
    let spec = DiskSpec {
        capacity: geometry.capacity,
        logical_block_size: if features & F_BLK_SIZE != 0 {
            geometry.blk_size
        } else {
            512
        },
        // CAST: At most `SEGMENTS_MAX`, 254.
        max_segments: if features & F_SEG_MAX != 0 {
            (geometry.seg_max as usize).clamp(1, SEGMENTS_MAX) as u16
        } else {
            SEGMENTS_MAX as u16
        },
        // What the device takes in one segment, and the DMA layer maps in one piece.
        max_segment_size: if features & F_SIZE_MAX != 0 {
            geometry.size_max.clamp(4096, dma_max_segment(dma_dev))
        } else {
            dma_max_segment(dma_dev)
        },
        write_cache: features & F_FLUSH != 0,
        read_only: features & F_RO != 0,
    };
    suite.note(fmt!(
        "disk: {} sectors of {} bytes, up to {} segments of {} bytes, write cache {}",
        spec.capacity,
        spec.logical_block_size,
        spec.max_segments,
        spec.max_segment_size,
        spec.write_cache
    ));
    // SAFETY: `shared` moves into `BlkData` as a box, which drops the disk first.
    let disk = unsafe { Disk::add(&tagset, &shared, pdev.as_ref(), c"iovda", &spec) };
    suite.case("disk_added", disk.as_ref().map(|_| ()).map_err(|e| *e));
    let disk = disk?;
    // After the partition scan's reads: what the device serves from here is the guest's.
    let hotplug = virtio_probe::HotplugBinding::new(pdev, shared.completed())?;
    reset_guard.dismiss();
    Ok(BlkData {
        disk: Some(disk),
        hotplug,
        _live: live,
        _irqs: irqs,
        _vectors: vectors,
        _tagset: tagset,
        shared,
        _bars: bars,
    })
}

/// Sets the affinity of the interrupt `irqs[i]` of queue `i` to the CPUs that `tagset` maps to
/// queue `i`.
#[cfg(CONFIG_SMP)]
fn set_affinity(tagset: &TagSet<VirtioBlk>, irqs: &[u32]) -> Result {
    use kernel::{
        cpu::CpuId,
        cpumask::CpumaskVar, //
    };

    // CAST: `TagSet` is a transparent wrapper of `struct blk_mq_tag_set`.
    let raw = core::ptr::from_ref(tagset).cast::<bindings::blk_mq_tag_set>();
    // SAFETY: The tag set is allocated: its default map has an entry per possible CPU, the
    // queue that CPU's requests go to. It is only read.
    let map = unsafe { (*raw).map[0].mq_map };
    for (queue, &irq) in irqs.iter().enumerate() {
        let mut mask = CpumaskVar::new_zero(GFP_KERNEL)?;
        for cpu in 0..kernel::cpu::nr_cpu_ids() {
            // SAFETY: `cpu` is below `nr_cpu_ids`, the length of the map.
            let mapped = unsafe { *map.add(cpu as usize) } as usize;
            if let (true, Some(id)) = (mapped == queue, CpuId::from_u32(cpu)) {
                mask.set(id);
            }
        }
        if !mask.empty() {
            // SAFETY: `irq` is an interrupt of this device, allocated and requested; the mask is
            // a valid cpumask, copied by the call.
            to_result(unsafe { bindings::irq_set_affinity(irq, mask.as_raw()) })?;
        }
    }
    Ok(())
}

/// Interrupts go where the single CPU is.
#[cfg(not(CONFIG_SMP))]
fn set_affinity(_tagset: &TagSet<VirtioBlk>, _irqs: &[u32]) -> Result {
    Ok(())
}

/// The largest segment the DMA layer maps for `dev` in one piece (C's `dma_get_max_seg_size()`):
/// `dma_map_sg()` may not be given longer ones.
fn dma_max_segment(dev: *mut bindings::device) -> u32 {
    // SAFETY: `dev` is the bound PCI function's device; its DMA parameters, which the PCI core
    // sets up when it adds the device, are only read.
    let max = unsafe {
        let parms = (*dev).dma_parms;
        if parms.is_null() {
            0
        } else {
            (*parms).max_segment_size
        }
    };
    if max == 0 {
        64 * 1024
    } else {
        max
    }
}

/// Checks that the negotiated `features` include nothing the driver did not ask for.
fn suite_features(features: u64) -> Result {
    check_eq!(
        features & !(WANTED | F_VERSION_1 | virtio_pci::F_ACCESS_PLATFORM),
        0
    );
    Ok(())
}

virtio_probe::sample_driver! {
    driver: VirtioBlkDriver,
    data: BlkData,
    device: 0x1042,
    name: "io_virtio_blk",
    description: "virtio-blk over the virtio PCI modern transport, on typed I/O views",
    params: {
        max_queues: u32 {
            default: 0,
            description: "The most request queues (0: a queue per CPU, as many as the device has)",
        },
    },
}
