// SPDX-License-Identifier: GPL-2.0

//! A driver for QEMU's `pci-testdev` (PCI 1b36:0005) that does what the stock `rust_driver_pci`
//! sample does on the device's memory BAR0, on both of its BARs: BAR0 through MMIO and the I/O
//! port BAR1 through port I/O.
//!
//! Both BARs start with the same little-endian header, described once by [`Header`] with
//! byte-order field types; the one function that runs a test is generic over the backend, so
//! the same typed view, the same `register!` register and the same accessors serve both BARs.
//! A test is selected by writing its number to the header's test register; the header then
//! names the test, the offset to write to and the byte to write, and counts the writes of that
//! byte there. The driver runs the test that counts writes whatever the accelerator
//! (`no-eventfd`) on each BAR, and reports the count and the test's name as KTAP.
//!
//! Then it lets the device tell access widths apart: the port BAR's `datamatch-eventfd` test has
//! a 1-byte eventfd on its port, which QEMU matches against the address, width and value of a
//! write before the device sees it. A 1-byte write of the test's byte is taken by the eventfd
//! and not counted; 16- and 32-bit writes that carry the same byte to the same port reach the
//! device, which counts them. The counts are read through the memory BAR.
//!
//! With four CPUs, the same counted write comes from a work item on each CPU at once, through one
//! shared `&Bar` of each BAR: the device's count must be exactly the sum of their writes
//! (`samples/common/smp.rs`).
//!
//! Loaded with `hotplug=1` (the hotplug stage, `tests/harness/hotplug.sh`), the driver instead
//! keeps the device: a short check at each probe, then a loop on each CPU that writes the counted
//! byte through a `Devres`-managed BAR, until the device is removed. The remove path stops the
//! writes and checks the device's count against the loops' own; the loops then meet the revoked
//! BARs, and are stopped once devres has revoked them ([`hotplug`]).
//!
//! QEMU must be started with `-device pci-testdev`.

use kernel::{
    device::Core,
    devres::DevresLt,
    io::{
        io_project,
        io_read,
        register,
        Io,
        IoCapable,
        IoCopyable,
        Le32,
        Region, //
    },
    pci,
    prelude::*,
    revocable::Revocable,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
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

/// The header at the start of both BARs.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Header {
    /// Write-only: selects a test. Reads back as the test's number among both BARs' tests.
    test: u8,
    /// The width of the test's accesses.
    width: u8,
    _pad0: [u8; 2],
    /// Where in the BAR the test's writes go.
    offset: Le32,
    /// The byte the test counts.
    data: u8,
    _pad1: [u8; 3],
    /// The writes of `data` to `offset` since the test was selected.
    count: Le32,
    /// The test's name, zero-terminated.
    name: [u8; 32],
}

// [guide:register-block]
// Its views take `register!` locations, as a region does.
impl kernel::io::RegisterBlock for Header {}

register! {
    /// The test selection register, at the start of [`Header`].
    TEST(u8) @ 0x0 {
        7:0 index;
    }
}
// [end guide:register-block]

/// The test that counts every write of its byte: no eventfd takes the writes away.
const NO_EVENTFD: u8 = 0;

/// The port test whose 1-byte eventfd takes the 1-byte writes of its byte.
const DATAMATCH: u8 = 2;

/// The memory BAR, as far as the header reaches, and the I/O port BAR.
type MemBar<'a> = pci::Bar<'a, { size_of::<Header>() }>;
type PortBar<'a> = pci::PortBar<'a, { size_of::<Header>() }>;

// [guide:register-in-typed-view]
/// Runs test `index` on a BAR, through whichever backend reaches it: selects the test, reads
/// the header with one copy, writes the test's byte to the test's offset, and returns the
/// header and the count the device kept.
fn run_test<'a, const SIZE: usize, H>(bar: H, index: u8) -> Result<(Header, u32)>
where
    H: Io<'a, Target = Region<SIZE>>,
    H::Backend: IoCapable<u8> + IoCapable<Le32> + IoCopyable,
{
    // The header fits in the region the BAR was mapped as: the cast is checked at build time.
    let header = bar.cast::<Header>();
    header.write_reg(TEST::zeroed().with_index(index));
    let selected = header.copy_read();
    // The offset is the device's to choose: the write is checked at runtime.
    bar.try_write8(selected.data, selected.offset.get() as usize)?;
    let count = io_read!(header, .count).get();
    Ok((selected, count))
}
// [end guide:register-in-typed-view]

