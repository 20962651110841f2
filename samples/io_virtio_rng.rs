// SPDX-License-Identifier: GPL-2.0

//! A virtio entropy device driver (virtio-rng, PCI 1af4:1044, virtio 1.x only) on the typed I/O
//! layer, registered with the kernel's hwrng core: `/dev/hwrng` reads come from it.
//!
//! The transport (`common/virtio_pci.rs`) finds the device's structures through its capabilities
//! and reaches them as typed views of its BARs; the request queue is a split virtqueue
//! (`common/virtqueue.rs`) in coherent DMA memory. One buffer of [`BUF_LEN`] bytes is lent to
//! the device at a time; its interrupt (MSI-X, or INTx where MSI-X is not available) hands back
//! how much of it the device filled, which is checked before a byte of it is read.
//!
//! 7.3 has no Rust abstraction of the hwrng core: [`Hwrng`] registers a `struct hwrng` through
//! the C API, in a few `unsafe` blocks whose safety arguments it states.
//!
//! With the module parameter `intx=1` it takes INTx even where MSI-X is available, and names its
//! suite `io_virtio_rng_intx`: the boot tests the fallback that way.
//!
//! At probe the driver reports, as KTAP, that it found and validated the device's structures,
//! negotiated `VIRTIO_F_VERSION_1` and brought the device up, that the device took the queue's
//! addresses, that entropy arrives by interrupt and is not constant, and that the hwrng core took
//! the device. What `/dev/hwrng` then reads is checked from user space by the boot
//! (`tests/harness/virtio.sh`).
//!
//! QEMU must be started with `-device virtio-rng-pci,disable-legacy=on`.

use kernel::{
    bindings,
    device::{
        Bound,
        Core, //
    },
    dma::Coherent,
    error::to_result,
    io::{
        io_project,
        io_read,
        Io, //
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
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        new_condvar,
        new_spinlock_irq,
        CondVar,
        CondVarTimeoutResult,
        SpinLockIrq, //
    },
    time::msecs_to_jiffies,
    types::Opaque,
};

#[path = "common/check.rs"]
mod checks;
#[path = "common/ktap.rs"]
mod ktap;
// Shared with the virtio-blk sample and the KUnit suites: not every user needs every item.
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
use virtio_caps::Layout;
use virtio_pci::{
    Bars,
    Notifier,
    Transport,
    F_EVENT_IDX,
    F_ORDER_PLATFORM,
    F_VERSION_1,
    NO_VECTOR,
    STATUS_ACKNOWLEDGE,
    STATUS_DRIVER,
    STATUS_DRIVER_OK,
    STATUS_FEATURES_OK, //
};
use virtqueue::{
    Ring,
    RingFeatures,
    Segment,
    SplitQueue, //
};

/// The name of the driver, of its interrupt, and of the hwrng it registers.
const NAME: &CStr = c"io_virtio_rng";
/// The size of the request queue. One buffer is in flight at a time; QEMU's queue has 8 entries.
const QUEUE_SIZE: usize = 8;
/// The size of the buffer the device fills at each request.
const BUF_LEN: usize = 64;
/// The features the driver can use, beyond those of the transport.
const WANTED: u64 = F_EVENT_IDX | F_ORDER_PLATFORM;
/// How long a read that may wait waits for the device.
const READ_TIMEOUT_MS: u32 = 1000;

/// The request queue's state, under its lock.
struct RngState<'b> {
    queue: SplitQueue<(), QUEUE_SIZE>,
    /// Set once the queue is set up in the device.
    notifier: Option<Notifier<'b>>,
    /// The buffer is lent to the device.
    pending: bool,
    /// How many bytes of the buffer, from `next`, the device filled and no one read yet.
    ready: usize,
    next: usize,
}

/// The request queue: its ring and buffer in coherent DMA memory, and what the interrupt handler
/// and readers share.
#[pin_data]
struct RngQueue<'b> {
    ring: Coherent<Ring<QUEUE_SIZE>>,
    buf: Coherent<[u8; BUF_LEN]>,
    #[pin]
    state: SpinLockIrq<RngState<'b>>,
    /// Signalled when the device hands the buffer back.
    #[pin]
    filled: CondVar,
    /// Interrupts that found the device done with the buffer.
    completions: Atomic<u32>,
    /// Reads of the hwrng core running now.
    readers: Atomic<u32>,
}

