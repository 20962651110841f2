// SPDX-License-Identifier: GPL-2.0

//! A driver that reads the PCI configuration header of every device it is offered through a
//! typed view.
//!
//! The header is described by [`Type0Header`], and the rest of the 256 bytes by an array of
//! capability headers, one per dword; the typed view of all 256 bytes is a cast checked at build
//! time. The driver binds to every PCI device without a driver, checks what the typed view reads
//! against what the PCI core recorded (IDs, class, BARs), copies the whole header at once and
//! checks the copy against the registers as the PCI core's own C accessors read them, walks the
//! capability list with runtime-checked projections, checking each capability's header the same
//! way, and reports one KTAP suite per device, named after its vendor and device IDs.
//!
//! On a PCI Express machine (QEMU's `q35`), a PCI Express device has 4096 bytes of extended
//! configuration space: the driver then takes its `ConfigSpace<Extended>` view, checks its size
//! and its end, and walks the extended capability list, each header against the PCI core's C
//! read and each capability's offset against the core's own walker. A conventional device, or
//! any device on a conventional machine, must refuse the extended view.
//!
//! Last, a work item on each CPU reads the header through the same view at once, each read the
//! same as the probe's own copy (`samples/common/smp.rs`): configuration reads from several CPUs
//! go through the PCI core's lock one at a time, whole.

use kernel::{
    device::Core,
    io::{
        io_project,
        io_read,
        Io, //
    },
    pci,
    pci::ConfigSpace,
    prelude::*,
    str::CString, //
};

#[path = "common/c_config.rs"]
mod c_config;
#[path = "common/check.rs"]
mod checks;
#[path = "common/ktap.rs"]
mod ktap;
#[path = "common/smp.rs"]
mod smp;

use checks::{
    check,
    check_eq, //
};
use ktap::Suite;

/// The type 0 (endpoint) configuration header.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Type0Header {
    vendor_id: u16,
    device_id: u16,
    command: u16,
    status: u16,
    revision_id: u8,
    /// Programming interface, sub-class, base class.
    class_code: [u8; 3],
    cache_line_size: u8,
    latency_timer: u8,
    /// Bits 6:0 are the layout of the header, bit 7 marks a multi-function device.
    header_type: u8,
    bist: u8,
    bars: [u32; 6],
    cardbus_cis: u32,
    subsystem_vendor_id: u16,
    subsystem_id: u16,
    rom_address: u32,
    /// Offset of the first capability; the low two bits are reserved.
    capabilities: u8,
    _reserved: [u8; 7],
    interrupt_line: u8,
    interrupt_pin: u8,
    min_grant: u8,
    max_latency: u8,
}

/// The first dword of a capability: what every capability starts with.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct CapHeader {
    id: u8,
    /// Offset of the next capability, 0 at the end of the list.
    next: u8,
    /// Specific to the capability (often its control register).
    control: u16,
}

/// The conventional 256-byte configuration space, as the header and the dwords after it, any of
/// which a capability may start at.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Config {
    header: Type0Header,
    dwords: [CapHeader; 48],
}

const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(offset_of!(Type0Header, revision_id) == 0x08);
    assert!(offset_of!(Type0Header, header_type) == 0x0e);
    assert!(offset_of!(Type0Header, bars) == 0x10);
    assert!(offset_of!(Type0Header, subsystem_vendor_id) == 0x2c);
    assert!(offset_of!(Type0Header, capabilities) == 0x34);
    assert!(offset_of!(Type0Header, interrupt_line) == 0x3c);
    assert!(size_of::<Type0Header>() == 0x40);
    assert!(size_of::<Config>() == 256);
};

/// `status`: the device has a capability list.
const STATUS_CAP_LIST: u16 = 1 << 4;
/// Where the capabilities may start.
const FIRST_CAP: usize = size_of::<Type0Header>();
/// A list longer than the number of dwords that can hold a capability loops.
const MAX_CAPS: usize = 48;

/// Where the extended capabilities start, in extended configuration space.
const FIRST_EXT_CAP: usize = 0x100;
/// The size of extended configuration space.
const EXTENDED_SIZE: usize = 4096;

/// BAR flag bits.
const BAR_IO: u32 = 1 << 0;
const BAR_MEM_TYPE_MASK: u32 = 3 << 1;
const BAR_MEM_TYPE_64: u32 = 2 << 1;

type ConfigView<'a> = ConfigSpace<'a, Config>;

