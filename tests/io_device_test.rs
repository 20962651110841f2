// SPDX-License-Identifier: GPL-2.0

//! Test suites for the views that need a device, reported as KTAP by a PCI driver.
//!
//! The driver binds QEMU's `ivshmem-plain` device (PCI 1af4:1110), whose BAR2 is RAM behind
//! MMIO: what is written can be read back, through any access width and any path. At probe it
//! runs five suites:
//!
//! - `io_mmio`: `Mmio` views of BAR2: every width through every accessor form, whole-value and
//!   slice copies, moves between windows checked against `memmove()`, every error path, and the
//!   `try_` copies against the bytes C's `readb()` and `writeb()` see at the same addresses;
//! - `io_relaxed_mmio`: the same through `RelaxedMmio` views;
//! - `io_iosysmap`: the same through `IoSysMap::Io`, and copies between an `IoSysMap::Io` and an
//!   `IoSysMap::Sys` view;
//! - `io_coherent`: `CoherentView`s of coherent DMA allocations for the device, the DMA
//!   address of projected views, and every runtime error of casts, regions, windows,
//!   projections, accessors and copies, none of which touches the allocation;
//! - `io_config_space`: the device's configuration space in 8, 16 and 32 bits: read-only
//!   registers, the writable interrupt line and cache line size registers (restored
//!   afterwards), `try_` copies and `copy_from_view` within it, and the errors; then failed
//!   cycles: the device is marked disconnected in the PCI core, as a surprise removal leaves it
//!   (`pci_dev_set_disconnected()`), so that the PCI core fails every configuration access with
//!   `PCIBIOS_DEVICE_NOT_FOUND`; the `try_` forms must return `ENODEV`, the plain reads all ones
//!   as in C, and no write may reach the device. The normal state is restored afterwards.
//!
//! Each of the first four suites also checks what the layer adds beyond 7.3 on its backend: an
//! 8-byte aligned region with build-time checked 64-bit accesses, windows, byte views,
//! build-time checked casts, fill, byte-order types, split 64-bit accesses, FIFO accessors,
//! offsets and `register!` registers in a typed view, and `Debug`; `io_config_space` checks a
//! whole-header copy, byte-order reads, the `try_` accessors and fill there.
//!
//! What a check reads through a view is compared with what the test wrote or with a source
//! outside the layer: the device's documented values, the PCI core's records and its own C
//! configuration accessors (`samples/common/c_config.rs`), the allocation's CPU address; never
//! with a second read of the same location through the layer.
//!
//! QEMU must be started with `-object memory-backend-ram,id=shm,size=1M
//! -device ivshmem-plain,memdev=shm`.

use core::{
    hint::black_box,
    mem::offset_of, //
};

#[cfg(CONFIG_64BIT)]
use kernel::io::{
    Be64,
    Le64, //
};
use kernel::{
    bindings,
    device::Core,
    dma::{
        Coherent,
        CoherentView,
        DmaAddress, //
    },
    ffi::c_void,
    io::{
        io_project,
        io_read,
        io_try_project,
        io_write,
        Align8,
        Be16,
        Be32,
        CoherentBuffer,
        Io,
        IoBase,
        IoSysMap,
        Le16,
        Le32,
        Mmio,
        Region,
        RegionAlign,
        ResourceSize,
        SysMem, //
    },
    pci,
    prelude::*,
    sizes::SZ_1M, //
};

#[path = "../samples/common/c_config.rs"]
mod c_config;
#[path = "../samples/common/check.rs"]
mod checks;
// Each module uses a part of the shared checks.
#[allow(dead_code)]
#[path = "common/io_checks.rs"]
mod io_checks;
#[path = "../samples/common/ktap.rs"]
mod ktap;

use checks::{
    at,
    check,
    check_eq,
    debug_is, //
};
use io_checks::*;
use ktap::Suite;

/// The BAR that holds the shared memory.
const SHM_BAR: u32 = 2;
/// Its size: the shared memory is `size=1M` on QEMU's command line (`tests/harness/boot.sh`).
const SHM_SIZE: usize = SZ_1M;
/// How much of it the tests map and use.
const MAPPED: usize = 0x4000;
/// Where in it the typed checks and the slice checks work.
const TYPED_AT: usize = 0x100;
const SLICE_AT: usize = 0x1000;
/// The size of the device's configuration space: on QEMU's default machine ivshmem-plain is a
/// conventional PCI device, with the 256 bytes of conventional configuration space.
const CFG_SIZE: usize = 256;

const _: () = assert!(SLICE_AT + SLICE_WINDOW <= MAPPED && TYPED_AT + 64 <= SLICE_AT);

type Bar<'a> = pci::Bar<'a, MAPPED>;

/// The cases of [`every_form!`], in the order it runs them.
const EVERY_FORM: [&str; 17] = [
    "region_u8",
    "region_u16",
    "region_u32",
    "region_u64",
    "region_u8_build_time",
    "region_u16_build_time",
    "region_u32_build_time",
    "region_u8_errors",
    "region_u16_errors",
    "region_u32_errors",
    "region_u64_errors",
    "typed_fields",
    "typed_errors",
    "slice_copies",
    "slice_errors",
    "moves_every_overlap",
    "moves_in_chunks",
];

/// Runs the checks that every backend with all widths must pass on a region view, a typed
/// view and a byte view: the cases of [`EVERY_FORM`].
macro_rules! every_form {
    ($suite:expr, $region:expr, $typed:expr, $slice:expr) => {{
        let suite: &mut Suite<'_> = &mut *$suite;
        let (region, typed, slice) = ($region, $typed, $slice);
        suite.run("region_u8", || region_u8(region));
        suite.run("region_u16", || region_u16(region));
        suite.run("region_u32", || region_u32(region));
        suite.run("region_u64", || region_u64(region));
        suite.run("region_u8_build_time", || region_u8_build(region));
        suite.run("region_u16_build_time", || region_u16_build(region));
        suite.run("region_u32_build_time", || region_u32_build(region));
        suite.run("region_u8_errors", || region_u8_errors(region));
        suite.run("region_u16_errors", || region_u16_errors(region));
        suite.run("region_u32_errors", || region_u32_errors(region));
        suite.run("region_u64_errors", || region_u64_errors(region));
        suite.run("typed_fields", || typed_fields(typed));
        suite.run("typed_errors", || typed_errors(typed));
        suite.run("slice_copies", || slice_copies(slice));
        suite.run("slice_errors", || slice_errors(slice));
        suite.run("moves_every_overlap", || moves_exhaustive(slice));
        suite.run("moves_in_chunks", || moves_chunked(slice));
    }};
}

/// The cases of [`beyond_7_3!`], in the order it runs them.
const BEYOND_7_3: [&str; 15] = [
    "align8_region_u64_build_time",
    "windows",
    "byte_views",
    "build_checked_casts",
    "fill_region",
    "fill_typed",
    "fill_slice",
    "split_64bit_halves",
    "split_halves_anywhere",
    "byte_window_hostile",
    "projection_without_question_mark",
    "fifo",
    "byte_order",
    "offsets_in_typed_view",
    "registers_in_typed_view",
];

/// Runs the checks of what the layer adds beyond 7.3 on a region view, a typed view and a byte
/// view of a backend that has every width and byte order: the cases of [`BEYOND_7_3`].
macro_rules! beyond_7_3 {
    ($suite:expr, $region:expr, $typed:expr, $slice:expr) => {{
        let suite: &mut Suite<'_> = &mut *$suite;
        let (region, typed, slice) = ($region, $typed, $slice);
        suite.run("align8_region_u64_build_time", || region_align8(region));
        suite.run("windows", || region_windows(region));
        suite.run("byte_views", || byte_views(region, typed));
        suite.run("build_checked_casts", || build_checked_casts(region));
        suite.run("fill_region", || fill_region(region));
        suite.run("fill_typed", || fill_typed(typed));
        suite.run("fill_slice", || fill_slice(slice));
        suite.run("split_64bit_halves", || split_halves(typed));
        suite.run("split_halves_anywhere", || split_halves_anywhere(typed));
        suite.run("byte_window_hostile", || byte_window_hostile(typed));
        suite.run("projection_without_question_mark", || {
            projection_without_question_mark(typed)
        });
        suite.run("fifo", || fifos(typed));
        suite.run("byte_order", || byte_order(region));
        suite.run("offsets_in_typed_view", || typed_offsets(typed));
        suite.run("registers_in_typed_view", || typed_registers(typed));
    }};
}

