// SPDX-License-Identifier: GPL-2.0

//! Test suite for port I/O, reported as KTAP by a PCI driver for QEMU's `pci-testdev` (PCI
//! 1b36:0005).
//!
//! The device has a memory BAR0 of 4096 bytes and an I/O port BAR1 of 256 ports. Each starts
//! with the same little-endian header ([`Header`]): writing a test number to `test` selects one
//! of three tests of that BAR, whose header then reads back with the test's number, the width of
//! its accesses (1), the offset in the BAR to write to, the byte to write there, a count of
//! the writes of that byte seen at that offset (reset when the test is selected), and its name:
//! `mmio-` or `portio-` followed by `no-eventfd`, `wildcard-eventfd` or `datamatch-eventfd`.
//! Only the `no-eventfd` test counts writes whatever the accelerator, so writes are counted
//! with it. Reads past the name read as zero. (QEMU's `hw/misc/pci-testdev.c`.)
//!
//! At probe the driver runs one suite, `io_port`: the BAR space checks of the mapping functions,
//! then the header through `PortIo` views of BAR1 in every width, as a whole copy, as byte-order
//! values and through `register!` registers of the header's typed view, compared with what the
//! memory BAR0 shows; writes counted by the device through single accesses, FIFO writes and
//! fills; every error path; and `Debug`.
//!
//! QEMU must be started with `-device pci-testdev`.

use core::hint::black_box;

use kernel::{
    bindings,
    device::Core,
    ffi::{
        c_uint,
        c_ulong, //
    },
    io::{
        io_project,
        io_read,
        register,
        Be16,
        Be32,
        Io,
        IoBase,
        IoCapable,
        IoCopyable,
        Le16,
        Le32,
        Region, //
    },
    pci,
    prelude::*, //
};

#[path = "../samples/common/check.rs"]
mod checks;
#[path = "../samples/common/ktap.rs"]
mod ktap;

use checks::{
    at,
    check,
    check_eq,
    debug_is, //
};
use ktap::Suite;

/// The memory BAR and the I/O port BAR.
const MEM_BAR: u32 = 0;
const PORT_BAR: u32 = 1;
/// Their sizes.
const MEM_SIZE: usize = 4096;
const PORT_SIZE: usize = 256;

/// The header at the start of both BARs; all registers are little-endian.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Debug, FromBytes, IntoBytes)]
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
    /// The test's name, zero-terminated; zeros after it.
    name: [u8; 32],
}

// Its views take `register!` locations, as a region does.
impl kernel::io::RegisterBlock for Header {}

const _: () = assert!(size_of::<Header>() == 48);

register! {
    /// The test selection register.
    TEST(u8) @ 0x0 {
        7:0 index;
    }

    /// The count of the selected test's writes.
    COUNT(u32) @ 0xc {
        31:0 count;
    }
}

/// The three tests of each BAR, by the suffix of their names.
const TESTS: [&str; 3] = ["no-eventfd", "wildcard-eventfd", "datamatch-eventfd"];
/// The number of the first test of BAR1: BAR0's tests come first.
const FIRST_PORT_TEST: u8 = 3;
/// Where the tests' writes go: after the header area of each BAR, one byte per test number.
const MEM_TEST_OFFSET: u32 = 2048;
const PORT_TEST_OFFSET: u32 = 128;
/// The byte the tests count (all but the wildcard test, whose byte is another).
const DATA_MATCH: u8 = 0xfa;
const DATA_WILDCARD: u8 = 0xce;

type PortBar<'a> = pci::PortBar<'a, PORT_SIZE>;
type MemBar<'a> = pci::Bar<'a, MEM_SIZE>;