/// Checks the identification registers, through the typed view and through plain offsets,
/// against the values the PCI core read when it enumerated the device.
fn check_ids(pdev: &pci::Device<Core<'_>>, cfg: ConfigView<'_>) -> Result {
    let (vendor, device) = (pdev.vendor_id().as_raw(), pdev.device_id());
    check_eq!(io_read!(cfg, .header.vendor_id), vendor);
    check_eq!(io_read!(cfg, .header.device_id), device);
    check_eq!(io_read!(cfg, .header.revision_id), pdev.revision_id());
    check_eq!(
        io_read!(cfg, .header.subsystem_vendor_id),
        pdev.subsystem_vendor_id()
    );
    check_eq!(
        io_read!(cfg, .header.subsystem_id),
        pdev.subsystem_device_id()
    );

    // The same bytes, read as one dword and as single bytes of the untyped region.
    let region = pdev.config_space();
    check_eq!(
        region.read32(0),
        u32::from(vendor) | (u32::from(device) << 16)
    );
    check_eq!(region.read8(3), (device >> 8) as u8);
    check_eq!(region.read16(2), device);
    Ok(())
}

/// Copies the whole header with one `copy_read()` (configuration cycles of the widest aligned
/// width) and checks that the copy holds what the PCI core recorded and what its own accessors
/// read in the registers, one at a time. The status register is left out: its event bits may
/// change between two reads.
fn check_header_copy(pdev: &pci::Device<Core<'_>>, cfg: ConfigView<'_>) -> Result {
    let header = io_project!(cfg, .header).copy_read();
    check_eq!(header.vendor_id, pdev.vendor_id().as_raw());
    check_eq!(header.device_id, pdev.device_id());
    check_eq!(header.revision_id, pdev.revision_id());
    check_eq!(header.subsystem_vendor_id, pdev.subsystem_vendor_id());
    check_eq!(header.subsystem_id, pdev.subsystem_device_id());
    check_eq!(header.command, c_config::word(pdev, 0x04)?);
    check_eq!(header.class_code[2], c_config::byte(pdev, 0x0b)?);
    check_eq!(header.header_type, c_config::byte(pdev, 0x0e)?);
    check_eq!(header.capabilities, c_config::byte(pdev, 0x34)?);
    check_eq!(header.interrupt_pin, c_config::byte(pdev, 0x3d)?);
    if header.header_type & 0x7f == 0 {
        for (i, bar) in header.bars.iter().enumerate() {
            check_eq!(*bar, c_config::dword(pdev, 0x10 + 4 * i)?);
        }
        check_eq!(header.rom_address, c_config::dword(pdev, 0x30)?);
    }
    Ok(())
}

fn check_class(suite: &Suite<'_>, pdev: &pci::Device<Core<'_>>, cfg: ConfigView<'_>) -> Result {
    let class = io_project!(cfg, .header.class_code);
    let code = (u32::from(io_read!(class, [build: 2])) << 16)
        | (u32::from(io_read!(class, [build: 1])) << 8)
        | u32::from(io_read!(class, [build: 0]));
    suite.note(fmt!(
        "class {:#08x}, revision {:#04x}, header type {:#04x}",
        code,
        io_read!(cfg, .header.revision_id),
        io_read!(cfg, .header.header_type)
    ));
    check_eq!(code, pdev.pci_class().as_raw());
    Ok(())
}

/// Decodes the BARs and checks each address the device holds against the resource the PCI core
/// assigned. A BAR that reads as zero is not compared: it is either unimplemented or, for a
/// legacy IDE controller, stands for a fixed resource the core fills in itself.
fn check_bars(suite: &Suite<'_>, pdev: &pci::Device<Core<'_>>, cfg: ConfigView<'_>) -> Result {
    let bars = io_project!(cfg, .header.bars);
    let mut i = 0;
    while i < 6 {
        let raw = io_read!(bars, [try: i]);
        // A BAR that a view misread as zero would not be compared below.
        check_eq!(raw, c_config::dword(pdev, 0x10 + 4 * i)?);
        let (address, width) = if raw & BAR_IO != 0 {
            (u64::from(raw & !3), 1)
        } else if raw & BAR_MEM_TYPE_MASK == BAR_MEM_TYPE_64 {
            let high = io_read!(bars, [try: i + 1]);
            (u64::from(raw & !0xf) | (u64::from(high) << 32), 2)
        } else {
            (u64::from(raw & !0xf), 1)
        };
        if address != 0 {
            let index = i as u32;
            let start = pdev.resource_start(index)?;
            let space = if raw & BAR_IO != 0 {
                "I/O ports"
            } else {
                "memory"
            };
            suite.note(fmt!(
                "BAR{}: {} at {:#x}, {:#x} bytes",
                i,
                space,
                address,
                pdev.resource_len(index)?
            ));
            check_eq!(address, start);
        }
        i += width;
    }
    Ok(())
}