/// The three MMIO views the suites work on: the mapped region, a `Mixed` and a byte window.
struct Views<'a> {
    region: Mmio<'a, Region<MAPPED>>,
    typed: Mmio<'a, Mixed>,
    slice: Mmio<'a, [u8]>,
}

impl<'a> Views<'a> {
    fn new(bar: &'a Bar<'_>) -> Result<Self> {
        let region = bar.as_view();
        let bytes = region.try_cast::<[u8; MAPPED]>()?;
        Ok(Views {
            region,
            typed: io_project!(bytes, [try: TYPED_AT..TYPED_AT + 64]).try_cast::<Mixed>()?,
            slice: io_project!(bytes, [try: SLICE_AT..SLICE_AT + SLICE_WINDOW]),
        })
    }
}

/// The address of the mapping of BAR2, from the BAR's own handle.
///
/// Nothing outside the layer knows where `pci_iomap()` mapped the BAR, so the `Debug` checks
/// take the address of the BAR's handle as the base of every view, and expect each view they
/// check at that base plus a literal offset.
fn bar_address(bar: &Bar<'_>) -> usize {
    bar.as_view().as_raw().addr()
}

/// Where in BAR2 the copies checked against the raw mapping work.
const RAW_AT: usize = 0x3000;

const _: () = assert!(RAW_AT >= SLICE_AT + SLICE_WINDOW && RAW_AT + 64 <= MAPPED);

/// The address of byte `i` after [`RAW_AT`] in the mapping of BAR2, for C's `readb()` and
/// `writeb()`.
fn raw_byte(bar: &Bar<'_>, i: usize) -> *mut c_void {
    bar.as_view()
        .as_raw()
        .as_ptr()
        .cast::<u8>()
        .wrapping_add(RAW_AT + i)
        .cast()
}

/// Reads `N` bytes at [`RAW_AT`] of BAR2 with C's `readb()`, outside the layer.
fn raw_read<const N: usize>(bar: &Bar<'_>) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        // SAFETY: `i < N <= 64`: the address is within the mapping of BAR2, which `bar` keeps.
        *byte = unsafe { bindings::readb(raw_byte(bar, i)) };
    }
    out
}

/// Writes `bytes` at [`RAW_AT`] of BAR2 with C's `writeb()`, outside the layer.
fn raw_write(bar: &Bar<'_>, bytes: &[u8]) {
    for (i, byte) in bytes.iter().take(64).enumerate() {
        // SAFETY: `i < 64`: the address is within the mapping of BAR2, which `bar` keeps.
        unsafe { bindings::writeb(*byte, raw_byte(bar, i)) };
    }
}

/// The bytes of `value`.
fn mixed_bytes(mut value: Mixed) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(value.as_mut_bytes());
    out
}

/// `try_copy_write()` and `try_copy_read()` of a whole structure and of an odd window on MMIO
/// move the bytes that C's `readb()` finds and `writeb()` left at the same addresses.
fn mmio_try_copies(bar: &Bar<'_>) -> Result {
    let bytes = bar.as_view().try_cast::<[u8; MAPPED]>()?;
    let typed = io_project!(bytes, [try: RAW_AT..RAW_AT + 64]).try_cast::<Mixed>()?;
    let first = Mixed::sample(23);
    typed.try_copy_write(first)?;
    check_eq!(raw_read::<64>(bar), mixed_bytes(first));

    let second = Mixed::sample(29);
    let second_bytes = mixed_bytes(second);
    raw_write(bar, &second_bytes);
    check_eq!(typed.try_copy_read()?, second);

    let odd = io_project!(bytes, [try: RAW_AT + 1..RAW_AT + 8]).try_cast::<[u8; 7]>()?;
    check_eq!(odd.try_copy_read()?, second_bytes[1..8]);
    odd.try_copy_write(*b"rawcopy")?;
    let raw = raw_read::<9>(bar);
    check_eq!(raw[1..8], *b"rawcopy");
    check_eq!((raw[0], raw[8]), (second_bytes[0], second_bytes[8]));
    Ok(())
}

/// The cases of `io_mmio`, in the order [`mmio_suite`] reports them.
const MMIO_CASES: [&str; 35] = ktap::join(&[
    &["bar_size"],
    &EVERY_FORM,
    &BEYOND_7_3,
    &["try_copies_against_raw_bar", "debug_format"],
]);

fn mmio_suite(suite: &mut Suite<'_>, pdev: &pci::Device<Core<'_>>, bar: &Bar<'_>) -> Result {
    let views = suite.step("views_of_bar2", Views::new(bar))?;
    suite.note(fmt!(
        "BAR2: {} bytes mapped; the checks use the first {:#x}",
        bar.size(),
        MAPPED
    ));
    // The BAR is as large as the memory given to the device, whoever is asked.
    suite.run("bar_size", || {
        check_eq!(pdev.resource_len(SHM_BAR)?, SHM_SIZE as ResourceSize);
        check_eq!(bar.size(), SHM_SIZE);
        check_eq!(views.region.size(), SHM_SIZE);
        Ok(())
    });
    every_form!(suite, views.region, views.typed, views.slice);
    beyond_7_3!(suite, views.region, views.typed, views.slice);
    let raw = suite.run("try_copies_against_raw_bar", || mmio_try_copies(bar));
    suite.note(fmt!(
        "summary: BAR2: try_copy_write/try_copy_read of 64 and 7 bytes at {:#x} {} C's \
         readb()/writeb()",
        RAW_AT,
        if raw { "matched" } else { "did NOT match" }
    ));
    suite.run("debug_format", || {
        let start = bar_address(bar);
        debug_is(
            views.region,
            fmt!("Mmio {{ addr: {:p}, size: {:#x} }}", at(start), SHM_SIZE),
        )?;
        debug_is(
            views.typed,
            fmt!("Mmio {{ addr: {:p}, size: 0x40 }}", at(start + TYPED_AT)),
        )?;
        debug_is(
            io_project!(views.typed, .q),
            fmt!("Mmio {{ addr: {:p}, size: 0x8 }}", at(start + TYPED_AT + 8)),
        )?;
        debug_is(
            views.slice,
            fmt!(
                "Mmio {{ addr: {:p}, size: {:#x} }}",
                at(start + SLICE_AT),
                SLICE_WINDOW
            ),
        )
    });
    Ok(())
}

/// The cases of `io_relaxed_mmio`, in the order [`relaxed_suite`] reports them.
const RELAXED_CASES: [&str; 34] = ktap::join(&[
    &EVERY_FORM,
    &BEYOND_7_3,
    &["debug_format", "relaxed_and_ordered_agree"],
]);

fn relaxed_suite(suite: &mut Suite<'_>, bar: &Bar<'_>) -> Result {
    let views = suite.step("views_of_bar2", Views::new(bar))?;
    let (region, typed, slice) = (
        views.region.relaxed(),
        views.typed.relaxed(),
        views.slice.relaxed(),
    );
    every_form!(suite, region, typed, slice);
    beyond_7_3!(suite, region, typed, slice);
    suite.run("debug_format", || {
        let start = bar_address(bar);
        debug_is(
            region,
            fmt!(
                "RelaxedMmio {{ addr: {:p}, size: {:#x} }}",
                at(start),
                SHM_SIZE
            ),
        )?;
        debug_is(
            io_project!(typed, .arr[build: 1]),
            fmt!(
                "RelaxedMmio {{ addr: {:p}, size: 0x4 }}",
                at(start + TYPED_AT + 20)
            ),
        )
    });
    // Relaxed and ordered views of the same location see each other's accesses.
    suite.run("relaxed_and_ordered_agree", || {
        region.write32(0x0bad_cafe, 12);
        check_eq!(region.ordered().read32(12), 0x0bad_cafe);
        views.region.write16(0x1234, 14);
        check_eq!(region.read16(14), 0x1234);
        io_write!(typed, .w, 0x5eed_1e55);
        check_eq!(io_read!(typed.ordered(), .w), 0x5eed_1e55);
        check_eq!(io_read!(views.typed, .w), 0x5eed_1e55);
        Ok(())
    });
    Ok(())
}