/// What the header of test `index` (0 to 2) of a BAR must read as.
fn expected(index: u8, ports: bool) -> Header {
    let (first, base, prefix) = if ports {
        (FIRST_PORT_TEST, PORT_TEST_OFFSET, "portio-")
    } else {
        (0, MEM_TEST_OFFSET, "mmio-")
    };
    let number = first + index;
    let mut name = [0u8; 32];
    let suffix = TESTS[usize::from(index)].as_bytes();
    name[..prefix.len()].copy_from_slice(prefix.as_bytes());
    name[prefix.len()..prefix.len() + suffix.len()].copy_from_slice(suffix);
    Header {
        test: number,
        width: 1,
        _pad0: [0; 2],
        offset: Le32::new(base + u32::from(number)),
        data: if index == 1 {
            DATA_WILDCARD
        } else {
            DATA_MATCH
        },
        _pad1: [0; 3],
        count: Le32::new(0),
        name,
    }
}

/// Selects test `index` of a BAR and reads its header with one copy, through any backend.
fn select<'a, const N: usize, H>(bar: H, index: u8) -> Header
where
    H: Io<'a, Target = Region<N>>,
    H::Backend: IoCapable<u8> + IoCopyable,
{
    bar.write8(index, 0);
    bar.cast::<Header>().copy_read()
}

/// Mapping a BAR checks its space first: a port BAR is not memory and a memory BAR has no ports;
/// a missing BAR is `ENODEV`, a BAR smaller than asked `EINVAL`, a BAR taken `EBUSY`, and none of
/// the failures keeps anything requested.
fn bar_spaces(pdev: &pci::Device<Core<'_>>) -> Result {
    check_eq!(
        pdev.iomap_region(PORT_BAR, c"io_port_test").err(),
        Some(EINVAL)
    );
    check_eq!(
        pdev.iomap_port_region(MEM_BAR, c"io_port_test").err(),
        Some(EINVAL)
    );
    check_eq!(
        pdev.iomap_region_sized::<PORT_SIZE>(PORT_BAR, c"io_port_test")
            .err(),
        Some(EINVAL)
    );
    check_eq!(
        pdev.iomap_port_region_sized::<{ 2 * PORT_SIZE }>(PORT_BAR, c"io_port_test")
            .err(),
        Some(EINVAL)
    );
    check_eq!(
        pdev.iomap_port_region(2, c"io_port_test").err(),
        Some(ENODEV)
    );
    let ports = pdev.iomap_port_region_sized::<PORT_SIZE>(PORT_BAR, c"io_port_test")?;
    check_eq!(
        pdev.iomap_port_region(PORT_BAR, c"io_port_test").err(),
        Some(EBUSY)
    );
    check_eq!((&ports).size(), PORT_SIZE);
    check_eq!(ports.index(), PORT_BAR);
    drop(ports);
    let mem = pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, c"io_port_test")?;
    check_eq!((&mem).size(), MEM_SIZE);
    Ok(())
}

/// Every test's header through the ports, in every width and as one copy, against the device's
/// layout.
fn headers(ports: &PortBar<'_>) -> Result {
    for index in 0..3u8 {
        let want = expected(index, true);
        check_eq!(select(ports, index), want);
        let offset = want.offset.get();
        check_eq!(ports.read8(0), want.test);
        check_eq!(ports.read8(1), 1);
        check_eq!(ports.read16(0), u16::from_le_bytes([want.test, 1]));
        check_eq!(ports.read32(4), offset);
        check_eq!(ports.read16(4), offset as u16);
        check_eq!(ports.read8(8), want.data);
        check_eq!(ports.read32(8), u32::from(want.data));
        check_eq!(ports.read32(12), 0);
        check_eq!(ports.read32(16), u32::from_le_bytes(*b"port"));
        check_eq!(ports.try_read32(black_box(4))?, offset);
        check_eq!(ports.try_read16(black_box(20))?, u16::from_le_bytes(*b"io"));
        // The name, one port at a time.
        let mut name = [0xffu8; 32];
        io_project!(ports.as_bytes(), [try: 16..48]).copy_to_slice(&mut name);
        check_eq!(name, want.name);
        let hdr = ports.cast::<Header>();
        check_eq!(io_read!(hdr, .width), 1);
        check_eq!(io_read!(hdr, .offset), want.offset);
        check_eq!(io_project!(hdr, .name).copy_read(), want.name);
    }
    Ok(())
}