impl<'b> RngQueue<'b> {
    fn new(dev: &pci::Device<Bound>) -> Result<impl PinInit<Self, Error>> {
        let ring = Coherent::zeroed(dev.as_ref(), GFP_KERNEL)?;
        let buf = Coherent::zeroed(dev.as_ref(), GFP_KERNEL)?;
        let queue = SplitQueue::new()?;
        Ok(try_pin_init!(RngQueue {
            ring,
            buf,
            state <- new_spinlock_irq!(RngState {
                queue,
                notifier: None,
                pending: false,
                ready: 0,
                next: 0,
            }),
            filled <- new_condvar!(),
            completions: Atomic::new(0),
            readers: Atomic::new(0),
        }? Error))
    }

    /// Lends the buffer to the device, unless it has it or holds unread entropy.
    fn request(&self, state: &mut RngState<'b>) -> Result {
        if state.pending || state.ready > 0 {
            return Ok(());
        }
        let segment = Segment {
            addr: virtio_pci::device_address(self.buf.dma_address()),
            // CAST: 64 bytes.
            len: BUF_LEN as u32,
            device_writes: true,
        };
        state
            .queue
            .add(&self.ring, 1, [segment], ())
            .map_err(|(err, ())| err)?;
        state.pending = true;
        if state.queue.kick_prepare(&self.ring) {
            if let Some(notifier) = state.notifier {
                notifier.notify();
            }
        }
        Ok(())
    }

    // [guide:rng-read]
    /// Reads up to `out.len()` bytes of entropy; with `wait`, waits for the device (for a bounded
    /// time) if it has none ready. Returns how many bytes were read.
    fn read(&self, out: &mut [u8], wait: bool) -> Result<usize> {
        let mut state = self.state.lock();
        loop {
            if state.ready > 0 {
                let n = out.len().min(state.ready);
                let start = state.next;
                // The device's length was checked against the buffer when it was taken; the
                // window is checked again here, by the projection.
                io_project!(&self.buf, [try: start..start + n]).try_copy_to_slice(&mut out[..n])?;
                state.next += n;
                state.ready -= n;
                self.request(&mut state)?;
                return Ok(n);
            }
            if state.queue.broken().is_some() {
                return Err(EIO);
            }
            self.request(&mut state)?;
            if !wait {
                return Ok(0);
            }
            match self
                .filled
                .wait_interruptible_timeout(&mut state, msecs_to_jiffies(READ_TIMEOUT_MS))
            {
                CondVarTimeoutResult::Woken { .. } => {}
                CondVarTimeoutResult::Timeout => return Ok(0),
                CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
            }
        }
    }
    // [end guide:rng-read]
}

/// The interrupt handler: takes the buffer back from the device.
struct RngIrq<'b> {
    queue: &'b RngQueue<'b>,
    /// With INTx, the transport whose ISR says whether the interrupt is the device's.
    intx: Option<Transport<'b>>,
}

// [guide:irq]
impl irq::Handler for RngIrq<'_> {
    fn handle(&self) -> IrqReturn {
        if let Some(transport) = self.intx {
            // Reading the ISR acknowledges it and lowers the line.
            if transport.isr() == 0 {
                return IrqReturn::None;
            }
        }
        let queue = self.queue;
        let mut state = queue.state.lock();
        let mut done = false;
        loop {
            match state.queue.pop_used(&queue.ring) {
                Ok(Some(((), len))) => {
                    state.pending = false;
                    // CAST: `pop_used()` checked `len` against the buffer's 64 bytes.
                    state.ready = len as usize;
                    state.next = 0;
                    done = true;
                }
                Ok(None) => {
                    if !state.queue.enable_interrupts(&queue.ring) {
                        break;
                    }
                }
                Err(err) => {
                    pr_err!("device error: {}; the queue is stopped\n", err);
                    done = true;
                    break;
                }
            }
        }
        drop(state);
        if done {
            queue.completions.add(1, Relaxed);
            queue.filled.notify_all();
        }
        IrqReturn::Handled
    }
}
// [end guide:irq]

/// A device that is set up: reset again when dropped, before the memory it was given is freed
/// and its interrupt released.
struct LiveDevice<'b> {
    transport: Transport<'b>,
    /// The features negotiated.
    features: u64,
}