/// Copies between an I/O memory and a system memory view, in both directions, of lengths around
/// the 256-byte chunks of the copy between different backends.
fn sysmap_cross_copies(io: IoSysMap<'_, [u8]>) -> Result {
    let len = io.len();
    let mut io_model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    let mut sys_model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    let mut sys = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    let mut got = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    fill(&mut io_model, 17);
    fill(&mut sys_model, 19);
    let sys = IoSysMap::from(SysMem::from_mut(&mut sys[..]));
    check!(io.is_iomem());
    check!(!sys.is_iomem());
    io.copy_from_slice(&io_model);
    sys.copy_from_slice(&sys_model);

    for (k, size) in [1, 255, 256, 257, 1000].into_iter().enumerate() {
        let (a, b) = (2 * k + 1, 3 * k + 700);
        io_project!(io, [try: a..a + size]).copy_from_view(io_project!(sys, [try: b..b + size]));
        io_model[a..a + size].copy_from_slice(&sys_model[b..b + size]);
        let (c, d) = (5 * k + 3, 7 * k + 1500);
        io_project!(sys, [try: c..c + size]).copy_from_view(io_project!(io, [try: d..d + size]));
        sys_model[c..c + size].copy_from_slice(&io_model[d..d + size]);
    }
    io.copy_to_slice(&mut got);
    compare("I/O memory", &got, &io_model)?;
    sys.copy_to_slice(&mut got);
    compare("system memory", &got, &sys_model)
}

/// The cases of `io_iosysmap`, in the order [`iosysmap_suite`] reports them.
const IOSYSMAP_CASES: [&str; 36] = ktap::join(&[
    &["is_iomem"],
    &EVERY_FORM,
    &BEYOND_7_3,
    &[
        "copies_between_io_and_sys",
        "byte_order_same_on_io_and_sys",
        "debug_format",
    ],
]);

fn iosysmap_suite(suite: &mut Suite<'_>, bar: &Bar<'_>) -> Result {
    let views = suite.step("views_of_bar2", Views::new(bar))?;
    let (region, typed, slice) = (
        IoSysMap::from(views.region),
        IoSysMap::from(views.typed),
        IoSysMap::from(views.slice),
    );
    suite.run("is_iomem", || {
        check!(region.is_iomem() && typed.is_iomem() && slice.is_iomem());
        Ok(())
    });
    every_form!(suite, region, typed, slice);
    beyond_7_3!(suite, region, typed, slice);
    suite.run("copies_between_io_and_sys", || sysmap_cross_copies(slice));
    suite.run("byte_order_same_on_io_and_sys", || {
        let mut sys = [0u64; REGION_WINDOW / 8];
        let sys = IoSysMap::from(SysMem::<Region<REGION_WINDOW, Align8>>::try_from_bytes(
            sys.as_mut_bytes(),
        )?);
        byte_order_agrees(region, sys)
    });
    suite.run("debug_format", || {
        let start = bar_address(bar);
        debug_is(
            slice,
            fmt!(
                "IoSysMap::Io(Mmio {{ addr: {:p}, size: {:#x} }})",
                at(start + SLICE_AT),
                SLICE_WINDOW
            ),
        )
    });
    Ok(())
}

/// The same byte-order values written through an I/O memory and a system memory `IoSysMap` leave
/// the same bytes, and read back the same from either.
fn byte_order_agrees<const N: usize, A: RegionAlign>(
    io: IoSysMap<'_, Region<N, A>>,
    sys: IoSysMap<'_, Region<REGION_WINDOW, Align8>>,
) -> Result {
    check!(io.is_iomem() && !sys.is_iomem());
    for map in [
        io.try_window::<Region<32>>(0, 32)?,
        sys.try_window::<Region<32>>(0, 32)?,
    ] {
        map.fill(0);
        map.write(0usize, Le16::new(0xa1b2));
        map.write(2usize, Be16::new(0xa1b2));
        map.write(4usize, Le32::new(0x0102_0304));
        map.write(8usize, Be32::new(0x0102_0304));
        // Two halves each on a 32-bit kernel, which has no 64-bit access.
        #[cfg(CONFIG_64BIT)]
        {
            map.try_write(16usize, Le64::new(0x1112_1314_1516_1718))?;
            map.try_write(24usize, Be64::new(0x1112_1314_1516_1718))?;
        }
        #[cfg(not(CONFIG_64BIT))]
        {
            write_le64(try_quad(map, 16)?, 0x1112_1314_1516_1718);
            write_be64(try_quad(map, 24)?, 0x1112_1314_1516_1718);
        }
    }
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    io_project!(io.as_bytes(), [try: 0..32]).copy_to_slice(&mut a);
    io_project!(sys.as_bytes(), [try: 0..32]).copy_to_slice(&mut b);
    check_eq!(a, b);
    check_eq!(a[..12], [0xb2, 0xa1, 0xa1, 0xb2, 4, 3, 2, 1, 1, 2, 3, 4]);
    for map in [
        io.try_window::<Region<32>>(0, 32)?,
        sys.try_window::<Region<32>>(0, 32)?,
    ] {
        check_eq!(map.read::<Be16, _>(2usize).get(), 0xa1b2);
        check_eq!(map.read::<Le32, _>(4usize).get(), 0x0102_0304);
        #[cfg(CONFIG_64BIT)]
        {
            check_eq!(
                map.try_read::<Be64, _>(24usize)?.get(),
                0x1112_1314_1516_1718
            );
            check_eq!(
                map.try_read::<Le64, _>(24usize)?.get(),
                0x1817_1615_1413_1211
            );
        }
        #[cfg(not(CONFIG_64BIT))]
        {
            check_eq!(read_be64(try_quad(map, 24)?), 0x1112_1314_1516_1718);
            check_eq!(read_le64(try_quad(map, 24)?), 0x1817_1615_1413_1211);
        }
    }
    Ok(())
}

/// The DMA address of a projected view is the allocation's plus the offset of the projection.
fn dma_addresses(
    buf: &Coherent<[u8]>,
    typed: CoherentView<'_, Mixed>,
    typed_base: DmaAddress,
) -> Result {
    let base = buf.dma_address();
    let at = |offset: usize| base + offset as DmaAddress;
    check_eq!(buf.as_view().dma_address(), base);
    for (a, b) in [
        (0, 1),
        (1, 2),
        (0x123, 0x456),
        (SLICE_WINDOW - 1, SLICE_WINDOW),
        (SLICE_WINDOW, SLICE_WINDOW),
    ] {
        let (a, b) = (black_box(a), black_box(b));
        check_eq!(io_project!(buf, [try: a..b]).dma_address(), at(a));
    }
    let outer = io_project!(buf, [try: 0x100..0x300]);
    check_eq!(
        io_project!(outer, [try: 0x10..0x20]).dma_address(),
        at(0x110)
    );
    check_eq!(io_project!(outer, [try: 0x7]).dma_address(), at(0x107));
    check_eq!(
        io_project!(buf, [try: 0x208..0x210])
            .try_cast::<u64>()?
            .dma_address(),
        at(0x208)
    );
    let window = |a: usize, b: usize| -> Result<_> { Ok(io_project!(buf, [try: a..b])) };
    check_eq!(window(SLICE_WINDOW, SLICE_WINDOW + 1).err(), Some(ERANGE));

    check_eq!(typed.dma_address(), typed_base);
    let field = |offset: usize| typed_base + offset as DmaAddress;
    check_eq!(
        io_project!(typed, .q).dma_address(),
        field(offset_of!(Mixed, q))
    );
    let i = black_box(2);
    check_eq!(
        io_project!(typed, .arr[try: i]).dma_address(),
        field(offset_of!(Mixed, arr) + i * size_of::<u32>())
    );
    check_eq!(
        io_project!(typed, .bytes[try: 3..9]).dma_address(),
        field(offset_of!(Mixed, bytes) + 3)
    );
    Ok(())
}

