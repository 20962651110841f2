// SPDX-License-Identifier: GPL-2.0

//! A driver for QEMU's `edu` device (PCI 1234:11e8) whose device stops answering while it is
//! bound: what the layer reports then, checked as the KTAP suite `io_dead_device`.
//!
//! The probe maps BAR0, requests edu's interrupt (MSI) and raises it with the interrupt held
//! (`disable_irq()`), so that it is pending. Then it asks the harness, in a note, to cut the device
//! off: from outside the driver, `/init` clears Memory Space Enable and Bus Master Enable in the
//! device's command register through sysfs (`tests/harness/init.sh`), as a failing device, a
//! firmware or a user with `setpci` can. From then on the checks show, with the device still
//! bound:
//!
//! - configuration space still answers: configuration cycles do not need either bit;
//! - MMIO reads and writes complete without an error: a read gives what the bus makes up (all
//!   ones on most machines, 0 on QEMU's), a write is dropped (checked once the device decodes
//!   again). No MMIO access can tell, since a register may read either; [`pci::Bar::check_alive`]
//!   can, and reports [`ENODEV`];
//! - the interrupt that was pending when the device died reaches the handler once it is let
//!   through: the handler reads a status that tells nothing (the bus's filler), asks
//!   `check_alive()`, leaves the device alone and says the interrupt was not its own; no second
//!   interrupt follows, since an MSI needs bus mastering;
//! - the handler and the vectors are freed with the device cut off (the teardown's accesses are
//!   configuration cycles);
//! - a device that has gone from the bus altogether, whose configuration reads complete with all
//!   ones, as the kernel's own AER error injection models one: for the length of that case the
//!   bus's configuration operations answer all ones for edu (`pci_bus_set_ops()`, the other
//!   devices' accesses passed on). The configuration space's `try_` reads and copies report
//!   [`ENODEV`], the plain ones give all ones, and so does `check_alive()`.
//!
//! The driver then turns memory decoding back on through configuration space and checks that the
//! writes made while the device did not decode were dropped. `Documentation/io/safety.rst` has
//! what a driver sees, case by case.
//!
//! On architectures where QEMU turns an access that no device decodes into an external abort
//! (the `virt` machine of arm64 and 32-bit arm, as for the access widths edu declines), the MMIO
//! accesses of a device that does not decode are not tried: those cases are reported as skipped.

use kernel::{
    bindings,
    device::Core,
    io::{
        io_project,
        io_read,
        io_write,
        Io,
        Mmio, //
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
    sync::atomic::{
        Acquire,
        Atomic,
        Relaxed,
        Release, //
    },
    time::{
        delay::fsleep,
        Delta, //
    },
};

#[path = "../samples/common/check.rs"]
mod checks;
#[path = "../samples/common/ktap.rs"]
mod ktap;

// Only the checks that access MMIO of a device that does not decode use `check!`, and only
// where that access completes.
#[cfg(CONFIG_X86)]
use checks::check;
use checks::check_eq;
use ktap::Suite;

/// The registers of edu's BAR0 that the driver uses.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct EduRegs {
    /// Identification: `0xRRrr00ed` for version RR.rr.
    id: u32,
    /// Reads back the bitwise inverse of the last value written.
    liveness: u32,
    _reserved0: [u32; 7],
    /// Pending interrupt causes.
    irq_status: u32,
    _reserved1: [u32; 14],
    /// Writing raises the given interrupt causes.
    irq_raise: u32,
    /// Writing acknowledges the given interrupt causes.
    irq_ack: u32,
}

const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(EduRegs, irq_status) == 0x24);
    assert!(offset_of!(EduRegs, irq_raise) == 0x60);
    assert!(offset_of!(EduRegs, irq_ack) == 0x64);
};

/// BAR0, as far as [`EduRegs`] reaches.
type EduBar<'a> = pci::Bar<'a, { size_of::<EduRegs>() }>;

/// What edu's identification register holds (version 1.0).
const EDU_ID: u32 = 0x0100_00ed;

