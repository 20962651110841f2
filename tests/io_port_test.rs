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
//! QEMU hands the device every access one byte at a time (its handlers take 1-byte accesses
//! only, and QEMU splits a wider access into its bytes, the lowest port first), so the
//! `no-eventfd` test counts its byte at its port whatever the width of the access that carries
//! it. The two eventfd tests see widths: QEMU matches a write against an eventfd on its port,
//! its width and (for `datamatch-eventfd`) its value before the device sees the write, and a
//! write the eventfd takes is not counted. Their eventfds are 1 byte wide, so a 1-byte write to
//! the test's port is taken, and a 16- or 32-bit write that carries the same byte there is
//! counted. (QEMU's `system/memory.c`, `memory_region_dispatch_write()`: the eventfd match comes
//! before the split, under TCG; under KVM, the kernel's ioeventfd matches the same way.)
//!
//! At probe the driver runs one suite, `io_port`: the BAR space checks of the mapping functions,
//! then the header through `PortIo` views of BAR1 in every width, as a whole copy, as byte-order
//! values and through `register!` registers of the header's typed view, compared with what the
//! memory BAR0 shows; writes counted by the device through single accesses, FIFO writes and
//! fills; every error path; and `Debug`. Then the device observes what the port accessors put on
//! the bus, with counts read back through the memory BAR: 8-, 16- and 32-bit writes, the byte
//! order of `Le16`, `Le32`, `Be16` and `Be32` writes, copies and `copy_from_view` between ports;
//! and a memory BAR handed to the device's managed resources (`Bar::into_devres`), revoked by
//! the release path that unbinding runs, after which it cannot be reached and its region is free.
//!
//! QEMU must be started with `-device pci-testdev`.

use core::{
    cell::Cell,
    hint::black_box, //
};