/// Every runtime error of casts, regions, windows, projections, accessors and copies on a
/// coherent view is the documented one (`ERANGE` beyond the view, `EINVAL` misaligned, of the
/// wrong length or breaking a region's rules), touches no byte of the allocation, and the views
/// that succeed beside them have the DMA address of the allocation plus their offset.
fn coherent_errors(buf: &Coherent<[u8]>) -> Result<usize> {
    let base = buf.dma_address();
    let view = buf.as_view();
    check_eq!(view.len(), SLICE_WINDOW);
    view.fill(0x5c);
    let mut errors = 0usize;
    let mut expect_err = |got: Option<Error>, want: Error| -> Result {
        errors += 1;
        check_eq!(got, Some(want));
        Ok(())
    };

    // Casts.
    expect_err(view.try_cast::<[u8; SLICE_WINDOW + 1]>().err(), ERANGE)?;
    check_eq!(view.try_cast::<[u8; SLICE_WINDOW]>()?.dma_address(), base);
    let odd = io_project!(view, [try: 1..17]);
    check_eq!(odd.dma_address(), base + 1);
    expect_err(odd.try_cast::<u64>().err(), EINVAL)?;
    expect_err(odd.try_cast::<[u64; 3]>().err(), ERANGE)?;
    check_eq!(
        io_project!(view, [try: 8..24])
            .try_cast::<u64>()?
            .dma_address(),
        base + 8
    );

    // Regions: too small for their build-time size, misaligned, of a size that is not a
    // multiple of their alignment.
    let part = |a: usize, b: usize| -> Result<_> { Ok(io_project!(view, [try: a..b])) };
    expect_err(part(0, 60)?.try_as_region::<Region<64>>().err(), EINVAL)?;
    expect_err(
        part(4, 68)?.try_as_region::<Region<64, Align8>>().err(),
        EINVAL,
    )?;
    expect_err(part(0, 66)?.try_as_region::<Region<64>>().err(), EINVAL)?;
    check_eq!(
        part(0x40, 0x80)?
            .try_as_region::<Region<64, Align8>>()?
            .dma_address(),
        base + 0x40
    );

    // Windows: beyond the view, overflowing, misaligned, too small, of a bad size.
    let region = view.try_as_region::<Region<64, Align8>>()?;
    check_eq!(region.dma_address(), base);
    let window = |offset: usize, len: usize| region.try_window::<Region<16>>(offset, len);
    expect_err(window(black_box(SLICE_WINDOW - 8), 16).err(), ERANGE)?;
    expect_err(window(black_box(usize::MAX), 16).err(), ERANGE)?;
    expect_err(window(black_box(2), 16).err(), EINVAL)?;
    expect_err(window(black_box(16), 8).err(), EINVAL)?;
    expect_err(window(black_box(16), 18).err(), EINVAL)?;
    check_eq!(window(black_box(0x30), 0x20)?.dma_address(), base + 0x30);

    // Projections: an index or a range beyond the view, a reversed range.
    let byte = |i: usize| -> Result<_> { Ok(io_project!(view, [try: i])) };
    expect_err(byte(black_box(SLICE_WINDOW)).err(), ERANGE)?;
    check_eq!(
        byte(black_box(SLICE_WINDOW - 1))?.dma_address(),
        base + 0xfff
    );
    expect_err(
        part(black_box(SLICE_WINDOW - 1), SLICE_WINDOW + 1).err(),
        ERANGE,
    )?;
    expect_err(
        part(black_box(SLICE_WINDOW + 1), SLICE_WINDOW + 2).err(),
        ERANGE,
    )?;
    expect_err(part(black_box(0x20), 0x10).err(), ERANGE)?;
    check_eq!(part(black_box(0x20), 0x20)?.dma_address(), base + 0x20);

    // Accessors and copies.
    expect_err(region.try_read32(black_box(SLICE_WINDOW - 2)).err(), ERANGE)?;
    expect_err(region.try_read32(black_box(usize::MAX - 1)).err(), ERANGE)?;
    expect_err(region.try_read32(black_box(2)).err(), EINVAL)?;
    #[cfg(CONFIG_64BIT)]
    expect_err(region.try_write64(0, black_box(4)).err(), EINVAL)?;
    #[cfg(not(CONFIG_64BIT))]
    expect_err(try_quad(region, black_box(4)).err(), EINVAL)?;
    expect_err(region.try_write16(0, black_box(SLICE_WINDOW)).err(), ERANGE)?;
    let four = part(0x100, 0x104)?;
    expect_err(four.try_copy_from_slice(b"toolong").err(), EINVAL)?;
    let mut three = [0u8; 3];
    expect_err(four.try_copy_to_slice(&mut three).err(), EINVAL)?;
    expect_err(four.try_copy_from_view(part(0x200, 0x205)?).err(), EINVAL)?;

    // None of them wrote a byte: the memory itself, read at the allocation's CPU address.
    let cpu = buf.as_ptr().cast::<u8>();
    for i in 0..SLICE_WINDOW {
        // SAFETY: `i` is within the live allocation `buf`; the device does not access it.
        let got = unsafe { cpu.wrapping_add(i).read_volatile() };
        if got != 0x5c {
            pr_err!("    # byte {:#x} of the allocation is {:#x}\n", i, got);
            return Err(EINVAL);
        }
    }
    Ok(errors)
}

/// The cases of `io_coherent`, in the order [`coherent_suite`] reports them.
const COHERENT_CASES: [&str; 28] = ktap::join(&[
    &[
        "allocations_are_zeroed",
        "typed_fields",
        "typed_errors",
        "slice_copies",
        "slice_errors",
        "moves_every_overlap",
        "moves_in_chunks",
        "cpu_view_sees_writes",
        "dma_address_after_projection",
        "errors_touch_nothing_dma_address_kept",
    ],
    &BEYOND_7_3,
    &[
        "dma_address_of_windows_and_casts",
        "debug_format",
        "coherent_buffer_of_driver_types",
    ],
]);

fn coherent_suite(suite: &mut Suite<'_>, pdev: &pci::Device<Core<'_>>) -> Result {
    let dev = pdev.as_ref();
    // `Coherent` wants the kernel's transmute traits and the views the derivable ones: allocate
    // bytes and cast the view (a `CoherentBuffer` does this for a driver; see the last case).
    let raw = suite.step(
        "alloc_typed",
        Coherent::<[u8; size_of::<Mixed>()]>::zeroed(dev, GFP_KERNEL),
    )?;
    let buf = suite.step(
        "alloc_slice",
        Coherent::<u8>::zeroed_slice(dev, SLICE_WINDOW, GFP_KERNEL),
    )?;
    let typed = suite.step("typed_view", (&raw).try_cast::<Mixed>())?;
    let slice = buf.as_view();
    suite.note(fmt!(
        "allocations at DMA addresses {:#x} and {:#x}",
        raw.dma_address(),
        buf.dma_address()
    ));

    suite.run("allocations_are_zeroed", || {
        check_eq!(raw.as_view().copy_read(), [0u8; size_of::<Mixed>()]);
        let mut got = KVec::from_elem(0xffu8, SLICE_WINDOW, GFP_KERNEL)?;
        slice.copy_to_slice(&mut got);
        check!(got.iter().all(|&b| b == 0));
        Ok(())
    });
    suite.run("typed_fields", || typed_fields(typed));
    suite.run("typed_errors", || typed_errors(typed));
    suite.run("slice_copies", || slice_copies(slice));
    suite.run("slice_errors", || slice_errors(slice));
    suite.run("moves_every_overlap", || moves_exhaustive(slice));
    suite.run("moves_in_chunks", || moves_chunked(slice));
    suite.run("cpu_view_sees_writes", || {
        io_write!(typed, .w, 0x600d_f00d);
        check_eq!(io_read!(typed.as_sys_mem(), .w), 0x600d_f00d);
        // The memory itself, read at the allocation's CPU address without any view.
        let w = raw.as_ptr().cast::<u8>().wrapping_add(4).cast::<u32>();
        // SAFETY: `w` is `Mixed::w` within the live allocation `raw`, aligned for a `u32`; the
        // device does not access the allocation.
        check_eq!(unsafe { w.read_volatile() }, 0x600d_f00d);
        io_project!(slice, [try: 5..9]).copy_from_slice(b"dma!");
        check_eq!(
            io_project!(slice.as_sys_mem(), [try: 5..9])
                .try_cast::<[u8; 4]>()?
                .copy_read(),
            *b"dma!"
        );
        Ok(())
    });
    suite.run("dma_address_after_projection", || {
        dma_addresses(&buf, typed, raw.dma_address())
    });
    let mut errors = 0;
    suite.run("errors_touch_nothing_dma_address_kept", || {
        errors = coherent_errors(&buf)?;
        Ok(())
    });
    suite.note(fmt!(
        "summary: coherent: {} bytes at DMA address {:#x}; {} error paths returned ERANGE or \
         EINVAL and left every byte as it was",
        SLICE_WINDOW,
        buf.dma_address(),
        errors
    ));

    let region = suite.step(
        "align8_region_view",
        (&raw).try_as_region::<Region<REGION_WINDOW, Align8>>(),
    )?;
    beyond_7_3!(suite, region, typed, slice);
    suite.run("dma_address_of_windows_and_casts", || {
        let base = raw.dma_address();
        check_eq!(region.dma_address(), base);
        check_eq!(
            region.try_window::<Region<8>>(16, 16)?.dma_address(),
            base + 16
        );
        check_eq!(region.window::<Region<16>, 48>().dma_address(), base + 48);
        check_eq!(
            io_project!(region.as_bytes(), [try: 5..9]).dma_address(),
            base + 5
        );
        check_eq!(
            io_project!(region.cast::<Descriptor>(), .tag).dma_address(),
            base + 12
        );
        check_eq!(
            io_project!(buf.as_view(), [try: 0x300..0x340])
                .try_as_region::<Region<64, Align8>>()?
                .dma_address(),
            buf.dma_address() + 0x300
        );
        Ok(())
    });
    suite.run("debug_format", || {
        // The allocation's own CPU address, not the view's.
        let cpu = raw.as_ptr().addr();
        debug_is(
            typed,
            fmt!(
                "CoherentView {{ cpu: SysMem {{ addr: {:p}, size: 0x40 }}, dma_address: {:#x} }}",
                at(cpu),
                raw.dma_address()
            ),
        )?;
        let field = io_project!(typed, .w);
        debug_is(
            field,
            fmt!(
                "CoherentView {{ cpu: SysMem {{ addr: {:p}, size: 0x4 }}, dma_address: {:#x} }}",
                at(cpu + 4),
                raw.dma_address() + 4
            ),
        )
    });
    suite.run("coherent_buffer_of_driver_types", || coherent_buffers(dev));
    Ok(())
}