/// Walks the capability list, reading each header through a projection whose index is checked
/// at runtime, and the same dword once more through a plain runtime offset.
fn walk_capabilities(
    suite: &Suite<'_>,
    pdev: &pci::Device<Core<'_>>,
    cfg: ConfigView<'_>,
) -> Result {
    // Whether there is a list is the PCI core's to say: a view that misread the bit would skip
    // the walk otherwise.
    let has_list = c_config::word(pdev, 0x06)? & STATUS_CAP_LIST;
    check_eq!(io_read!(cfg, .header.status) & STATUS_CAP_LIST, has_list);
    if has_list == 0 {
        suite.note(fmt!("no capability list"));
        return Ok(());
    }
    let region = pdev.config_space();
    let ids = (pdev.vendor_id().as_raw(), pdev.device_id());
    let first = io_read!(cfg, .header.capabilities);
    check_eq!(first, c_config::byte(pdev, 0x34)?);
    let mut offset = usize::from(first & !3);
    let mut found = 0;
    while offset != 0 {
        check!(found < MAX_CAPS);
        check!(offset >= FIRST_CAP);
        let cap = io_project!(cfg, .dwords[try: (offset - FIRST_CAP) / 4]);
        let id = io_read!(cap, .id);
        let next = io_read!(cap, .next);
        suite.note(fmt!(
            "{:04x}:{:04x}: capability {:#04x} at {:#04x}",
            ids.0,
            ids.1,
            id,
            offset
        ));
        let want = c_config::dword(pdev, offset)?;
        check_eq!(u32::from(id) | (u32::from(next) << 8), want & 0xffff);
        check_eq!(region.try_read32(offset)?, want);
        found += 1;
        offset = usize::from(next & !3);
    }
    check!(found > 0);
    Ok(())
}

/// Checks the extended view of a device with extended configuration space (as the PCI core
/// recorded it): its size and its end, and the extended capability list, every header against
/// the C read and every capability's offset against `pci_find_ext_capability()`.
fn walk_extended(suite: &Suite<'_>, pdev: &pci::Device<Core<'_>>) -> Result {
    let ext = pdev.config_space_extended()?;
    check_eq!(ext.size(), EXTENDED_SIZE);
    check_eq!(ext.try_read32(EXTENDED_SIZE), Err(ERANGE));
    check_eq!(
        ext.try_read8(EXTENDED_SIZE - 1)?,
        c_config::byte(pdev, EXTENDED_SIZE - 1)?
    );
    check_eq!(
        ext.read32(EXTENDED_SIZE - 4),
        c_config::dword(pdev, EXTENDED_SIZE - 4)?
    );
    let ids = (pdev.vendor_id().as_raw(), pdev.device_id());
    let mut offset = FIRST_EXT_CAP;
    let mut found = 0;
    // An extended capability header: ID in bits 15:0, version in 19:16, next offset in 31:20.
    loop {
        check!(found < (EXTENDED_SIZE - FIRST_EXT_CAP) / 4);
        let header = ext.try_read32(offset)?;
        check_eq!(header, c_config::dword(pdev, offset)?);
        // CAST: The mask keeps the 16-bit ID.
        let id = (header & 0xffff) as u16;
        // CAST: The shift leaves the 12-bit offset.
        let next = (header >> 20) as usize & !3;
        if header == 0 {
            // A device without extended capabilities has an all-zero header here.
            break;
        }
        suite.note(fmt!(
            "{:04x}:{:04x}: extended capability {:#06x} at {:#05x}",
            ids.0,
            ids.1,
            id,
            offset
        ));
        // The PCI core finds the first capability of each ID; a later one of an ID it found
        // earlier is past that one.
        let first = c_config::ext_capability(pdev, id);
        check!(first == offset || (first >= FIRST_EXT_CAP && first < offset));
        found += 1;
        if next == 0 {
            break;
        }
        check!(next > offset);
        offset = next;
    }
    suite.note(fmt!(
        "summary: {:04x}:{:04x}: {} bytes of configuration space, {} extended capabilities",
        ids.0,
        ids.1,
        ext.size(),
        found
    ));
    Ok(())
}

/// A device with extended configuration space gets the extended view ([`walk_extended`]); any
/// other refuses it, and its view is the conventional 256 bytes.
fn check_extended(suite: &Suite<'_>, pdev: &pci::Device<Core<'_>>) -> Result {
    match c_config::space_size(pdev) {
        EXTENDED_SIZE => walk_extended(suite, pdev),
        256 => {
            check_eq!(pdev.config_space_extended().err(), Some(EINVAL));
            check_eq!(pdev.config_space().size(), 256);
            check_eq!(pdev.config_space().try_read32(256), Err(ERANGE));
            suite.note(fmt!(
                "summary: {:04x}:{:04x}: 256 bytes of configuration space, no extended view",
                pdev.vendor_id().as_raw(),
                pdev.device_id()
            ));
            Ok(())
        }
        other => {
            suite.note(fmt!("unexpected configuration space size {}", other));
            Err(EINVAL)
        }
    }
}