/// The same header through the memory BAR, test by test: the same layout, widths and data, the
/// offsets and names of the memory tests.
fn same_as_memory(ports: &PortBar<'_>, mem: &MemBar<'_>) -> Result {
    for index in 0..3u8 {
        let (port_test, memory_test) = (expected(index, true), expected(index, false));
        check_eq!(select(ports, index), port_test);
        check_eq!(select(mem, index), memory_test);
        // The device has one selected test: what one BAR selected, the other shows, through
        // the other backend.
        check_eq!(ports.cast::<Header>().copy_read(), memory_test);
        check_eq!(
            io_read!(ports.cast::<Header>(), .offset),
            memory_test.offset
        );
        select(ports, index);
        check_eq!(mem.cast::<Header>().copy_read(), port_test);
    }
    Ok(())
}

/// Byte-order reads of the header's registers, from plain offsets and typed fields.
fn byte_order(ports: &PortBar<'_>) -> Result {
    let want = expected(0, true);
    check_eq!(select(ports, 0), want);
    let offset = want.offset.get();
    check_eq!(ports.read::<Le32, _>(4usize).get(), offset);
    check_eq!(ports.read::<Be32, _>(4usize).get(), offset.swap_bytes());
    check_eq!(ports.read::<Le16, _>(4usize).get(), offset as u16);
    check_eq!(
        ports.read::<Be16, _>(4usize).get(),
        (offset as u16).swap_bytes()
    );
    check_eq!(
        ports.read::<Be32, _>(16usize).get(),
        u32::from_be_bytes(*b"port")
    );
    check_eq!(
        ports.try_read::<Le32, _>(black_box(16usize))?.get(),
        u32::from_le_bytes(*b"port")
    );
    let hdr = ports.cast::<Header>();
    check_eq!(io_read!(hdr, .offset).get(), offset);
    check_eq!(io_read!(hdr, .count).get(), 0);
    check_eq!(
        io_project!(hdr, .offset).try_read_val()?.to_bits(),
        offset.to_le()
    );
    Ok(())
}

/// The test and count registers, defined with offsets into the header, on its typed view.
fn registers(ports: &PortBar<'_>) -> Result {
    let hdr = ports.cast::<Header>();
    for index in [2u8, 1, 0] {
        hdr.write_reg(TEST::zeroed().with_index(index));
        check_eq!(hdr.read(TEST).index().get(), FIRST_PORT_TEST + index);
        check_eq!(hdr.read(COUNT).count().get(), 0);
        check_eq!(hdr.copy_read(), expected(index, true));
    }
    let offset = io_read!(hdr, .offset).get() as usize;
    ports.try_write8(DATA_MATCH, offset)?;
    check_eq!(hdr.read(COUNT).into_raw(), 1);
    check_eq!(hdr.as_bytes().try_read(COUNT)?.into_raw(), 1);
    Ok(())
}

/// Selects test 0 of the ports and returns where its writes go.
fn counting_test(ports: &PortBar<'_>) -> Result<usize> {
    let want = expected(0, true);
    check_eq!(select(ports, 0), want);
    Ok(want.offset.get() as usize)
}

/// The count the device keeps of the writes of the test's byte to the test's port.
fn count(ports: &PortBar<'_>) -> u32 {
    io_read!(ports.cast::<Header>(), .count).get()
}

/// Writes the device counts: single writes of the right and the wrong byte, at the right and the
/// wrong port, and none at all for a failed access.
fn counted_writes(ports: &PortBar<'_>) -> Result {
    let offset = counting_test(ports)?;
    check_eq!(count(ports), 0);
    ports.try_write8(DATA_MATCH, black_box(offset))?;
    check_eq!(count(ports), 1);
    ports.try_write8(DATA_WILDCARD, black_box(offset))?;
    check_eq!(count(ports), 1);
    ports.try_write8(DATA_MATCH, black_box(offset + 1))?;
    check_eq!(count(ports), 1);
    ports.try_write(black_box(offset), DATA_MATCH)?;
    check_eq!(count(ports), 2);
    io_project!(ports.as_bytes(), [try: offset]).write_val(DATA_MATCH);
    check_eq!(count(ports), 3);
    // Misaligned and out-of-range accesses fail before reaching the device.
    check_eq!(
        ports.try_write16(u16::from(DATA_MATCH), black_box(offset)),
        Err(EINVAL)
    );
    check_eq!(
        ports.try_write8(DATA_MATCH, black_box(PORT_SIZE)),
        Err(ERANGE)
    );
    check_eq!(count(ports), 3);
    // Selecting the test again starts a new count.
    counting_test(ports)?;
    check_eq!(count(ports), 0);
    Ok(())
}