/// A descriptor as a driver writes it for its device: little-endian fields, with the prelude's
/// derives only, no `unsafe impl` of the kernel's transmute traits.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Desc {
    addr: Le32,
    len: Le32,
    flags: Le16,
    next: Le16,
    id: Le32,
}

/// `CoherentBuffer` holds a driver's own plain-data types, one or a slice of them: zeroed, with
/// DMA addresses kept through projections at runtime indices, and every field where the device
/// would read it.
fn coherent_buffers(dev: &kernel::device::Device<kernel::device::Bound>) -> Result {
    const N: usize = 256;
    let ring = CoherentBuffer::<[Desc]>::zeroed_slice(dev, N, GFP_KERNEL)?;
    check_eq!((ring.len(), ring.size()), (N, N * size_of::<Desc>()));
    let whole = ring.as_view();
    check_eq!(whole.dma_address(), ring.dma_address());
    for i in [0, 1, 17, N - 1] {
        let slot = io_project!(&ring, [try: black_box(i)]);
        check_eq!(slot.dma_address(), ring.dma_address() + (i * 16) as u64);
        check_eq!(io_read!(slot, .addr).get(), 0);
        io_write!(slot, .addr, Le32::new(0x1000 * i as u32 + 1));
        io_write!(slot, .len, Le32::new(512));
        io_write!(slot, .next, Le16::new(((i + 1) % N) as u16));
    }
    check!(io_try_project!(&ring, [try: black_box(N)]).is_err());
    // The bytes a device reads: the little-endian fields at their offsets.
    let mut bytes = [0u8; 16];
    io_project!(whole.as_bytes(), [try: 17 * 16..18 * 16]).copy_to_slice(&mut bytes);
    check_eq!(bytes[..4], (0x1000u32 * 17 + 1).to_le_bytes());
    check_eq!(bytes[4..8], 512u32.to_le_bytes());
    check_eq!(bytes[10..12], 18u16.to_le_bytes());

    let one = CoherentBuffer::<Desc>::zeroed(dev, GFP_KERNEL)?;
    check_eq!(one.size(), 16);
    io_write!(&one, .flags, Le16::new(3));
    check_eq!(io_read!(&one, .flags).get(), 3);
    check_eq!(io_project!(&one, .len).dma_address(), one.dma_address() + 4);
    check_eq!(
        CoherentBuffer::<[Desc]>::zeroed_slice(dev, black_box(usize::MAX / 8), GFP_KERNEL).err(),
        Some(EINVAL)
    );
    Ok(())
}

/// Checks the interrupt line register in every width and form, against what the PCI core's own
/// accessors read; [`restoring_line`] puts it back.
fn interrupt_line(pdev: &pci::Device<Core<'_>>) -> Result {
    const LINE: usize = 0x3c;
    let cfg = pdev.config_space();
    // The dword with the line, the read-only pin, min_gnt and max_lat, and the pin alone.
    let dword = c_config::dword(pdev, LINE)?;
    let pin = c_config::byte(pdev, LINE + 1)?;
    check_eq!(cfg.read32(LINE), dword);
    check_eq!(cfg.read8(LINE + 1), pin);

    cfg.write8(0xa5, LINE);
    check_eq!(c_config::byte(pdev, LINE)?, 0xa5);
    check_eq!(cfg.read8(LINE), 0xa5);
    cfg.try_write8(0x5a, black_box(LINE))?;
    check_eq!(cfg.try_read8(black_box(LINE))?, 0x5a);
    cfg.update(LINE, |v: u8| !v);
    check_eq!(cfg.read8(LINE), 0xa5);
    cfg.try_update(black_box(LINE), |v: u8| v ^ 0x0f)?;
    check_eq!(cfg.read::<u8, _>(LINE), 0xaa);
    check_eq!(c_config::byte(pdev, LINE)?, 0xaa);

    // Wider writes that cover the read-only registers change the line only, even when they
    // write other values there.
    cfg.write16((u16::from(!pin) << 8) | 0x42, LINE);
    check_eq!(cfg.read16(LINE), (u16::from(pin) << 8) | 0x42);
    check_eq!(c_config::word(pdev, LINE)?, (u16::from(pin) << 8) | 0x42);
    cfg.try_write32((!dword & !0xff) | 0x24, black_box(LINE))?;
    check_eq!(cfg.try_read32(LINE)?, (dword & !0xff) | 0x24);
    check_eq!(c_config::dword(pdev, LINE)?, (dword & !0xff) | 0x24);

    // Through a typed view of the header's last dword.
    let tail =
        io_project!(cfg.try_cast::<[u8; 0x40]>()?, [try: LINE..LINE + 4]).try_cast::<[u8; 4]>()?;
    io_write!(tail, [build: 0], 0x33);
    check_eq!(io_read!(tail, [build: 0]), 0x33);
    check_eq!(c_config::byte(pdev, LINE)?, 0x33);
    Ok(())
}

/// A typed view of the start of the configuration header.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Ids {
    vendor: u16,
    device: u16,
    command: u16,
    status: u16,
    revision: u8,
    class: [u8; 3],
}

/// The type 0 configuration header, whole.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Type0Header {
    vendor_id: u16,
    device_id: u16,
    command: u16,
    status: u16,
    revision_id: u8,
    class_code: [u8; 3],
    cache_line_size: u8,
    latency_timer: u8,
    header_type: u8,
    bist: u8,
    bars: [u32; 6],
    cardbus_cis: u32,
    subsystem_vendor_id: u16,
    subsystem_id: u16,
    rom_address: u32,
    capabilities: u8,
    _reserved: [u8; 7],
    interrupt_line: u8,
    interrupt_pin: u8,
    min_grant: u8,
    max_latency: u8,
}

const _: () = assert!(size_of::<Type0Header>() == 0x40);

/// The identification registers, in the byte order configuration space defines.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct LeIds {
    vendor: Le16,
    device: Le16,
}

/// A copy of the whole header holds what the PCI core's accessors read there and what the PCI
/// core recorded when it enumerated the device.
fn header_copy(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let want = c_config::bytes::<_, 0x40>(pdev)?;
    let mut h = cfg.cast::<Type0Header>().copy_read();
    check_eq!(h.vendor_id, pdev.vendor_id().as_raw());
    check_eq!(h.device_id, pdev.device_id());
    check_eq!(h.revision_id, pdev.revision_id());
    let class = (u32::from(h.class_code[2]) << 16)
        | (u32::from(h.class_code[1]) << 8)
        | u32::from(h.class_code[0]);
    check_eq!(class, pdev.pci_class().as_raw());
    check_eq!(h.subsystem_vendor_id, pdev.subsystem_vendor_id());
    check_eq!(h.subsystem_id, pdev.subsystem_device_id());
    check_eq!(&*h.as_mut_bytes(), &want[..]);

    // The same bytes as dwords, as a byte copy, and as a copy at odd offsets (byte, word and
    // dword cycles mixed).
    let mut dwords = cfg.cast::<[u32; 16]>().copy_read();
    check_eq!(&*dwords.as_mut_bytes(), &want[..]);
    let mut bytes = [0u8; 0x40];
    io_project!(cfg.as_bytes(), [try: 0..0x40]).copy_to_slice(&mut bytes);
    check_eq!(bytes, want);
    let mut odd = [0u8; 11];
    io_project!(cfg.as_bytes(), [try: 1..12]).try_copy_to_slice(&mut odd)?;
    check_eq!(odd[..], want[1..12]);
    Ok(())
}