use kernel::{
    bindings,
    device::{
        self,
        Bound,
        Core, //
    },
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
#[path = "../samples/common/devres_group.rs"]
mod devres_group;
#[path = "../samples/common/ktap.rs"]
mod ktap;

use checks::{
    at,
    check,
    check_eq,
    debug_is, //
};
use devres_group::DevresGroup;
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

/// The port tests, by their index among a BAR's tests.
const NO_EVENTFD: u8 = 0;
const WILDCARD: u8 = 1;
const DATAMATCH: u8 = 2;

/// What the device saw of the checks below, for the summary.
#[derive(Default)]
struct Tally {
    /// Port writes made to a test's ports.
    writes: Cell<u32>,
    /// Of those, the writes the device counted.
    counted: Cell<u32>,
    /// Bytes moved by copies between ports.
    copied: Cell<usize>,
}

impl Tally {
    fn wrote(&self, writes: u32) {
        self.writes.set(self.writes.get() + writes);
    }

    fn saw(&self, count: u32) {
        self.counted.set(self.counted.get() + count);
    }

    fn moved(&self, bytes: usize) {
        self.copied.set(self.copied.get() + bytes);
    }
}

/// The count of the selected test, read through the memory BAR: the device keeps one selected
/// test for both BARs, so this reads what the port writes did without a port access.
fn mem_count(mem: &MemBar<'_>) -> u32 {
    io_read!(mem.cast::<Header>(), .count).get()
}

/// Makes one port write, then checks the count the device keeps, read through the memory BAR.
macro_rules! counted {
    ($mem:expr, $tally:expr, $write:expr => $want:expr) => {{
        $write;
        $tally.wrote(1);
        check_eq!(mem_count($mem), $want);
    }};
}

/// Selects port test `index` through the ports, checks through the memory BAR that the device
/// selected it with a fresh count, and returns the port that the test counts writes at.
fn select_port_test(ports: &PortBar<'_>, mem: &MemBar<'_>, index: u8) -> Result<usize> {
    let want = expected(index, true);
    ports.write8(index, 0);
    check_eq!(mem.cast::<Header>().copy_read(), want);
    Ok(want.offset.get() as usize)
}

/// 16- and 32-bit port writes under the `no-eventfd` test, which counts the data at port 0x83
/// whatever the width of the write: each write whose byte at 0x83 is the data counts once, and
/// one that puts the data on another port of the same word does not.
fn widths_no_eventfd(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    check_eq!(select_port_test(ports, mem, NO_EVENTFD)?, 0x83);
    let data = DATA_MATCH;
    // Port 0x83 is the high byte of the 16-bit port 0x82 and the top byte of the 32-bit port 0x80.
    counted!(mem, tally, ports.write16(u16::from(data) << 8, 0x82) => 1);
    counted!(mem, tally, ports.write16(u16::from(data), 0x82) => 1);
    counted!(mem, tally, ports.try_write16(u16::from(data) << 8, black_box(0x82))? => 2);
    counted!(mem, tally, ports.write32(u32::from(data) << 24, 0x80) => 3);
    counted!(mem, tally, ports.write32(u32::from(data) << 16, 0x80) => 3);
    counted!(mem, tally, ports.try_write32(u32::from(data) << 24, black_box(0x80))? => 4);
    counted!(mem, tally, ports.write32(u32::from(data) << 8, 0x80) => 4);
    tally.saw(mem_count(mem));
    Ok(())
}

/// The `datamatch-eventfd` test sees the width of each write: its eventfd takes exactly the
/// 1-byte writes of the data to port 0x85, which are therefore not counted, while 16- and 32-bit
/// writes that carry the data to the same port reach the device and count.
fn widths_datamatch(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    let at = select_port_test(ports, mem, DATAMATCH)?;
    check_eq!(at, 0x85);
    let data = DATA_MATCH;
    counted!(mem, tally, ports.write8(data, 0x85) => 0);
    counted!(mem, tally, ports.try_write8(data, black_box(at))? => 0);
    // Another byte is neither the eventfd's nor the device's.
    counted!(mem, tally, ports.write8(DATA_WILDCARD, 0x85) => 0);
    // Port 0x85 is the high byte of the 16-bit port 0x84 and byte 1 of the 32-bit port 0x84.
    counted!(mem, tally, ports.write16(u16::from(data) << 8, 0x84) => 1);
    counted!(mem, tally, ports.write16(u16::from(data), 0x84) => 1);
    counted!(mem, tally, ports.write32(u32::from(data) << 8, 0x84) => 2);
    counted!(mem, tally, ports.try_write32(u32::from(data) << 8, black_box(0x84))? => 3);
    counted!(mem, tally, ports.write32(u32::from(data), 0x84) => 3);
    tally.saw(mem_count(mem));
    Ok(())
}

/// The `wildcard-eventfd` test counts any byte at port 0x84, and its eventfd takes every 1-byte
/// write there: only the wider writes that cover the port count, whatever their value.
fn widths_wildcard(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    check_eq!(select_port_test(ports, mem, WILDCARD)?, 0x84);
    counted!(mem, tally, ports.write8(DATA_WILDCARD, 0x84) => 0);
    counted!(mem, tally, ports.write8(0x11, 0x84) => 0);
    counted!(mem, tally, ports.write16(0x2211, 0x84) => 1);
    counted!(mem, tally, ports.write32(0x4433_2211, 0x84) => 2);
    counted!(mem, tally, ports.write16(0x2211, 0x82) => 2);
    counted!(mem, tally, ports.write32(0x4433_2211, 0x80) => 2);
    tally.saw(mem_count(mem));
    Ok(())
}

/// Byte-order writes put their bytes on the ports in their order: the `no-eventfd` test counts
/// the data where the byte order puts it at port 0x83, the high-address byte of the 16-bit port
/// 0x82 and of the 32-bit port 0x80.
fn byte_order_writes(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    check_eq!(select_port_test(ports, mem, NO_EVENTFD)?, 0x83);
    let data = DATA_MATCH;
    let (low16, high16) = (u16::from(data), u16::from(data) << 8);
    let (low32, high32) = (u32::from(data), u32::from(data) << 24);
    // Little-endian: the high byte at the higher port; big-endian: the low byte there.
    counted!(mem, tally, ports.write(0x82usize, Le16::new(high16)) => 1);
    counted!(mem, tally, ports.write(0x82usize, Le16::new(low16)) => 1);
    counted!(mem, tally, ports.write(0x82usize, Be16::new(low16)) => 2);
    counted!(mem, tally, ports.write(0x82usize, Be16::new(high16)) => 2);
    counted!(mem, tally, ports.write(0x80usize, Le32::new(high32)) => 3);
    counted!(mem, tally, ports.write(0x80usize, Le32::new(low32)) => 3);
    counted!(mem, tally, ports.write(0x80usize, Be32::new(low32)) => 4);
    counted!(mem, tally, ports.write(0x80usize, Be32::new(high32)) => 4);
    counted!(mem, tally, ports.try_write(black_box(0x82usize), Be16::new(low16))? => 5);
    counted!(mem, tally, ports.try_write(black_box(0x80usize), Be32::new(low32))? => 6);
    tally.saw(mem_count(mem));
    Ok(())
}

/// Byte order and width at once: under the `datamatch-eventfd` test, a 16- or 32-bit write
/// counts only if its byte order puts the data at port 0x85, byte 1 of port 0x84.
fn byte_order_widths(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    check_eq!(select_port_test(ports, mem, DATAMATCH)?, 0x85);
    let data = DATA_MATCH;
    counted!(mem, tally, ports.write(0x84usize, Be16::new(u16::from(data))) => 1);
    counted!(mem, tally, ports.write(0x84usize, Le16::new(u16::from(data))) => 1);
    counted!(mem, tally, ports.write(0x84usize, Le16::new(u16::from(data) << 8)) => 2);
    counted!(mem, tally, ports.write(0x84usize, Be32::new(u32::from(data) << 16)) => 3);
    counted!(mem, tally, ports.write(0x84usize, Be32::new(u32::from(data) << 8)) => 3);
    counted!(mem, tally, ports.write(0x84usize, Le32::new(u32::from(data) << 8)) => 4);
    tally.saw(mem_count(mem));
    Ok(())
}

/// Copies to ports write one port at a time: under `datamatch-eventfd` the data reaches port
/// 0x85 as a 1-byte write, which the eventfd takes, and under `no-eventfd` the same copy shifted
/// to port 0x83 counts.
fn copies_byte_cycles(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    let bytes = ports.as_bytes();
    let data = DATA_MATCH;
    check_eq!(select_port_test(ports, mem, DATAMATCH)?, 0x85);
    counted!(mem, tally, io_project!(bytes, [try: 0x84..0x86]).copy_from_slice(&[0, data]) => 0);
    counted!(mem, tally, io_project!(bytes, [try: 0x84..0x88]).fill(data) => 0);
    check_eq!(select_port_test(ports, mem, NO_EVENTFD)?, 0x83);
    counted!(mem, tally, io_project!(bytes, [try: 0x82..0x84]).copy_from_slice(&[0, data]) => 1);
    let word = io_project!(bytes, [try: 0x80..0x84]).try_cast::<[u8; 4]>()?;
    counted!(mem, tally, word.try_copy_write([data, 0, 0, data])? => 2);
    counted!(mem, tally, word.copy_write([data, data, data, 0]) => 2);
    tally.saw(mem_count(mem));
    tally.moved(2 + 4 + 2 + 4 + 4);
    Ok(())
}

/// `copy_from_view` between ports: the header's bytes, read from their ports, written to the
/// test's port and to the test register, where the device acts on them.
fn copy_from_view_ports(ports: &PortBar<'_>, mem: &MemBar<'_>, tally: &Tally) -> Result {
    let bytes = ports.as_bytes();
    check_eq!(select_port_test(ports, mem, NO_EVENTFD)?, 0x83);
    // Port 8 holds the test's data byte, 0xfa: copied to port 0x83, the device counts it.
    counted!(mem, tally,
        io_project!(bytes, [try: 0x83..0x84]).copy_from_view(io_project!(bytes, [try: 8..9]))
        => 1);
    // Ports 5 to 8 hold the offset's upper bytes (zeros) and the data: copied to ports 0x80 to
    // 0x83, the data lands on 0x83.
    counted!(mem, tally,
        io_project!(bytes, [try: 0x80..0x84]).try_copy_from_view(io_project!(bytes, [try: 5..9]))?
        => 2);
    // Shifted by one port, the data lands beside the test's port.
    counted!(mem, tally,
        io_project!(bytes, [try: 0x81..0x85]).try_copy_from_view(io_project!(bytes, [try: 5..9]))?
        => 2);
    // Views of different lengths: nothing is written.
    check_eq!(
        io_project!(bytes, [try: 0x83..0x84]).try_copy_from_view(io_project!(bytes, [try: 7..9])),
        Err(EINVAL)
    );
    check_eq!(mem_count(mem), 2);
    tally.saw(2);
    // Port 1 holds the width, 1: copied to the test register, it selects test 1.
    io_project!(bytes, [try: 0..1]).copy_from_view(io_project!(bytes, [try: 1..2]));
    check_eq!(mem.cast::<Header>().copy_read(), expected(WILDCARD, true));
    tally.moved(1 + 4 + 4 + 1);
    Ok(())
}

/// The name the PCI core has for the request on BAR `bar` of `pdev`, if it has one: the child
/// of the BAR's resource, as `/proc/iomem` and `/proc/ioports` list it.
fn region_owner(pdev: &pci::Device<Core<'_>>, bar: u32) -> Option<&'static CStr> {
    let raw = core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut();
    // CAST: A BAR number fits in a `usize`.
    // SAFETY: `raw` is the bound device that `pdev` wraps and `bar` indexes its resources; the
    // resource tree below the device's BARs changes only when a driver of this device requests
    // or releases a region, which only this probe does.
    let child = unsafe { (*raw).resource[bar as usize].child };
    if child.is_null() {
        return None;
    }
    // SAFETY: `child` is a live resource of the tree (above), whose name is a string that
    // lives as long as the request, here a static one.
    Some(unsafe { CStr::from_char_ptr((*child).name) })
}

/// Whether the kernel's page tables map the virtual address `addr` (of an `ioremap()`).
fn mapped(addr: usize) -> bool {
    // SAFETY: `vmalloc_to_page()` only walks the kernel's page tables for an address of the
    // vmalloc area, where `ioremap()` maps; the page it may return is not used.
    !unsafe { bindings::vmalloc_to_page(core::ptr::without_provenance(addr)) }.is_null()
}

/// A memory BAR handed to the device's managed resources (`Bar::into_devres`): reachable through
/// it while the device is bound, then revoked by the devres release callback that unbinding
/// runs, here run by releasing a group that holds only it. After that, the handle gives no access
/// (`try_access()` is `None`, which a driver turns into `ENXIO`), the kernel's page tables no
/// longer map the BAR's old address, and the PCI core holds no request for the BAR, which can be
/// requested and mapped again.
fn devres_bar(pdev: &pci::Device<Core<'_>>, ports: &PortBar<'_>) -> Result {
    const OWNER: &CStr = c"io_port_test_devres";
    let dev: &device::Device<Core<'_>> = pdev.as_ref();
    let dev: &device::Device<Bound> = dev;
    check_eq!(region_owner(pdev, MEM_BAR), None);
    let group = DevresGroup::open(pdev)?;
    let bar = pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, OWNER)?;
    let addr = (&bar).as_view().as_raw().addr();
    let devres = bar.into_devres()?;
    check!(mapped(addr));
    check_eq!(region_owner(pdev, MEM_BAR), Some(OWNER));
    check_eq!(
        pdev.iomap_region(MEM_BAR, c"io_port_test").err(),
        Some(EBUSY)
    );
    // Through the guard: the test selected through the managed mapping is what the ports show.
    {
        let bar = devres.try_access().ok_or(ENXIO)?;
        (&*bar).write8(DATAMATCH, 0);
        check_eq!(
            ports.cast::<Header>().copy_read(),
            expected(DATAMATCH, false)
        );
    }
    check_eq!(
        devres
            .access(dev)?
            .try_read8(black_box(0))
            .map(|test| test == DATAMATCH),
        Ok(true)
    );
    // The release path of unbinding, for this one resource.
    check_eq!(group.release(), 1);
    check!(devres.try_access().is_none());
    check_eq!(
        devres.try_access_with(|bar| bar.size()).ok_or(ENXIO),
        Err(ENXIO)
    );
    // Unmapped and released: the kernel's page tables no longer map the BAR where it was, the
    // PCI core holds nothing for BAR0, and it maps again.
    check!(!mapped(addr));
    check_eq!(region_owner(pdev, MEM_BAR), None);
    let again = pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, c"io_port_test")?;
    check_eq!(region_owner(pdev, MEM_BAR), Some(c"io_port_test"));
    (&again).write8(NO_EVENTFD, 0);
    check_eq!(
        ports.cast::<Header>().copy_read(),
        expected(NO_EVENTFD, false)
    );
    drop(devres);
    drop(again);
    check_eq!(region_owner(pdev, MEM_BAR), None);
    Ok(())
}