impl<'b> LiveDevice<'b> {
    /// Resets the device and negotiates its features.
    fn new(transport: Transport<'b>) -> Result<Self> {
        transport.reset()?;
        let mut live = LiveDevice {
            transport,
            features: 0,
        };
        live.features = live.transport.negotiate(WANTED)?;
        Ok(live)
    }
}

impl Drop for LiveDevice<'_> {
    fn drop(&mut self) {
        if self.transport.reset().is_err() {
            pr_err!("the device did not reset\n");
        }
    }
}

/// The device, set up: everything the driver holds, in drop order. The device is reset first,
/// then its interrupt is freed, then the memory it was given; the BARs go last.
#[pin_data]
struct VirtioRng<'b> {
    live: LiveDevice<'b>,
    #[pin]
    irq: Registration<'b, RngIrq<'b>>,
    vectors: pci::IrqVectorRegistration<'b>,
    #[pin]
    queue: RngQueue<'b>,
    transport: Transport<'b>,
    bars: Bars<'b>,
    /// The interrupt type in use.
    irq_type: IrqType,
}

impl<'b> VirtioRng<'b> {
    /// Maps the structures of `layout`, resets the device, negotiates its features, sets up the
    /// queue and its interrupt (MSI-X, else INTx), and tells the device the driver is ready.
    fn new(pdev: &'b pci::Device<Bound>, layout: Layout) -> impl PinInit<Self, Error> + 'b {
        try_pin_init!(VirtioRng {
            bars: Bars::map(pdev, &layout, NAME)?,
            // SAFETY: `bars` is initialized before this (fields are initialized in the order
            // written here), lives at a pinned address until the whole structure is dropped, and
            // is dropped after every field that holds a view of it (declaration order).
            transport: Transport::new(unsafe { &*core::ptr::from_ref(bars) }, &layout)?,
            queue <- RngQueue::new(pdev)?,
            vectors: pdev.alloc_irq_vectors(1, 1, irq_types())?,
            irq_type: vectors.irq_type(),
            // Dropped before `queue`, whatever happens: on a failure below, fields are dropped in
            // the reverse order of their initialization.
            live: LiveDevice::new(*transport)?,
            _: {
                let features = live.features;
                virtio_pci::check_dma(pdev, features)?;
                let vector = if matches!(irq_type, IrqType::MsiX) { 0 } else { NO_VECTOR };
                transport.set_config_vector(vector)?;
                let mut state = queue.state.lock();
                state.queue.init_ring(
                    &queue.ring,
                    RingFeatures {
                        event_idx: features & F_EVENT_IDX != 0,
                        order_platform: features & F_ORDER_PLATFORM != 0,
                    },
                )?;
                state.notifier = Some(transport.setup_queue(0, &queue.ring, vector)?);
            },
            irq <- {
                // SAFETY: `vectors` is initialized before this, lives at a pinned address until
                // the structure is dropped, and is dropped after `irq` (declaration order) on
                // success, and before it on failure (reverse initialization order).
                let vectors = unsafe { &*core::ptr::from_ref(vectors) };
                // SAFETY: As for `vectors`: `queue`, pinned, outlives `irq` either way.
                let queue = unsafe { &*core::ptr::from_ref(&*queue) };
                let request = IrqRequest::from(vectors.index(0)?);
                let intx = if matches!(irq_type, IrqType::Intx) { Some(*transport) } else { None };
                let handler = try_init!(RngIrq { queue, intx }? Error);
                // SAFETY: The registration is a field of this pinned structure, dropped with it,
                // never forgotten.
                unsafe { Registration::new(request, Flags::SHARED, NAME, handler) }
            },
            _: {
                transport.driver_ok();
            },
        }? Error)
    }

    /// Reads back the addresses queue 0 was given.
    fn queue_addresses(&self) -> (u64, u64, u64) {
        self.transport.queue_addresses(0)
    }
}

/// A `struct hwrng` registered with the hwrng core, reading from a [`RngQueue`].
///
/// # Invariants
///
/// `raw` is registered with the hwrng core, its `priv` pointing to the queue given to
/// [`Hwrng::register`], which outlives the registration.
#[pin_data(PinnedDrop)]
struct Hwrng {
    #[pin]
    raw: Opaque<bindings::hwrng>,
}

// SAFETY: The registration is only touched by the hwrng core, under its own locks, and by
// `hwrng_unregister()` in `drop`; the queue it reads from is `Sync`.
unsafe impl Send for Hwrng {}
// SAFETY: As for `Send`: a shared `Hwrng` gives access to nothing.
unsafe impl Sync for Hwrng {}

impl Hwrng {
    /// Registers a hwrng named [`NAME`] that reads from `queue`.
    ///
    /// # Safety
    ///
    /// `queue` must outlive the returned registration.
    unsafe fn register(queue: &RngQueue<'_>) -> impl PinInit<Self, Error> {
        // The core holds it as an integer; the callback turns it back into the queue.
        let queue = core::ptr::from_ref(queue).cast::<core::ffi::c_void>();
        try_pin_init!(Hwrng {
            raw <- Opaque::try_ffi_init(move |slot: *mut bindings::hwrng| {
                // SAFETY: `slot` is valid for writes of a `struct hwrng`, which is plain C data
                // for which all zeroes is the unset state the core expects.
                unsafe { slot.write(core::mem::zeroed()) };
                // SAFETY: `slot` was just initialized; only the fields a driver sets are written.
                unsafe {
                    (*slot).name = NAME.as_char_ptr();
                    (*slot).read = Some(hwrng_read);
                    (*slot).priv_ = queue.addr() as kernel::ffi::c_ulong;
                }
                // SAFETY: `slot` is an initialized `struct hwrng` at a pinned address that stays
                // valid until `hwrng_unregister()` in `drop`; its `priv` outlives it (the
                // caller's guarantee).
                to_result(unsafe { bindings::hwrng_register(slot) })
            }),
        }? Error)
    }
}

#[pinned_drop]
impl PinnedDrop for Hwrng {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `raw` is registered (invariant). Unregistering waits until no read is running
        // and none can start.
        unsafe { bindings::hwrng_unregister(self.raw.get()) };
    }
}