/// Byte-order types read the identification registers as the values the PCI core has.
fn byte_order_ids(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let (vendor, device) = (pdev.vendor_id().as_raw(), pdev.device_id());
    check_eq!(cfg.read::<Le16, _>(0usize).get(), vendor);
    check_eq!(cfg.read::<Le16, _>(2usize).get(), device);
    check_eq!(cfg.read::<Be16, _>(0usize).get(), vendor.swap_bytes());
    check_eq!(
        cfg.read::<Le32, _>(0usize).get(),
        (u32::from(device) << 16) | u32::from(vendor)
    );
    check_eq!(
        cfg.read::<Be32, _>(0usize).get(),
        ((u32::from(device) << 16) | u32::from(vendor)).swap_bytes()
    );
    check_eq!(cfg.try_read::<Le16, _>(black_box(2usize))?.get(), device);
    check_eq!(cfg.try_read::<Le16, _>(black_box(1usize)), Err(EINVAL));
    check_eq!(cfg.try_read::<Le32, _>(black_box(CFG_SIZE)), Err(ERANGE));
    let ids = cfg.cast::<LeIds>();
    check_eq!(io_read!(ids, .vendor).get(), vendor);
    check_eq!(io_project!(ids, .device).try_read_val()?.get(), device);
    let copy = ids.copy_read();
    check_eq!((copy.vendor.get(), copy.device.get()), (vendor, device));
    Ok(())
}

/// The `try_` accessors of projections and offsets read what is there, and write what they are
/// given.
fn try_accessors(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let hdr = cfg.cast::<Type0Header>();
    check_eq!(
        io_project!(hdr, .vendor_id).try_read_val()?,
        pdev.vendor_id().as_raw()
    );
    check_eq!(
        io_project!(hdr, .revision_id).try_read_val()?,
        pdev.revision_id()
    );
    check_eq!(
        io_project!(hdr, .bars[build: 2]).try_read_val()?,
        c_config::dword(pdev, 0x18)?
    );
    let line = io_project!(hdr, .interrupt_line);
    line.try_write_val(0x6b)?;
    check_eq!(c_config::byte(pdev, 0x3c)?, 0x6b);
    check_eq!(line.try_read_val()?, 0x6b);
    check_eq!(cfg.try_read::<u8, _>(black_box(0x3cusize))?, 0x6b);
    cfg.try_write(black_box(0x3cusize), 0x7cu8)?;
    check_eq!(cfg.read8(0x3c), 0x7c);
    cfg.try_update(black_box(0x3cusize), |v: u8| v + 1)?;
    check_eq!(line.read_val(), 0x7d);
    check_eq!(c_config::byte(pdev, 0x3c)?, 0x7d);
    Ok(())
}

/// Fill on configuration space: the interrupt line, alone and with the read-only pin.
fn config_fill(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let pin = c_config::byte(pdev, 0x3d)?;
    let line = io_project!(cfg.cast::<Type0Header>(), .interrupt_line);
    line.fill(0xa5);
    check_eq!(c_config::byte(pdev, 0x3c)?, 0xa5);
    io_project!(cfg.as_bytes(), [try: 0x3c..0x3d]).fill(0x5a);
    check_eq!(c_config::byte(pdev, 0x3c)?, 0x5a);
    // The pin is read-only: a fill over both changes the line only.
    io_project!(cfg.as_bytes(), [try: 0x3c..0x3e]).fill(0x11);
    check_eq!(c_config::word(pdev, 0x3c)?, (u16::from(pin) << 8) | 0x11);
    io_project!(cfg.as_bytes(), [try: 0x3c..0x3c]).fill(0xff);
    check_eq!(c_config::byte(pdev, 0x3c)?, 0x11);
    Ok(())
}