/// The name of the `no-eventfd` test of the BAR whose tests' names start with `prefix`, as the
/// header holds it: zeros after the name.
fn no_eventfd_name(prefix: &str) -> [u8; 32] {
    let mut name = [0u8; 32];
    let (prefix, suffix) = (prefix.as_bytes(), b"no-eventfd");
    name[..prefix.len()].copy_from_slice(prefix);
    name[prefix.len()..prefix.len() + suffix.len()].copy_from_slice(suffix);
    name
}

/// The name of a test, up to its terminating zero.
fn name(header: &Header) -> &str {
    let len = header
        .name
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(header.name.len());
    core::str::from_utf8(&header.name[..len]).unwrap_or("?")
}

/// Runs the counting test on one BAR, reports it, and returns the device's count.
fn check_bar<'a, const SIZE: usize, H>(
    suite: &Suite<'_>,
    bar: H,
    what: &str,
    prefix: &str,
) -> Result<u32>
where
    H: Io<'a, Target = Region<SIZE>>,
    H::Backend: IoCapable<u8> + IoCapable<Le32> + IoCopyable,
{
    let (header, count) = run_test(bar, NO_EVENTFD)?;
    suite.note(fmt!(
        "{}: test {} \"{}\", {:#04x} written at {:#x}: count {}",
        what,
        header.test,
        name(&header),
        header.data,
        header.offset.get(),
        count
    ));
    let want = no_eventfd_name(prefix);
    check_eq!(header.name, want);
    check_eq!(header.width, 1);
    check_eq!(count, 1);
    // The name once more, copied as bytes out of a projection of the typed view.
    let mut again = [0u8; 32];
    io_project!(bar.cast::<Header>(), .name[build: ..]).try_copy_to_slice(&mut again)?;
    check_eq!(again, want);
    Ok(count)
}

/// Writes the `datamatch-eventfd` test's byte to its port in 8, 16 and 32 bits, and returns
/// the device's count after each, read through the memory BAR.
fn port_widths(mem: &MemBar<'_>, ports: &PortBar<'_>) -> Result<[u32; 3]> {
    let header = ports.cast::<Header>();
    header.write_reg(TEST::zeroed().with_index(DATAMATCH));
    let at = io_read!(header, .offset).get() as usize;
    let data = io_read!(header, .data);
    let count = || io_read!(mem.cast::<Header>(), .count).get();
    ports.try_write8(data, at)?;
    let byte = count();
    // The port is byte 1 of the 16- and 32-bit ports below it.
    ports.try_write16(u16::from(data) << 8, at - 1)?;
    let word = count();
    ports.try_write32(u32::from(data) << 8, at - 1)?;
    Ok([byte, word, count()])
}

/// How many times each context writes the counted byte, on each BAR.
const SMP_WRITES: u32 = 250;

/// Has every context of [`smp::scope`] write test `index`'s byte to its offset [`SMP_WRITES`]
/// times, all through the one shared `bar`, and returns the device's count, which must be exactly
/// the sum of their writes: the device sees every write of every CPU once.
fn counted_from_every_cpu<'a, const SIZE: usize, H>(
    suite: &Suite<'_>,
    bar: H,
    index: u8,
    what: &str,
) -> Result
where
    H: Io<'a, Target = Region<SIZE>> + Sync,
    H::Backend: IoCapable<u8> + IoCapable<Le32> + IoCopyable,
{
    let header = bar.cast::<Header>();
    header.write_reg(TEST::zeroed().with_index(index));
    let (data, at) = (
        io_read!(header, .data),
        io_read!(header, .offset).get() as usize,
    );
    check_eq!(io_read!(header, .count).get(), 0);
    let scope = smp::scope(&|_ctx| {
        for _ in 0..SMP_WRITES {
            bar.try_write8(data, at)?;
        }
        Ok(())
    })?;
    scope.result()?;
    let count = io_read!(header, .count).get();
    suite.note(fmt!(
        "summary: {}: {} contexts on CPUs {:?} wrote {:#04x} {} times each: the device counted {}",
        what,
        CONTEXTS,
        scope.ran_on,
        data,
        SMP_WRITES,
        count
    ));
    check!(scope.spread());
    check_eq!(count, CONTEXTS as u32 * SMP_WRITES);
    Ok(())
}