/// The hwrng core's `read` callback: up to `max` bytes into `data`; may wait if `wait`.
///
/// # Safety
///
/// Called by the hwrng core for a registered [`Hwrng`], with `data` valid for writes of `max`
/// bytes.
unsafe extern "C" fn hwrng_read(
    rng: *mut bindings::hwrng,
    data: *mut core::ffi::c_void,
    max: usize,
    wait: bool,
) -> core::ffi::c_int {
    // SAFETY: `rng` is a registered `Hwrng`'s, whose `priv` points to its queue, alive while
    // it is registered (invariant of `Hwrng`).
    let queue = unsafe { &*((*rng).priv_ as *const RngQueue<'_>) };
    // SAFETY: The core passes a buffer of its own, valid for writes of `max` bytes, that nothing
    // else accesses during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(data.cast::<u8>(), max) };
    queue.readers.add(1, Relaxed);
    let read = queue.read(out, wait);
    queue.readers.fetch_sub(1, Release);
    match read {
        // CAST: At most `max` bytes, which the core bounds by its buffer's size.
        Ok(n) => n as core::ffi::c_int,
        Err(err) => err.to_errno(),
    }
}

/// What the driver holds while bound: the hwrng registration, dropped first, then the device.
struct RngData<'b> {
    /// Always `Some`, but in `drop`.
    hwrng: Option<Pin<KBox<Hwrng>>>,
    /// In the hotplug stage, the binding's record.
    hotplug: Option<virtio_probe::HotplugBinding>,
    device: Pin<KBox<VirtioRng<'b>>>,
}

impl Drop for RngData<'_> {
    fn drop(&mut self) {
        if let Some(hotplug) = &self.hotplug {
            // Unregistering waits for the reads that run: none may be left, which the
            // registration's safety rests on.
            drop(self.hwrng.take());
            let queue = &self.device.queue;
            hotplug.report(
                queue.completions.load(Relaxed),
                // CAST: u32 to usize, lossless.
                queue.readers.load(Acquire) as usize,
                self.device.live.transport.reset(),
            );
        }
    }
}

// SAFETY: The views, the queue and the interrupt registration may be used from any thread
// (they are `Sync`, with the queue's state behind a lock); the driver core drops the data on
// one thread once the device unbinds.
unsafe impl Send for RngData<'_> {}