/// A FIFO write puts every value through the one port; a FIFO read of a register that holds
/// still returns it every time.
fn fifos(ports: &PortBar<'_>) -> Result {
    let offset = counting_test(ports)?;
    let port = io_project!(ports.as_bytes(), [try: offset]);
    port.write_fifo(&[DATA_MATCH, DATA_WILDCARD, DATA_MATCH, DATA_MATCH, 0]);
    check_eq!(count(ports), 3);
    port.write_fifo(&[]);
    check_eq!(count(ports), 3);
    let hdr = ports.cast::<Header>();
    let mut tests = [0u8; 6];
    io_project!(hdr, .test).read_fifo(&mut tests);
    check_eq!(tests, [FIRST_PORT_TEST; 6]);
    let mut offsets = [Le32::new(0); 3];
    io_project!(hdr, .offset).read_fifo(&mut offsets);
    check_eq!(offsets, [Le32::new(offset as u32); 3]);
    Ok(())
}

/// Fills write every port of their range once, in ascending order: each byte counts where the
/// device counts it, and a fill of the test register selects a test.
fn fills(ports: &PortBar<'_>) -> Result {
    let offset = counting_test(ports)?;
    let bytes = ports.as_bytes();
    io_project!(bytes, [try: offset..offset + 1]).fill(DATA_MATCH);
    check_eq!(count(ports), 1);
    io_project!(bytes, [try: offset..offset + 1]).fill(DATA_WILDCARD);
    check_eq!(count(ports), 1);
    io_project!(bytes, [try: offset - 2..offset + 3]).fill(DATA_MATCH);
    check_eq!(count(ports), 2);
    io_project!(bytes, [try: offset..offset]).fill(DATA_MATCH);
    check_eq!(count(ports), 2);
    // The test register: test 1 is selected, with a fresh count.
    io_project!(bytes, [try: 0..1]).fill(1);
    check_eq!(ports.read8(0), FIRST_PORT_TEST + 1);
    check_eq!(ports.cast::<Header>().copy_read(), expected(1, true));
    io_project!(ports.cast::<Header>(), .test).fill(0);
    check_eq!(ports.read8(0), FIRST_PORT_TEST);
    Ok(())
}

/// Every error of port views, and that nothing reached the device.
fn errors(ports: &PortBar<'_>) -> Result {
    let offset = counting_test(ports)?;
    ports.try_write8(DATA_MATCH, offset)?;
    for at in [PORT_SIZE, PORT_SIZE + 4, usize::MAX] {
        let at = black_box(at);
        check_eq!(ports.try_read8(at), Err(ERANGE));
        check_eq!(ports.try_read16(at), Err(ERANGE));
        check_eq!(ports.try_read32(at), Err(ERANGE));
        check_eq!(ports.try_write8(0, at), Err(ERANGE));
        check_eq!(ports.try_read::<Le32, _>(at), Err(ERANGE));
    }
    check_eq!(ports.try_read32(black_box(PORT_SIZE - 2)), Err(ERANGE));
    check_eq!(ports.try_read32(black_box(2)), Err(EINVAL));
    check_eq!(ports.try_read16(black_box(1)), Err(EINVAL));
    check_eq!(ports.try_write32(0, black_box(6)), Err(EINVAL));
    check_eq!(ports.try_cast::<[u8; PORT_SIZE + 1]>().err(), Some(ERANGE));
    check_eq!(
        ports
            .try_window::<Region<0>>(black_box(PORT_SIZE - 4), 8)
            .err(),
        Some(ERANGE)
    );
    check_eq!(
        ports.try_window::<Region<0>>(black_box(2), 4).err(),
        Some(EINVAL)
    );
    let mut name = [0u8; 4];
    check_eq!(
        io_project!(ports.as_bytes(), [try: 16..20]).try_copy_to_slice(&mut name[..3]),
        Err(EINVAL)
    );
    let project =
        |a: usize, b: usize| -> Result<_> { Ok(io_project!(ports.as_bytes(), [try: a..b])) };
    check_eq!(
        project(black_box(PORT_SIZE), PORT_SIZE + 1).err(),
        Some(ERANGE)
    );
    check_eq!(count(ports), 1);
    Ok(())
}