/// The cases of the suite, in the order [`exercise`] reports them.
const CASES: [&str; 6] = [
    "bar_spaces",
    "memory_bar0",
    "port_bar1",
    "port_widths_seen_by_device",
    "memory_writes_from_every_cpu_counted",
    "port_writes_from_every_cpu_counted",
];

fn exercise(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>) -> Result {
    // Each BAR only maps through the function of its space.
    suite.run("bar_spaces", || {
        check_eq!(pdev.iomap_region(1, c"io_testdev").err(), Some(EINVAL));
        check_eq!(pdev.iomap_port_region(0, c"io_testdev").err(), Some(EINVAL));
        Ok(())
    });
    let mem: MemBar<'_> = suite.step("map_bar0", pdev.iomap_region_sized(0, c"io_testdev"))?;
    let ports: PortBar<'_> = suite.step(
        "map_bar1_ports",
        pdev.iomap_port_region_sized(1, c"io_testdev"),
    )?;
    let memory = check_bar(suite, &mem, "memory", "mmio-");
    suite.case("memory_bar0", memory.map(|_| ()));
    let port = check_bar(suite, &ports, "ports", "portio-");
    suite.case("port_bar1", port.map(|_| ()));
    if let (Ok(memory), Ok(port)) = (memory, port) {
        suite.note(fmt!(
            "summary: no-eventfd tests: 0xfa written once through MMIO and once through ports: \
             counts {} and {}",
            memory,
            port
        ));
    }
    let counts = port_widths(&mem, &ports);
    if let Ok([byte, word, dword]) = counts {
        suite.note(fmt!(
            "summary: ports, datamatch-eventfd: 0xfa in 8, 16 and 32 bits to port 0x85: \
             counts {}, {}, {} (the 8-bit write is the eventfd's)",
            byte,
            word,
            dword
        ));
    }
    suite.run("port_widths_seen_by_device", || {
        check_eq!(counts?, [0, 1, 2]);
        Ok(())
    });
    let result = counted_from_every_cpu(suite, &mem, NO_EVENTFD, "memory");
    suite.case("memory_writes_from_every_cpu_counted", result);
    let result = counted_from_every_cpu(suite, &ports, NO_EVENTFD, "ports");
    suite.case("port_writes_from_every_cpu_counted", result);
    // Leave the device with the first test selected, as the stock sample does.
    (&mem).write8(NO_EVENTFD, 0);
    Ok(())
}

// ---- Hot-unplug under load (`hotplug=1`) ----

/// The memory BAR, managed by devres: revoked when the device goes.
type MemDevres = pci::DevresBar<{ size_of::<Header>() }>;
/// The port BAR, likewise.
type PortDevres = DevresLt<pci::PortBar<'static, { size_of::<Header>() }>>;

/// What the loops share with the driver: both BARs through devres, the gate of the counted
/// writes, and each loop's count of the writes it made.
struct Loads {
    mem: MemDevres,
    ports: PortDevres,
    /// Open while the loops may write; the remove path revokes it, which waits until no write is
    /// in flight.
    writes: Pin<KBox<Revocable<()>>>,
    /// The selected test's byte and offset, and its header's width, as the probe read them.
    data: u8,
    at: usize,
    width: u8,
    written: [Atomic<u32>; CONTEXTS],
}

impl loops::LoopBody for Loads {
    const HANDLES: u32 = 2;

    fn round(&self, ctx: usize) -> Result {
        let mem = self.mem.try_access().ok_or(ENXIO)?;
        let ports = self.ports.try_access().ok_or(ENXIO)?;
        // The counted write, and its count, both within the gate.
        if let Some(_open) = self.writes.try_access() {
            (&*mem).try_write8(self.data, self.at)?;
            self.written[ctx].add(1, Relaxed);
        }
        // A read of each BAR, whatever the gate says: the header as the probe found it.
        check_eq!(io_read!((&*mem).cast::<Header>(), .width), self.width);
        check_eq!(io_read!((&*ports).cast::<Header>(), .width), self.width);
        Ok(())
    }

    fn granted(&self) -> u32 {
        let mem = self.mem.try_access().is_some() | self.mem.try_access_with(|_| ()).is_some();
        let ports =
            self.ports.try_access().is_some() | self.ports.try_access_with(|_| ()).is_some();
        u32::from(mem) | u32::from(ports) << 1
    }
}