/// The cause the driver raises while the interrupt is held.
const RAISED: u32 = 1 << 8;

/// The offset and the bits of the command register.
const COMMAND: usize = bindings::PCI_COMMAND as usize;
// CAST: The command register's bits are 16-bit constants.
const MEMORY: u16 = bindings::PCI_COMMAND_MEMORY as u16;
const MASTER: u16 = bindings::PCI_COMMAND_MASTER as u16;

/// How long the driver waits for the harness to cut the device off, in polls of 1 ms.
const CUT_OFF_TRIES: u32 = 10_000;

/// How long an interrupt that should not come is waited for.
const SETTLE: Delta = Delta::from_millis(20);

/// Waits until `done()` holds, for at most `tries` milliseconds.
fn poll(tries: u32, mut done: impl FnMut() -> bool) -> Result {
    for _ in 0..tries {
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

/// The interrupt handler's state: what it saw each time it ran.
struct Watcher<'a> {
    bar: &'a EduBar<'a>,
    /// Times the handler ran.
    calls: Atomic<u32>,
    /// The status it read last.
    status: Atomic<u32>,
    /// What `check_alive()` said the last time the status told nothing: 0 for `Ok`, else the
    /// negative error number.
    alive: Atomic<i32>,
}

impl Watcher<'_> {
    fn regs(&self) -> Mmio<'_, EduRegs> {
        self.bar.cast::<EduRegs>()
    }
}

// [guide:dead-device-handler]
impl irq::Handler for Watcher<'_> {
    fn handle(&self) -> IrqReturn {
        let regs = self.regs();
        let pending = io_read!(regs, .irq_status);
        self.status.store(pending, Relaxed);
        let mut handled = IrqReturn::None;
        if pending == 0 || pending == u32::MAX {
            // No cause, on a vector of its own, or every cause at once: a status that tells
            // nothing, which is also what a device that stopped answering gives. Only the
            // device's configuration space can tell.
            let alive = self.bar.check_alive();
            self.alive
                .store(alive.err().map_or(0, |e| e.to_errno()), Relaxed);
            // A device that does not answer has nothing to acknowledge; the interrupt is not
            // one this handler can account for.
        } else {
            io_write!(regs, .irq_ack, pending);
            handled = IrqReturn::Handled;
        }
        // Publishes what it saw to whoever sees the count.
        self.calls.fetch_add(1, Release);
        handled
    }
}
// [end guide:dead-device-handler]

/// Configuration-space operations that make one device of a bus vanish: its reads complete with
/// all ones and its writes are dropped, as on a bus whose device is gone; the other devices'
/// accesses go to the bus's own operations.
///
/// `ops` is the first field: the bus's operations point at it while the device has vanished,
/// which is how the callbacks find the rest.
#[repr(C)]
struct Vanish {
    ops: bindings::pci_ops,
    /// The bus's own operations.
    real: *mut bindings::pci_ops,
    /// The vanished device.
    devfn: c_uint,
}

/// Returns the [`Vanish`] installed on `bus`.
///
/// # Safety
///
/// `bus` must be a bus whose operations are a live [`Vanish`]'s `ops`.
unsafe fn vanish_of<'a>(bus: *mut bindings::pci_bus) -> &'a Vanish {
    // SAFETY: Per the safety requirement, the bus's operations are the first field of a live
    // `Vanish`, which has the same address (`repr(C)`).
    unsafe { &*(*bus).ops.cast::<Vanish>() }
}