/// Port views format as `PortIo { addr: <cookie as %p>, size: ... }`, where the cookie of the
/// BAR's first port is what the kernel's `ioport_map()` gives for the port the PCI core assigned.
fn debug_format(pdev: &pci::Device<Core<'_>>, ports: &PortBar<'_>) -> Result {
    let first = c_ulong::try_from(pdev.resource_start(PORT_BAR)?)?;
    // CAST: `PORT_SIZE` is 256.
    // SAFETY: `ioport_map()` only computes the cookie of a port range; it takes any range.
    let cookie = unsafe { bindings::ioport_map(first, PORT_SIZE as c_uint) };
    check!(!cookie.is_null());
    let start = cookie.addr();
    // SAFETY: `cookie` came from `ioport_map()` just above and is not used as a pointer again.
    unsafe { bindings::ioport_unmap(cookie) };
    debug_is(
        ports.as_view(),
        fmt!("PortIo {{ addr: {:p}, size: {:#x} }}", at(start), PORT_SIZE),
    )?;
    debug_is(
        io_project!(ports.cast::<Header>(), .count),
        fmt!("PortIo {{ addr: {:p}, size: 0x4 }}", at(start + 12)),
    )
}

fn run(suite: &mut Suite<'_>, pdev: &pci::Device<Core<'_>>) -> Result {
    suite.run("bar_spaces", || bar_spaces(pdev));
    let ports = suite.step(
        "map_port_bar1",
        pdev.iomap_port_region_sized::<PORT_SIZE>(PORT_BAR, c"io_port_test"),
    )?;
    let mem = suite.step(
        "map_memory_bar0",
        pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, c"io_port_test"),
    )?;
    suite.note(fmt!(
        "BAR0: {} bytes of memory; BAR1: {} ports",
        (&mem).size(),
        (&ports).size()
    ));
    suite.run("headers_every_width", || headers(&ports));
    suite.run("same_as_memory_bar", || same_as_memory(&ports, &mem));
    suite.run("byte_order", || byte_order(&ports));
    suite.run("registers_in_typed_view", || registers(&ports));
    suite.run("counted_writes", || counted_writes(&ports));
    suite.run("fifo", || fifos(&ports));
    suite.run("fill", || fills(&ports));
    suite.run("errors", || errors(&ports));
    suite.run("debug_format", || debug_format(pdev, &ports));
    // Leave the device with the first test selected, as the stock sample does.
    (&ports).write8(0, 0);
    Ok(())
}

struct PortTest;

kernel::pci_device_table!(
    PCI_TABLE,
    <PortTest as pci::Driver>::IdInfo,
    [(pci::DeviceId::from_id(pci::Vendor::REDHAT, 0x5), ())]
);

impl pci::Driver for PortTest {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        // `enable_device()` enables I/O decoding as well as memory decoding (unlike
        // `enable_device_mem()`): the port BAR needs it, and the first case checks that it is on.
        pdev.enable_device()?;
        let command = pdev.config_space().read16(4);

        // A failed check fails its case and the suite; a failed step fails the probe too.
        ktap::probe_suite("io_port", pdev.as_ref(), |suite| {
            suite.note(fmt!("command register {:#06x}", command));
            suite.run("io_decoding_enabled", || {
                check!(command & 1 != 0);
                Ok(())
            });
            run(suite, pdev)
        })?;
        Ok(())
    }
}

kernel::module_pci_driver! {
    type: PortTest,
    name: "io_port_test",
    authors: ["The typed I/O project"],
    description: "KTAP test suite for port I/O on QEMU's pci-testdev",
    license: "GPL v2",
}