/// What a device bound in hot-plug mode keeps: its loops, stopped at release.
struct Hotplug {
    loops: Arc<loops::LoopsAtRelease<Loads>>,
    instance: u32,
}

/// The probe's checks in hot-plug mode, on a device just added: the counted test on both BARs,
/// each selected through its own BAR and counting one write. Leaves the memory BAR's test
/// selected.
fn hotplug_checks(mem: &MemBar<'_>, ports: &PortBar<'_>) -> Result<Header> {
    let (header, count) = run_test(ports, NO_EVENTFD)?;
    check_eq!(header.name, no_eventfd_name("portio-"));
    check_eq!(count, 1);
    let (header, count) = run_test(mem, NO_EVENTFD)?;
    check_eq!(header.name, no_eventfd_name("mmio-"));
    check_eq!(count, 1);
    // Selected again: the loops count from zero.
    mem.cast::<Header>()
        .write_reg(TEST::zeroed().with_index(NO_EVENTFD));
    check_eq!(io_read!(mem.cast::<Header>(), .count).get(), 0);
    Ok(header)
}

/// Probes in hot-plug mode: checks the device, hands both BARs to devres and starts a loop on
/// each CPU.
fn hotplug_probe(pdev: &pci::Device<Core<'_>>, instance: u32) -> Result<Hotplug> {
    // Registered before the BARs, so released after them: the loops meet the revocation.
    let loops = loops::LoopsAtRelease::register(pdev.as_ref(), instance)?;
    let mem: MemBar<'_> = pdev.iomap_region_sized(0, c"io_testdev")?;
    let ports: PortBar<'_> = pdev.iomap_port_region_sized(1, c"io_testdev")?;
    let header = hotplug_checks(&mem, &ports)?;
    loops.start(Loads {
        mem: mem.into_devres()?,
        ports: ports.into_devres()?,
        writes: KBox::pin_init(Revocable::new(()), GFP_KERNEL)?,
        data: header.data,
        at: header.offset.get() as usize,
        width: header.width,
        written: [const { Atomic::new(0) }; CONTEXTS],
    })?;
    Ok(Hotplug { loops, instance })
}

impl Hotplug {
    /// The remove path, with the device still bound: stops the counted writes, then checks that
    /// the device counted exactly the writes the loops made. The loops go on reading until
    /// devres revokes the BARs.
    fn unbind(&self, pdev: &pci::Device<Core<'_>>) {
        let name = pdev.as_ref().name();
        let Some(loads) = self.loops.running(pdev.as_ref()) else {
            return;
        };
        // Waits for every write in flight: none starts after it.
        loads.writes.revoke();
        let written: u32 = loads.written.iter().map(|w| w.load(Relaxed)).sum();
        let counted = loads
            .mem
            .access(pdev.as_ref())
            .map(|mem| io_read!(mem.cast::<Header>(), .count).get());
        let verdict = if counted == Ok(written) && written > 0 {
            "agrees"
        } else {
            "DISAGREES"
        };
        pr_info!(
            "hotplug: unbind {} #{}: {}: the loops wrote {} times, the device counted {:?}\n",
            name,
            self.instance,
            verdict,
            written,
            counted
        );
    }
}

struct TestdevDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <TestdevDriver as pci::Driver>::IdInfo,
    [(pci::DeviceId::from_id(pci::Vendor::REDHAT, 0x5), ())]
);

impl pci::Driver for TestdevDriver {
    type IdInfo = ();
    /// In hot-plug mode, what the device keeps while bound.
    type Data<'bound> = Option<Hotplug>;
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        // Memory and I/O port decoding: the port BAR needs both.
        pdev.enable_device()?;

        if module_parameters::hotplug.value() {
            return loops::probe(pdev.as_ref(), |instance| {
                hotplug_probe(pdev, instance).map(Some)
            });
        }
        ktap::probe_suite("io_testdev", pdev.as_ref(), &CASES, |suite| {
            exercise(pdev, suite)
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
    type: TestdevDriver,
    name: "io_testdev",
    authors: ["The typed I/O project"],
    description: "Typed I/O sample for QEMU's pci-testdev: one header on a memory and a port BAR",
    license: "GPL v2",
    params: {
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