/// The cases of the suite, in the order they are reported: the probe's check of I/O decoding,
/// then those of [`run`].
const CASES: [&str; 19] = [
    "io_decoding_enabled",
    "bar_spaces",
    "headers_every_width",
    "same_as_memory_bar",
    "byte_order",
    "registers_in_typed_view",
    "counted_writes",
    "fifo",
    "fill",
    "errors",
    "debug_format",
    "widths_counted_by_no_eventfd",
    "widths_seen_by_datamatch_eventfd",
    "widths_seen_by_wildcard_eventfd",
    "byte_order_writes_on_the_bus",
    "byte_order_and_width",
    "copies_write_byte_cycles",
    "copy_from_view_between_ports",
    "devres_bar_revoked_and_released",
];

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

    let tally = Tally::default();
    suite.run("widths_counted_by_no_eventfd", || {
        widths_no_eventfd(&ports, &mem, &tally)
    });
    suite.run("widths_seen_by_datamatch_eventfd", || {
        widths_datamatch(&ports, &mem, &tally)
    });
    suite.run("widths_seen_by_wildcard_eventfd", || {
        widths_wildcard(&ports, &mem, &tally)
    });
    suite.run("byte_order_writes_on_the_bus", || {
        byte_order_writes(&ports, &mem, &tally)
    });
    suite.run("byte_order_and_width", || {
        byte_order_widths(&ports, &mem, &tally)
    });
    suite.run("copies_write_byte_cycles", || {
        copies_byte_cycles(&ports, &mem, &tally)
    });
    suite.run("copy_from_view_between_ports", || {
        copy_from_view_ports(&ports, &mem, &tally)
    });
    suite.note(fmt!(
        "summary: {} writes to the tests' ports (8/16/32-bit, Le/Be, copies): pci-testdev \
         counted {} (counts read through BAR0)",
        tally.writes.get(),
        tally.counted.get()
    ));
    suite.note(fmt!(
        "summary: {} bytes copied port to port and slice to ports",
        tally.copied.get()
    ));

    // The memory BAR is mapped again, through the device's managed resources.
    drop(mem);
    let devres = suite.run("devres_bar_revoked_and_released", || {
        devres_bar(pdev, &ports)
    });
    suite.note(fmt!(
        "summary: BAR0 through Devres: {}",
        if devres {
            "reached while managed, no access after its release, region free again"
        } else {
            "FAILED"
        }
    ));
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
        ktap::probe_suite("io_port", pdev.as_ref(), &CASES, |suite| {
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
    params: {
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
    },
}