/// Runs `check`, then puts the interrupt line register back as it was.
fn restoring_line(
    pdev: &pci::Device<Core<'_>>,
    check: fn(&pci::Device<Core<'_>>) -> Result,
) -> Result {
    let saved = c_config::byte(pdev, 0x3c)?;
    let result = check(pdev);
    pdev.config_space().write8(saved, 0x3c);
    check_eq!(c_config::byte(pdev, 0x3c)?, saved);
    result
}

/// `try_copy_read()` and `try_copy_write()` on configuration space move the bytes that the PCI
/// core's accessors read, whole header and odd window alike; over the header's last dword only
/// the writable interrupt line takes its byte.
fn config_try_copies(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let want = c_config::bytes::<_, 0x40>(pdev)?;
    let mut header = cfg.cast::<Type0Header>().try_copy_read()?;
    check_eq!(&*header.as_mut_bytes(), &want[..]);
    let odd = io_project!(cfg.as_bytes(), [try: 1..12]).try_cast::<[u8; 11]>()?;
    check_eq!(odd.try_copy_read()?, want[1..12]);

    let last = u32::from_le_bytes([want[0x3c], want[0x3d], want[0x3e], want[0x3f]]);
    let tail = io_project!(cfg.as_bytes(), [try: 0x3c..0x40]).try_cast::<[u8; 4]>()?;
    tail.try_copy_write([0x5e, !want[0x3d], !want[0x3e], !want[0x3f]])?;
    check_eq!(c_config::dword(pdev, 0x3c)?, (last & !0xff) | 0x5e);
    io_project!(cfg.cast::<Type0Header>(), .interrupt_line).try_copy_write(0x6f)?;
    check_eq!(c_config::byte(pdev, 0x3c)?, 0x6f);
    Ok(())
}

/// The registers [`config_copy_from_view`] writes: the interrupt line and the cache line size.
const LINE: usize = 0x3c;
const CACHE_LINE: usize = 0x0c;

/// `copy_from_view` within configuration space, into the writable interrupt line and cache line
/// size registers and out of them, checked with the PCI core's accessors.
fn config_copy_from_view(pdev: &pci::Device<Core<'_>>) -> Result {
    let bytes = pdev.config_space().as_bytes();
    let part = |a: usize, b: usize| -> Result<_> { Ok(io_project!(bytes, [try: a..b])) };
    let before = c_config::bytes::<_, 0x40>(pdev)?;

    // The read-only revision ID into the line.
    part(LINE, LINE + 1)?.copy_from_view(part(8, 9)?);
    check_eq!(c_config::byte(pdev, LINE)?, pdev.revision_id());
    // The vendor and device IDs over the last dword, with a dword cycle each way: only the line
    // takes its byte.
    part(LINE, LINE + 4)?.try_copy_from_view(part(0, 4)?)?;
    let last = u32::from_le_bytes([before[0x3c], before[0x3d], before[0x3e], before[0x3f]]);
    check_eq!(
        c_config::dword(pdev, LINE)?,
        (last & !0xff) | u32::from(before[0])
    );
    // The line, set by the PCI core's accessor, as the source.
    c_config::write_byte(pdev, LINE, 0x42)?;
    part(CACHE_LINE, CACHE_LINE + 1)?.copy_from_view(part(LINE, LINE + 1)?);
    check_eq!(c_config::byte(pdev, CACHE_LINE)?, 0x42);
    c_config::write_byte(pdev, CACHE_LINE, 0x10)?;
    part(LINE, LINE + 1)?.try_copy_from_view(part(CACHE_LINE, CACHE_LINE + 1)?)?;
    check_eq!(c_config::byte(pdev, LINE)?, 0x10);
    // Views of different lengths: nothing is written.
    check_eq!(
        part(LINE, LINE + 1)?.try_copy_from_view(part(0, 2)?),
        Err(EINVAL)
    );
    check_eq!(c_config::byte(pdev, LINE)?, 0x10);
    // The rest of the header is as it was.
    let after = c_config::bytes::<_, 0x40>(pdev)?;
    for (i, (a, b)) in after.iter().zip(before.iter()).enumerate() {
        if i != LINE && i != CACHE_LINE {
            check_eq!((i, *a), (i, *b));
        }
    }
    Ok(())
}

/// Runs `check`, then puts the interrupt line and the cache line size back as they were.
fn restoring_writable(
    pdev: &pci::Device<Core<'_>>,
    check: fn(&pci::Device<Core<'_>>) -> Result,
) -> Result {
    let saved = (
        c_config::byte(pdev, LINE)?,
        c_config::byte(pdev, CACHE_LINE)?,
    );
    let result = check(pdev);
    c_config::write_byte(pdev, LINE, saved.0)?;
    c_config::write_byte(pdev, CACHE_LINE, saved.1)?;
    check_eq!(
        (
            c_config::byte(pdev, LINE)?,
            c_config::byte(pdev, CACHE_LINE)?
        ),
        saved
    );
    result
}

/// The PCI core's record that a device is gone, as `pci_dev_set_disconnected()` leaves it after
/// a surprise removal: while it is set, `pci_read_config_*()` fails with
/// `PCIBIOS_DEVICE_NOT_FOUND` and sets the value to all ones, and `pci_write_config_*()` fails
/// without a cycle. Dropping it puts the device back in the normal state.
struct Disconnected<'a, 'b>(&'a pci::Device<Core<'b>>);

impl<'a, 'b> Disconnected<'a, 'b> {
    fn set(pdev: &'a pci::Device<Core<'b>>, state: bindings::pci_channel_state_t) {
        let raw = core::ptr::from_ref(pdev)
            .cast::<bindings::pci_dev>()
            .cast_mut();
        // SAFETY: `raw` is the bound device that `pdev` wraps. The PCI core reads `error_state`
        // with `READ_ONCE()`; a volatile store is what `WRITE_ONCE()` does. Only the error
        // handling of the PCI core changes it otherwise, and no error is being handled on QEMU's
        // device while this probe runs.
        unsafe { core::ptr::addr_of_mut!((*raw).error_state).write_volatile(state) };
    }

    fn new(pdev: &'a pci::Device<Core<'b>>) -> Self {
        Self::set(pdev, bindings::pci_channel_io_perm_failure);
        Self(pdev)
    }
}

impl Drop for Disconnected<'_, '_> {
    fn drop(&mut self) {
        Self::set(self.0, bindings::pci_channel_io_normal);
    }
}

/// The PCI core itself fails the cycles: its C accessors return `PCIBIOS_DEVICE_NOT_FOUND`
/// (which `pcibios_err_to_errno()` makes `ENODEV`), reads set all ones.
///
/// This checks the PCI core, not the layer: it is the precondition of the cases of failed
/// cycles, a step.
fn failed_in_pci_core(pdev: &pci::Device<Core<'_>>) -> Result {
    let raw = core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut();
    let mut value = 0u32;
    // SAFETY: `raw` is the bound device that `pdev` wraps; `value` is a writable `u32`.
    let ret = unsafe { bindings::pci_read_config_dword(raw, 0, &mut value) };
    let not_found = i32::try_from(bindings::PCIBIOS_DEVICE_NOT_FOUND)?;
    check_eq!(ret, not_found);
    check_eq!(value, u32::MAX);
    // SAFETY: As above.
    let ret = unsafe { bindings::pci_write_config_byte(raw, i32::try_from(LINE)?, 0x77) };
    check_eq!(ret, not_found);
    // SAFETY: `pcibios_err_to_errno()` only maps an integer.
    let errno = unsafe { bindings::pcibios_err_to_errno(ret) };
    check_eq!(errno, ENODEV.to_errno());
    Ok(())
}

/// Every `try_` accessor reports the failed cycle as `ENODEV`; bounds and alignment are still
/// checked first.
fn failed_try_accessors(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let hdr = cfg.cast::<Type0Header>();
    check_eq!(cfg.try_read8(black_box(LINE)), Err(ENODEV));
    check_eq!(cfg.try_read16(black_box(0)), Err(ENODEV));
    check_eq!(cfg.try_read32(black_box(0)), Err(ENODEV));
    check_eq!(cfg.try_read::<Le16, _>(black_box(2usize)), Err(ENODEV));
    check_eq!(io_project!(hdr, .vendor_id).try_read_val(), Err(ENODEV));
    check_eq!(
        io_project!(hdr, .bars[build: 2]).try_read_val(),
        Err(ENODEV)
    );
    check_eq!(cfg.try_write8(0x77, black_box(LINE)), Err(ENODEV));
    check_eq!(
        io_project!(hdr, .interrupt_line).try_write_val(0x77),
        Err(ENODEV)
    );
    check_eq!(cfg.try_update(black_box(LINE), |v: u8| !v), Err(ENODEV));
    check_eq!(cfg.try_read8(black_box(CFG_SIZE)), Err(ERANGE));
    check_eq!(cfg.try_read16(black_box(1)), Err(EINVAL));
    Ok(())
}

/// The plain accessors read all ones, as C's accessors leave them.
fn failed_plain_reads(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let hdr = cfg.cast::<Type0Header>();
    check_eq!(cfg.read8(LINE), u8::MAX);
    check_eq!(cfg.read16(0), u16::MAX);
    check_eq!(cfg.read32(0), u32::MAX);
    check_eq!(io_read!(hdr, .device_id), u16::MAX);
    check_eq!(io_project!(hdr, .bars[build: 2]).read_val(), u32::MAX);
    let mut header = hdr.copy_read();
    check!(header.as_mut_bytes().iter().all(|&b| b == 0xff));
    let mut odd = [0u8; 11];
    io_project!(cfg.as_bytes(), [try: 1..12]).copy_to_slice(&mut odd);
    check_eq!(odd, [0xff; 11]);
    Ok(())
}

/// Every `try_` copy stops at the first failed cycle with `ENODEV`.
fn failed_try_copies(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    let hdr = cfg.cast::<Type0Header>();
    check_eq!(hdr.try_copy_read().err(), Some(ENODEV));
    check_eq!(
        io_project!(hdr, .interrupt_line).try_copy_read(),
        Err(ENODEV)
    );
    let tail = io_project!(cfg.as_bytes(), [try: LINE..LINE + 4]);
    let mut four = [0u8; 4];
    check_eq!(tail.try_copy_to_slice(&mut four), Err(ENODEV));
    check_eq!(tail.try_copy_from_slice(&[0x77; 4]), Err(ENODEV));
    check_eq!(
        tail.try_cast::<[u8; 4]>()?.try_copy_write([0x77; 4]),
        Err(ENODEV)
    );
    check_eq!(
        io_project!(hdr, .interrupt_line).try_copy_write(0x77),
        Err(ENODEV)
    );
    // A move within configuration space reads and writes through failing cycles too.
    let revision = io_project!(cfg.as_bytes(), [try: 8..9]);
    check_eq!(
        io_project!(cfg.as_bytes(), [try: LINE..LINE + 1]).try_copy_from_view(revision),
        Err(ENODEV)
    );
    Ok(())
}

/// Writes while the device is marked gone, with every form; none of them may reach it.
fn failed_writes(pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    cfg.write8(0x77, LINE);
    io_write!(cfg.cast::<Type0Header>(), .interrupt_line, 0x77);
    cfg.update(LINE, |v: u8| !v);
    let line = io_project!(cfg.as_bytes(), [try: LINE..LINE + 1]);
    line.fill(0x77);
    line.copy_from_slice(&[0x77]);
    line.copy_from_view(io_project!(cfg.as_bytes(), [try: 8..9]));
    Ok(())
}

/// The cases of `io_config_space`, in the order [`config_space_suite`] reports them.
const CONFIG_SPACE_CASES: [&str; 15] = [
    "size",
    "read_only_ids_every_width",
    "interrupt_line_every_width",
    "errors",
    "copy_read_whole_header",
    "byte_order_ids",
    "try_accessors",
    "fill",
    "debug_format",
    "try_copies_against_c",
    "copy_from_view_within_config",
    "failed_cycle_try_accessors_enodev",
    "failed_cycle_plain_reads_all_ones",
    "failed_cycle_try_copies_enodev",
    "failed_cycle_writes_never_reached",
];

fn config_space_suite(suite: &mut Suite<'_>, pdev: &pci::Device<Core<'_>>) -> Result {
    let cfg = pdev.config_space();
    suite.run("size", || {
        check_eq!(pdev.cfg_size().into_raw(), CFG_SIZE);
        check_eq!(cfg.size(), CFG_SIZE);
        Ok(())
    });
    suite.run("read_only_ids_every_width", || {
        let (vendor, device) = (pdev.vendor_id().as_raw(), pdev.device_id());
        let ids_dword = (u32::from(device) << 16) | u32::from(vendor);
        check_eq!(cfg.read16(0), vendor);
        check_eq!(cfg.read16(2), device);
        check_eq!(cfg.read32(0), ids_dword);
        check_eq!(cfg.read8(1), (vendor >> 8) as u8);
        check_eq!(cfg.try_read16(black_box(2))?, device);
        check_eq!(cfg.try_read32(black_box(0))?, ids_dword);
        check_eq!(cfg.try_read8(black_box(8))?, pdev.revision_id());
        check_eq!(cfg.read::<u16, _>(0usize), vendor);
        let ids = cfg.try_cast::<Ids>()?;
        check_eq!(io_read!(ids, .vendor), vendor);
        check_eq!(io_read!(ids, .device), device);
        check_eq!(io_read!(ids, .revision), pdev.revision_id());
        let class = (u32::from(io_read!(ids, .class[build: 2])) << 16)
            | (u32::from(io_read!(ids, .class[build: 1])) << 8)
            | u32::from(io_read!(ids, .class[build: 0]));
        check_eq!(class, pdev.pci_class().as_raw());
        check_eq!(io_read!(ids, .command), c_config::word(pdev, 4)?);
        check_eq!(io_read!(ids, .status), c_config::word(pdev, 6)?);
        // Writes to read-only registers are dropped by the device.
        cfg.write16(!vendor, 0);
        io_write!(ids, .device, !device);
        check_eq!(c_config::dword(pdev, 0)?, ids_dword);
        Ok(())
    });
    suite.run("interrupt_line_every_width", || {
        restoring_line(pdev, interrupt_line)
    });
    suite.run("errors", || {
        let saved = c_config::dword(pdev, 0x3c)?;
        let size = CFG_SIZE;
        for offset in [size, size + 4, usize::MAX] {
            let offset = black_box(offset);
            check_eq!(cfg.try_read8(offset), Err(ERANGE));
            check_eq!(cfg.try_read16(offset), Err(ERANGE));
            check_eq!(cfg.try_read32(offset), Err(ERANGE));
            check_eq!(cfg.try_write8(0, offset), Err(ERANGE));
        }
        check_eq!(cfg.try_read16(black_box(size - 1)), Err(ERANGE));
        check_eq!(cfg.try_read32(black_box(size - 2)), Err(ERANGE));
        check_eq!(cfg.try_read16(black_box(1)), Err(EINVAL));
        check_eq!(cfg.try_read32(black_box(2)), Err(EINVAL));
        check_eq!(cfg.try_write16(0, black_box(0x3d)), Err(EINVAL));
        check_eq!(cfg.try_write32(0, black_box(0x3e)), Err(EINVAL));
        check_eq!(cfg.try_update(black_box(0x3f), |v: u16| v), Err(EINVAL));
        check_eq!(c_config::dword(pdev, 0x3c)?, saved);
        check_eq!(cfg.try_cast::<[u8; 257]>().err(), Some(ERANGE));
        check_eq!(cfg.try_cast::<[u32; 65]>().err(), Some(ERANGE));
        let ids = cfg.try_cast::<Ids>()?;
        let class = |i: usize| -> Result<u8> { Ok(io_read!(ids, .class[try: i])) };
        check_eq!(class(black_box(3)), Err(ERANGE));
        // A conventional PCI device has no extended configuration space.
        check_eq!(pdev.config_space_extended().err(), Some(EINVAL));
        Ok(())
    });
    suite.run("copy_read_whole_header", || header_copy(pdev));
    suite.run("byte_order_ids", || byte_order_ids(pdev));
    suite.run("try_accessors", || restoring_line(pdev, try_accessors));
    suite.run("fill", || restoring_line(pdev, config_fill));
    suite.run("debug_format", || {
        // Configuration-space views show offsets, which are not kernel addresses.
        debug_is(cfg, fmt!("ConfigSpace {{ offset: 0x0, size: 0x100 }}"))?;
        let hdr = cfg.cast::<Type0Header>();
        debug_is(hdr, fmt!("ConfigSpace {{ offset: 0x0, size: 0x40 }}"))?;
        debug_is(
            io_project!(hdr, .interrupt_line),
            fmt!("ConfigSpace {{ offset: 0x3c, size: 0x1 }}"),
        )?;
        debug_is(
            io_project!(hdr, .bars[build: 2]),
            fmt!("ConfigSpace {{ offset: 0x18, size: 0x4 }}"),
        )
    });
    suite.run("try_copies_against_c", || {
        restoring_writable(pdev, config_try_copies)
    });
    suite.run("copy_from_view_within_config", || {
        restoring_writable(pdev, config_copy_from_view)
    });

    // A failed configuration cycle: the PCI core's own state for a device that is gone.
    let saved = suite.step("save_header", c_config::bytes::<_, 0x40>(pdev))?;
    let gone = suite.step("mark_device_disconnected", Ok(Disconnected::new(pdev)))?;
    suite.step("failed_cycle_in_pci_core", failed_in_pci_core(pdev))?;
    suite.run("failed_cycle_try_accessors_enodev", || {
        failed_try_accessors(pdev)
    });
    suite.run("failed_cycle_plain_reads_all_ones", || {
        failed_plain_reads(pdev)
    });
    suite.run("failed_cycle_try_copies_enodev", || failed_try_copies(pdev));
    let tried = (cfg.try_read32(0), cfg.read32(0));
    let wrote = failed_writes(pdev);
    drop(gone);
    suite.note(fmt!(
        "summary: config space with the device marked disconnected: try_read32(0) -> {}, \
         read32(0) -> {:#x}",
        match tried.0 {
            Err(e) if e == ENODEV => "ENODEV",
            Err(_) => "another error",
            Ok(_) => "a value",
        },
        tried.1
    ));
    suite.run("failed_cycle_writes_never_reached", || {
        wrote?;
        let now = c_config::bytes::<_, 0x40>(pdev)?;
        // Had a write reached the device, the line would not stay changed.
        c_config::write_byte(pdev, LINE, saved[LINE])?;
        check_eq!(now, saved);
        check_eq!(cfg.try_read16(black_box(0))?, pdev.vendor_id().as_raw());
        Ok(())
    });
    suite.note(fmt!(
        "summary: config space: the header copied and compared with the PCI core's reads; \
         vendor {:#06x} read back after reconnecting",
        cfg.read16(0)
    ));
    Ok(())
}

/// Runs the five suites, each stopped (and failed) by a failed step; returns the first error
/// that stopped one.
fn run(pdev: &pci::Device<Core<'_>>) -> Result {
    ktap::document(5);
    let bar = pdev.iomap_region_sized::<MAPPED>(SHM_BAR, c"io_device_test");
    let bar = || bar.as_ref().map_err(|e| *e);

    let mmio = ktap::suite(1, "io_mmio", &MMIO_CASES, |suite| {
        let bar = suite.step("map_bar2", bar())?;
        mmio_suite(suite, pdev, bar)
    });
    let relaxed = ktap::suite(2, "io_relaxed_mmio", &RELAXED_CASES, |suite| {
        let bar = suite.step("map_bar2", bar())?;
        relaxed_suite(suite, bar)
    });
    let iosysmap = ktap::suite(3, "io_iosysmap", &IOSYSMAP_CASES, |suite| {
        let bar = suite.step("map_bar2", bar())?;
        iosysmap_suite(suite, bar)
    });
    let coherent = ktap::suite(4, "io_coherent", &COHERENT_CASES, |suite| {
        coherent_suite(suite, pdev)
    });
    let config = ktap::suite(5, "io_config_space", &CONFIG_SPACE_CASES, |suite| {
        config_space_suite(suite, pdev)
    });
    mmio.and(relaxed).and(iosysmap).and(coherent).and(config)
}

struct DeviceTest;

kernel::pci_device_table!(
    PCI_TABLE,
    <DeviceTest as pci::Driver>::IdInfo,
    [(
        pci::DeviceId::from_id(pci::Vendor::REDHAT_QUMRANET, 0x1110),
        ()
    )]
);

impl pci::Driver for DeviceTest {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pdev.enable_device_mem()?;
        // A failed check fails its case; a failed step fails its suite and the probe.
        run(pdev)?;
        Ok(())
    }
}

kernel::module_pci_driver! {
    type: DeviceTest,
    name: "io_device_test",
    authors: ["The typed I/O project"],
    description: "KTAP test suites for the I/O views that need a device",
    license: "GPL v2",
    params: {
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
    },
}