/// How many times each context of [`reads_from_every_cpu`] reads the header.
const SMP_READS: usize = 10;

/// Every context reads the first 64 bytes of the header through the one shared view, dword by
/// dword, and the identification registers through the typed view, [`SMP_READS`] times at once:
/// each read is what the probe read before (the status register aside, whose event bits may
/// change).
fn reads_from_every_cpu(suite: &Suite<'_>, cfg: ConfigView<'_>) -> Result {
    let region = cfg.as_bytes();
    let mut before = [0u32; 16];
    for (i, dword) in before.iter_mut().enumerate() {
        *dword = region.try_read32(4 * i)?;
    }
    let scope = smp::scope(&|_ctx| {
        for _ in 0..SMP_READS {
            for (i, &want) in before.iter().enumerate() {
                // The command and status registers share dword 1: only the command is compared.
                let mask = if i == 1 { 0xffff } else { u32::MAX };
                check_eq!(region.try_read32(4 * i)? & mask, want & mask);
            }
            check_eq!(io_read!(cfg, .header.vendor_id), before[0] as u16);
            check_eq!(io_read!(cfg, .header.device_id), (before[0] >> 16) as u16);
        }
        Ok(())
    })?;
    suite.note(fmt!(
        "{} contexts on CPUs {:?} read the header {} times each",
        smp::CONTEXTS,
        scope.ran_on,
        SMP_READS
    ));
    scope.result()?;
    check!(scope.spread());
    Ok(())
}

/// The cases before and after `bars`, which only a device with a type 0 header has.
const BEFORE_BARS: [&str; 3] = ["ids", "whole_header_copy", "class"];
const AFTER_BARS: [&str; 3] = ["capabilities", "extended_space", "reads_from_every_cpu"];

/// The cases of a device with a type 0 header, in the order [`exercise`] reports them.
const CASES: [&str; 7] = ktap::join(&[&BEFORE_BARS, &["bars"], &AFTER_BARS]);
/// The cases of a device with a header of another layout, which has no type 0 BARs.
const CASES_WITHOUT_BARS: [&str; 6] = ktap::join(&[&BEFORE_BARS, &AFTER_BARS]);

/// Checks the device, whose header layout (bits 6:0 of the header type register) the PCI core
/// read as `layout`.
fn exercise(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>, layout: Result<u8>) -> Result {
    // Conventional configuration space is at least 256 bytes, which is what `Config` covers: the
    // cast is checked when the driver is built.
    let cfg = pdev.config_space().cast::<Config>();
    suite.run("ids", || check_ids(pdev, cfg));
    suite.run("whole_header_copy", || check_header_copy(pdev, cfg));
    let result = check_class(suite, pdev, cfg);
    suite.case("class", result);
    let layout = layout?;
    if layout == 0 {
        let result = check_bars(suite, pdev, cfg);
        suite.case("bars", result);
    } else {
        suite.note(fmt!("header layout {} has no type 0 BARs", layout));
    }
    let result = walk_capabilities(suite, pdev, cfg);
    suite.case("capabilities", result);
    let result = check_extended(suite, pdev);
    suite.case("extended_space", result);
    let result = reads_from_every_cpu(suite, cfg);
    suite.case("reads_from_every_cpu", result);
    Ok(())
}

struct ConfigDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <ConfigDriver as pci::Driver>::IdInfo,
    // A class mask of zero matches every class: the driver takes every device left unbound.
    [(pci::DeviceId::from_class(0, 0), ())]
);

impl pci::Driver for ConfigDriver {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let name = CString::try_from_fmt(fmt!(
            "io_pci_config_{:04x}_{:04x}",
            pdev.vendor_id().as_raw(),
            pdev.device_id()
        ))?;
        let name = name.to_str().map_err(|_| EINVAL)?;
        // Which BARs there are is the PCI core's to say, as for the capability list, and the
        // cases of the suite follow. A layout that cannot be read stops the suite where it is
        // needed, with `bars` planned.
        let layout = c_config::byte(pdev, 0x0e).map(|header_type| header_type & 0x7f);
        let cases: &[&str] = match layout {
            Ok(0) | Err(_) => &CASES,
            Ok(_) => &CASES_WITHOUT_BARS,
        };

        ktap::probe_suite(name, pdev.as_ref(), cases, |suite| {
            exercise(pdev, suite, layout)
        })
    }
}

kernel::module_pci_driver! {
    type: ConfigDriver,
    name: "io_pci_config",
    authors: ["The typed I/O project"],
    description: "Typed I/O sample: PCI configuration headers and capability lists",
    license: "GPL v2",
    params: {
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
    },
}