/// Reads configuration space through a [`Vanish`]: all ones for the vanished device.
///
/// # Safety
///
/// Called by the PCI core as a bus's `read` operation, on a bus where [`Vanish::install`] put it.
unsafe extern "C" fn vanish_read(
    bus: *mut bindings::pci_bus,
    devfn: c_uint,
    at: c_int,
    size: c_int,
    value: *mut u32,
) -> c_int {
    // SAFETY: The PCI core only calls the operations of a bus while they are installed.
    let vanish = unsafe { vanish_of(bus) };
    if devfn == vanish.devfn {
        // SAFETY: The PCI core passes a valid place for the value.
        unsafe { value.write(u32::MAX) };
        return bindings::PCIBIOS_SUCCESSFUL as c_int;
    }
    // SAFETY: `real` is the bus's own operations, which stay valid; the call is the one the PCI
    // core would have made. The real operation may map the access with the bus's `map_bus`,
    // which `Vanish::install` copied.
    match unsafe { (*vanish.real).read } {
        // SAFETY: As above: the PCI core's own call, passed on.
        Some(read) => unsafe { read(bus, devfn, at, size, value) },
        None => bindings::PCIBIOS_FUNC_NOT_SUPPORTED as c_int,
    }
}

/// Writes configuration space through a [`Vanish`]: dropped for the vanished device.
///
/// # Safety
///
/// As for [`vanish_read`].
unsafe extern "C" fn vanish_write(
    bus: *mut bindings::pci_bus,
    devfn: c_uint,
    at: c_int,
    size: c_int,
    value: u32,
) -> c_int {
    // SAFETY: As in `vanish_read`.
    let vanish = unsafe { vanish_of(bus) };
    if devfn == vanish.devfn {
        return bindings::PCIBIOS_SUCCESSFUL as c_int;
    }
    // SAFETY: As in `vanish_read`.
    match unsafe { (*vanish.real).write } {
        // SAFETY: As in `vanish_read`.
        Some(write) => unsafe { write(bus, devfn, at, size, value) },
        None => bindings::PCIBIOS_FUNC_NOT_SUPPORTED as c_int,
    }
}

impl Vanish {
    /// Makes `pdev` vanish from its bus until the returned guard is dropped, and runs `f`.
    fn during<R>(pdev: &pci::Device<Core<'_>>, f: impl FnOnce() -> R) -> Result<R> {
        // CAST: `pci::Device` is a transparent wrapper of `struct pci_dev`.
        let raw = core::ptr::from_ref(pdev).cast::<bindings::pci_dev>();
        // SAFETY: `raw` is the valid, bound PCI device `pdev` wraps; its bus outlives it.
        let (bus, devfn) = unsafe { ((*raw).bus, (*raw).devfn) };
        // SAFETY: The bus is valid; its operations are read as `pci_bus_set_ops()` would.
        let real = unsafe { (*bus).ops };
        // SAFETY: `real` is the bus's operations, valid for as long as the bus.
        let map_bus = unsafe { (*real).map_bus };
        let vanish = KBox::new(
            Vanish {
                ops: bindings::pci_ops {
                    add_bus: None,
                    remove_bus: None,
                    map_bus,
                    read: Some(vanish_read),
                    write: Some(vanish_write),
                },
                real,
                devfn,
            },
            GFP_KERNEL,
        )?;
        let ops = core::ptr::from_ref(&vanish.ops).cast_mut();
        // SAFETY: `ops` is the first field of a `Vanish` that lives, unmoved in its box, until
        // the bus's own operations are put back below.
        let previous = unsafe { bindings::pci_bus_set_ops(bus, ops) };
        let result = f();
        // SAFETY: Puts the bus's own operations back: no access goes through `vanish` after it.
        unsafe { bindings::pci_bus_set_ops(bus, previous) };
        drop(vanish);
        Ok(result)
    }
}

/// The cases of the suite, in the order [`exercise`] reports them.
const CASES: [&str; 9] = [
    "alive",
    "interrupt_held",
    "config_space_answers",
    "mmio_reads_complete",
    "mmio_writes_complete",
    "check_alive_enodev",
    "pending_interrupt_after_death",
    "config_space_of_a_vanished_device",
    "dropped_writes_after_revival",
];

/// Why the MMIO accesses of a device that does not decode are not tried on this architecture.
#[cfg(not(CONFIG_X86))]
const NO_MMIO: &str = "an access no device decodes is an external abort on this machine";