/// The interrupt types the driver may use: MSI-X, else INTx; INTx alone with `intx=1`.
fn irq_types() -> IrqTypes {
    if module_parameters::intx.value() {
        IrqTypes::default().with(IrqType::Intx)
    } else {
        IrqTypes::default().with(IrqType::MsiX).with(IrqType::Intx)
    }
}

/// The cases of the probe's suite, in order.
const CASES: [&str; 5] = [
    "capabilities",
    "features_version_1",
    "queue_addresses",
    "entropy_by_interrupt",
    "hwrng_registered",
];

/// Reads `out.len()` bytes of entropy through the queue, as the hwrng core would.
fn read_entropy(queue: &RngQueue<'_>, out: &mut [u8]) -> Result {
    let mut got = 0;
    let mut tries = 0;
    while got < out.len() {
        tries += 1;
        check!(tries <= 100);
        got += queue.read(&mut out[got..], true)?;
    }
    Ok(())
}

/// Brings the device up, reporting each check; returns what the driver keeps.
fn bring_up<'b>(pdev: &'b pci::Device<Bound>, suite: &mut Suite<'_>) -> Result<RngData<'b>> {
    let layout = virtio_pci::find_layout(pdev, 0);
    if let Err(malformed) = &layout {
        suite.note(fmt!("capabilities: {}", malformed));
    }
    let layout = layout.map_err(Error::from);
    suite.case("capabilities", layout.map(|_| ()));
    let layout = layout?;
    suite.note(fmt!(
        "common {}, notify {} (multiplier {}), ISR {}",
        layout.common,
        layout.notify,
        layout.notify_multiplier,
        layout.isr
    ));

    let device = suite.step(
        "device_up",
        KBox::pin_init(VirtioRng::new(pdev, layout), GFP_KERNEL),
    )?;
    suite.note(fmt!(
        "features {:#x}, interrupt {}, status {:#04x}",
        device.live.features,
        match device.irq_type {
            IrqType::MsiX => "MSI-X",
            IrqType::Msi => "MSI",
            IrqType::Intx => "INTx",
        },
        device.transport.status()
    ));

    suite.run("features_version_1", || {
        check!(device.live.features & F_VERSION_1 != 0);
        check_eq!(
            device.transport.status(),
            STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK
        );
        Ok(())
    });
    suite.run("queue_addresses", || {
        let ring = &device.queue.ring;
        check_eq!(
            device.queue_addresses(),
            (
                virtio_pci::device_address(io_project!(ring, .desc).dma_address()),
                virtio_pci::device_address(io_project!(ring, .avail).dma_address()),
                virtio_pci::device_address(io_project!(ring, .used).dma_address()),
            )
        );
        Ok(())
    });
    let mut first = [0u8; 256];
    let mut second = [0u8; 256];
    let read = read_entropy(&device.queue, &mut first)
        .and_then(|()| read_entropy(&device.queue, &mut second));
    let completions = device.queue.completions.load(Relaxed);
    suite.note(fmt!(
        "entropy: {:02x?}... after {} completions",
        &first[..8],
        completions
    ));
    suite.run("entropy_by_interrupt", || {
        read?;
        // Not constant within a read, nor the same twice.
        check!(first.iter().any(|&b| b != first[0]));
        check!(first != second);
        // 512 bytes come in at least 8 buffers of 64.
        check!(completions >= 8);
        // Every buffer lent came back, but perhaps the one lent last.
        let lent = io_read!(&device.queue.ring, .avail.idx).get();
        let back = io_read!(&device.queue.ring, .used.idx).get();
        check!(lent.wrapping_sub(back) <= 1);
        check!(lent >= 8);
        Ok(())
    });

    // SAFETY: The queue is in `device`, which `RngData` drops after the registration.
    let hwrng = KBox::pin_init(unsafe { Hwrng::register(&device.queue) }, GFP_KERNEL);
    suite.case(
        "hwrng_registered",
        hwrng.as_ref().map(|_| ()).map_err(|e| *e),
    );
    let hwrng = hwrng?;
    let hotplug = virtio_probe::HotplugBinding::new(pdev, device.queue.completions.load(Relaxed))?;
    Ok(RngData {
        hwrng: Some(hwrng),
        hotplug,
        device,
    })
}

virtio_probe::sample_driver! {
    driver: VirtioRngDriver,
    data: RngData,
    device: 0x1044,
    name: "io_virtio_rng",
    description: "virtio-rng over the virtio PCI modern transport, on typed I/O views",
}