fn exercise(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>) -> Result {
    let bar: EduBar<'_> = suite.step("map_bar0", pdev.iomap_region_sized(0, c"io_dead_test"))?;
    let regs = (&bar).cast::<EduRegs>();
    let cfg = pdev.config_space();

    suite.run("alive", || {
        check_eq!(io_read!(regs, .id), EDU_ID);
        check_eq!(bar.check_alive(), Ok(()));
        io_write!(regs, .liveness, 0x1234_5678);
        check_eq!(io_read!(regs, .liveness), 0xedcb_a987);
        Ok(())
    });

    let msi = IrqTypes::default().with(IrqType::Msi);
    let vectors = suite.step("msi_vector", pdev.alloc_irq_vectors(1, 1, msi))?;
    let request = IrqRequest::from(suite.step("irq_vector_0", vectors.index(0))?);
    let irq = request.irq();
    let bar_ref = &bar;
    let handler = try_init!(Watcher {
        bar: bar_ref,
        calls: Atomic::new(0),
        status: Atomic::new(0),
        alive: Atomic::new(0),
    }? Error);
    // SAFETY: The registration is dropped in this function, never forgotten.
    let registration =
        unsafe { Registration::new(request, Flags::SHARED, c"io_dead_test", handler) };
    let registration = suite.step("request_irq", KBox::pin_init(registration, GFP_KERNEL))?;
    let watcher = registration.handler();

    // The interrupt is raised while held: it stays pending until it is let through.
    // SAFETY: `irq` is the interrupt this driver requested above, still registered.
    unsafe { bindings::disable_irq(irq) };
    let held = suite.run("interrupt_held", || {
        io_write!(regs, .irq_raise, RAISED);
        fsleep(SETTLE);
        check_eq!(watcher.calls.load(Acquire), 0);
        check_eq!(io_read!(regs, .irq_status), RAISED);
        Ok(())
    });

    // The harness watches for this note (tests/harness/init.sh).
    suite.note(fmt!("harness, cut off {} now", pdev.as_ref().name()));
    let cut_off = poll(CUT_OFF_TRIES, || {
        cfg.try_read16(COMMAND)
            .is_ok_and(|command| command & (MEMORY | MASTER) == 0)
    });
    let cut_off = suite.step("cut_off_from_outside", cut_off);
    if cut_off.is_err() {
        // SAFETY: As for `disable_irq()` above.
        unsafe { bindings::enable_irq(irq) };
        return cut_off;
    }

    suite.run("config_space_answers", || {
        check_eq!(cfg.try_read16(0), Ok(0x1234));
        check_eq!(cfg.try_read16(2), Ok(0x11e8));
        let command = cfg.try_read16(COMMAND)?;
        check_eq!(command & (MEMORY | MASTER), 0);
        Ok(())
    });

    #[cfg(CONFIG_X86)]
    {
        let filler = (&bar).try_read32(0);
        suite.note(fmt!(
            "memory decoding off: an MMIO read gives {:x?}",
            filler
        ));
        suite.run("mmio_reads_complete", || {
            // What the bus makes up for a read that nothing decodes, with no error: all ones on
            // most machines, 0 on QEMU's (its unassigned memory reads as 0). Not the register.
            let filler = filler?;
            check!(filler == 0 || filler == u32::MAX);
            check_eq!(io_read!(regs, .id), filler);
            check_eq!(io_read!(regs, .liveness), filler);
            check_eq!(io_project!(regs, .irq_status).try_copy_read(), Ok(filler));
            Ok(())
        });
        suite.run("mmio_writes_complete", || {
            check_eq!((&bar).try_write32(0x0bad_f00d, 4), Ok(()));
            Ok(())
        });
    }
    #[cfg(not(CONFIG_X86))]
    {
        suite.skip("mmio_reads_complete", NO_MMIO);
        suite.skip("mmio_writes_complete", NO_MMIO);
    }
    suite.run("check_alive_enodev", || {
        check_eq!(bar.check_alive(), Err(ENODEV));
        Ok(())
    });

    // The pending interrupt, let through with the device cut off.
    #[cfg(CONFIG_X86)]
    suite.run("pending_interrupt_after_death", || {
        check!(held);
        // SAFETY: As for `disable_irq()` above.
        unsafe { bindings::enable_irq(irq) };
        poll(2000, || watcher.calls.load(Acquire) > 0)?;
        fsleep(SETTLE);
        check_eq!(watcher.calls.load(Acquire), 1);
        // The bus's filler, never the cause that was raised.
        let status = watcher.status.load(Relaxed);
        check!(status == 0 || status == u32::MAX);
        check_eq!(watcher.alive.load(Relaxed), ENODEV.to_errno());
        Ok(())
    });
    #[cfg(not(CONFIG_X86))]
    {
        let _ = held;
        suite.skip("pending_interrupt_after_death", NO_MMIO);
        // Let through once the device decodes again, below.
    }

    // The teardown of the interrupt, with the device cut off: configuration cycles only.
    #[cfg(CONFIG_X86)]
    {
        drop(registration);
        drop(vectors);
        suite.note(fmt!("handler and vectors freed with the device cut off"));
    }

    suite.run("config_space_of_a_vanished_device", || {
        let (reads, plain, copy, alive, write) = Vanish::during(pdev, || {
            let mut header = [0u8; 16];
            (
                cfg.try_read32(0),
                cfg.read16(0),
                io_project!(cfg.as_bytes(), [build: 0..16]).try_copy_to_slice(&mut header),
                bar.check_alive(),
                cfg.try_write8(0, 0x3c),
            )
        })?;
        check_eq!(reads, Err(ENODEV));
        check_eq!(plain, u16::MAX);
        check_eq!(copy, Err(ENODEV));
        check_eq!(alive, Err(ENODEV));
        // A write completes whether or not a device takes it: no error to report.
        check_eq!(write, Ok(()));
        // Back on the bus.
        check_eq!(cfg.try_read16(0), Ok(0x1234));
        Ok(())
    });

    // Memory decoding back on, from the driver: the writes made meanwhile were dropped.
    let command = cfg.try_read16(COMMAND)?;
    suite.step(
        "memory_decoding_on",
        cfg.try_write16(command | MEMORY, COMMAND),
    )?;
    suite.run("dropped_writes_after_revival", || {
        check_eq!(bar.check_alive(), Ok(()));
        check_eq!(io_read!(regs, .id), EDU_ID);
        // The inverse of what was written while the device was alive.
        check_eq!(io_read!(regs, .liveness), 0xedcb_a987);
        Ok(())
    });

    #[cfg(not(CONFIG_X86))]
    {
        // SAFETY: As for `disable_irq()` above. Without bus mastering the device cannot
        // interrupt again, and the pending interrupt finds the device answering.
        unsafe { bindings::enable_irq(irq) };
        drop(registration);
        drop(vectors);
    }
    // Whatever is still pending on the device, acknowledged.
    io_write!(regs, .irq_ack, io_read!(regs, .irq_status));
    Ok(())
}

struct DeadTest;

kernel::pci_device_table!(
    PCI_TABLE,
    <DeadTest as pci::Driver>::IdInfo,
    // `pci::Vendor` has no constant for QEMU's vendor ID 0x1234: edu is matched by its class and
    // its IDs are checked in `probe`.
    [(pci::DeviceId::from_class(0x00ff00, 0xffffff), ())]
);

impl pci::Driver for DeadTest {
    type IdInfo = ();
    type Data<'bound> = ();
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
        ktap::probe_suite("io_dead_device", pdev.as_ref(), &CASES, |suite| {
            exercise(pdev, suite)
        })
    }
}

kernel::module_pci_driver! {
    type: DeadTest,
    name: "io_dead_test",
    authors: ["The typed I/O project"],
    description: "A bound edu device cut off from outside: what the typed I/O layer reports",
    license: "GPL v2",
    params: {
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
    },
}
