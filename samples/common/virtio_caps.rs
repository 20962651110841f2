// SPDX-License-Identifier: GPL-2.0

//! The virtio PCI capabilities (virtio 1.x, section 4.1.4): where a modern virtio device puts its
//! configuration structures.
//!
//! A modern device lists vendor-specific capabilities in its configuration space, each naming a
//! structure (common configuration, notifications, ISR status, device-specific configuration) by
//! a BAR, an offset and a length. Everything in them is the device's word: [`find`] walks the
//! list through any configuration-space handle (a `ConfigSpace` view in a driver, a `SysMem` view
//! of crafted bytes in a test) with bounded, checked steps, and [`Caps::validate`] checks the
//! structures against the BARs the device really has before any of them is mapped. A list that
//! loops or leaves configuration space, a capability too short for its structure, a structure in
//! a BAR that is not a memory BAR, outside its BAR, overlapping another, or too short to hold
//! what the driver will access, is a [`Malformed`] error, never an access.

use kernel::{
    fmt,
    io::{
        io_project,
        Io,
        IoCopyable,
        Le16,
        Le32, //
    },
    prelude::*,
};

/// The capability ID of vendor-specific capabilities, which virtio uses.
pub(crate) const PCI_CAP_ID_VNDR: u8 = 0x09;
/// `cfg_type` of the common configuration structure.
pub(crate) const CAP_COMMON_CFG: u8 = 1;
/// `cfg_type` of the notification structure.
pub(crate) const CAP_NOTIFY_CFG: u8 = 2;
/// `cfg_type` of the ISR status structure.
pub(crate) const CAP_ISR_CFG: u8 = 3;
/// `cfg_type` of the device-specific configuration structure.
pub(crate) const CAP_DEVICE_CFG: u8 = 4;

/// Offset of the status register in the configuration header.
const PCI_STATUS: u8 = 0x06;
/// Status bit: the device has a capability list.
const PCI_STATUS_CAP_LIST: u16 = 0x10;
/// Offset of the pointer to the first capability.
const PCI_CAPABILITY_LIST: u8 = 0x34;
/// Capabilities live after the 64-byte standard header.
const FIRST_CAP_OFFSET: u8 = 0x40;
/// The most capabilities a 256-byte configuration space can hold: a longer walk loops.
const MAX_CAPS: usize = (256 - 0x40) / 4;
/// The BAR numbers of a function: 0 to 5. Other values are reserved, and the specification
/// tells drivers to ignore a capability that has one.
const NUM_BARS: u8 = 6;

// [guide:pci-cap]
/// `struct virtio_pci_cap`: a capability that locates one structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes)]
pub(crate) struct PciCap {
    /// [`PCI_CAP_ID_VNDR`].
    pub(crate) cap_vndr: u8,
    /// The offset of the next capability, or 0.
    pub(crate) cap_next: u8,
    /// The length of this capability, at least its structure's size.
    pub(crate) cap_len: u8,
    /// Which structure it locates: [`CAP_COMMON_CFG`], ...
    pub(crate) cfg_type: u8,
    /// The BAR the structure is in.
    pub(crate) bar: u8,
    /// Distinguishes capabilities of the same type.
    pub(crate) id: u8,
    pub(crate) padding: [u8; 2],
    /// Where the structure starts in the BAR.
    pub(crate) offset: Le32,
    /// The structure's length in bytes.
    pub(crate) length: Le32,
}
// [end guide:pci-cap]

/// `struct virtio_pci_notify_cap`: the notification capability, with its multiplier.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes)]
pub(crate) struct PciNotifyCap {
    pub(crate) cap: PciCap,
    /// A queue's notification address is its `queue_notify_off` times this, from the start of
    /// the structure.
    pub(crate) notify_off_multiplier: Le32,
}

/// Where a structure is: a window of a BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// The BAR's number, 0 to 5.
    pub(crate) bar: u8,
    /// The offset of the structure in the BAR.
    pub(crate) offset: u32,
    /// Its length.
    pub(crate) length: u32,
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BAR{} {:#x}+{:#x}", self.bar, self.offset, self.length)
    }
}

/// The structures a device's capabilities locate: the first capability of each type with a BAR
/// number that is not reserved, as the specification has drivers choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Caps {
    pub(crate) common: Option<Window>,
    /// The notification structure, and its `notify_off_multiplier`.
    pub(crate) notify: Option<(Window, u32)>,
    pub(crate) isr: Option<Window>,
    pub(crate) device: Option<Window>,
}

/// What a device's capabilities said that cannot be right, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// The device has no capability list.
    NoCapabilities,
    /// A capability pointer into the standard header.
    BadPointer {
        /// Where the pointer is.
        at: u8,
        /// Its value.
        to: u8,
    },
    /// The list goes on past the number of capabilities configuration space can hold.
    Loop,
    /// A capability shorter than its structure, or running off the end of configuration space.
    TooShort {
        /// Where the capability is.
        at: u8,
        /// Its `cap_len`.
        len: u8,
    },
    /// A configuration cycle failed, with this error.
    Read {
        /// Where.
        at: u8,
        /// The bus's error.
        err: Error,
    },
    /// A structure the driver needs has no capability (one with a reserved BAR number counts as
    /// none).
    Missing {
        /// Its `cfg_type`.
        cfg_type: u8,
    },
    /// A structure in a BAR that the device does not have, or that is not in memory space.
    NotMemoryBar {
        /// The structure's `cfg_type`.
        cfg_type: u8,
        /// Its BAR.
        bar: u8,
    },
    /// A structure that does not lie within its BAR.
    OutOfBar {
        /// Its `cfg_type`.
        cfg_type: u8,
        /// Where it claims to be.
        window: Window,
        /// The BAR's length.
        bar_len: u64,
    },
    /// A structure shorter than what the driver accesses in it, or misaligned for it.
    BadLength {
        /// Its `cfg_type`.
        cfg_type: u8,
        /// Where it is.
        window: Window,
        /// What the driver needs.
        need: u32,
    },
    /// Two structures that share bytes.
    Overlap {
        /// One `cfg_type`.
        first: u8,
        /// The other.
        second: u8,
    },
    /// A `notify_off_multiplier` that is neither 0 nor an even power of two.
    BadMultiplier {
        /// Its value.
        multiplier: u32,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Malformed::NoCapabilities => write!(f, "no capability list"),
            Malformed::BadPointer { at, to } => {
                write!(f, "capability pointer at {:#x} points to {:#x}", at, to)
            }
            Malformed::Loop => write!(f, "the capability list loops"),
            Malformed::TooShort { at, len } => write!(
                f,
                "capability at {:#x} is {} bytes: too short for its structure",
                at, len
            ),
            Malformed::Read { at, err } => {
                write!(f, "reading the capability at {:#x} failed: {:?}", at, err)
            }
            Malformed::Missing { cfg_type } => {
                write!(f, "no capability for structure type {}", cfg_type)
            }
            Malformed::NotMemoryBar { cfg_type, bar } => write!(
                f,
                "structure type {} is in BAR{}, which is not a memory BAR",
                cfg_type, bar
            ),
            Malformed::OutOfBar {
                cfg_type,
                window,
                bar_len,
            } => write!(
                f,
                "structure type {} at BAR{} {:#x}+{:#x} does not fit in its BAR of {:#x} bytes",
                cfg_type, window.bar, window.offset, window.length, bar_len
            ),
            Malformed::BadLength {
                cfg_type,
                window,
                need,
            } => write!(
                f,
                "structure type {} at BAR{} {:#x}+{:#x} is not {} aligned bytes long",
                cfg_type, window.bar, window.offset, window.length, need
            ),
            Malformed::Overlap { first, second } => {
                write!(f, "structures of types {} and {} overlap", first, second)
            }
            Malformed::BadMultiplier { multiplier } => {
                write!(
                    f,
                    "notify_off_multiplier {:#x} is not 0 or an even power of 2",
                    multiplier
                )
            }
        }
    }
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Error {
        match m {
            Malformed::Read { err, .. } => err,
            Malformed::NoCapabilities | Malformed::Missing { .. } => ENODEV,
            _ => EINVAL,
        }
    }
}

// [guide:read-at]
/// Reads the `U` at byte `at` of configuration space `cfg`, checked and with a failed cycle
/// reported.
fn read_at<'a, H, U>(cfg: H, at: u8) -> core::result::Result<U, Malformed>
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: IoCopyable,
    U: FromBytes + IntoBytes,
{
    let start = usize::from(at);
    (|| -> Result<U> {
        io_project!(cfg.as_bytes(), [try: start..start + size_of::<U>()])
            .try_cast::<U>()?
            .try_copy_read()
    })()
    .map_err(|err| {
        if err == ERANGE || err == EINVAL {
            // `cap_len` said the capability is there; configuration space says otherwise.
            Malformed::TooShort { at, len: 0 }
        } else {
            Malformed::Read { at, err }
        }
    })
}
// [end guide:read-at]

// [guide:find]
/// Walks the capability list of configuration space `cfg` and returns the virtio structures it
/// locates. Every pointer is checked before it is followed, every capability's length before it
/// is read, and the walk is bounded.
pub(crate) fn find<'a, H>(cfg: H) -> core::result::Result<Caps, Malformed>
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: IoCopyable,
{
    let status = read_at::<H, Le16>(cfg, PCI_STATUS)?.get();
    if status & PCI_STATUS_CAP_LIST == 0 {
        return Err(Malformed::NoCapabilities);
    }
    let mut caps = Caps::default();
    let mut from = PCI_CAPABILITY_LIST;
    let mut at = read_at::<H, u8>(cfg, from)?;
    for _ in 0..=MAX_CAPS {
        // The low two bits of a pointer are reserved.
        at &= !3;
        if at == 0 {
            return Ok(caps);
        }
        if at < FIRST_CAP_OFFSET {
            return Err(Malformed::BadPointer { at: from, to: at });
        }
        let (id, next) = read_at::<H, [u8; 2]>(cfg, at).map(|b| (b[0], b[1]))?;
        if id == PCI_CAP_ID_VNDR {
            take(cfg, at, &mut caps)?;
        }
        from = at + 1;
        at = next;
    }
    Err(Malformed::Loop)
}
// [end guide:find]

/// Reads the vendor-specific capability at `at` into `caps`, if it locates a structure the
/// driver uses and is the first of its type with a valid BAR number.
fn take<'a, H>(cfg: H, at: u8, caps: &mut Caps) -> core::result::Result<(), Malformed>
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: IoCopyable,
{
    let cap_len = read_at::<H, [u8; 4]>(cfg, at)?[2];
    let need = |size: usize| -> core::result::Result<(), Malformed> {
        if usize::from(cap_len) < size || usize::from(at) + usize::from(cap_len) > 256 {
            Err(Malformed::TooShort { at, len: cap_len })
        } else {
            Ok(())
        }
    };
    need(size_of::<PciCap>())?;
    let cap = read_at::<H, PciCap>(cfg, at)?;
    let window = Window {
        bar: cap.bar,
        offset: cap.offset.get(),
        length: cap.length.get(),
    };
    if cap.bar >= NUM_BARS {
        // Reserved: ignored, as the specification says.
        return Ok(());
    }
    match cap.cfg_type {
        CAP_COMMON_CFG if caps.common.is_none() => caps.common = Some(window),
        CAP_ISR_CFG if caps.isr.is_none() => caps.isr = Some(window),
        CAP_DEVICE_CFG if caps.device.is_none() => caps.device = Some(window),
        CAP_NOTIFY_CFG if caps.notify.is_none() => {
            need(size_of::<PciNotifyCap>())?;
            let notify = read_at::<H, PciNotifyCap>(cfg, at)?;
            caps.notify = Some((window, notify.notify_off_multiplier.get()));
        }
        _ => {}
    }
    Ok(())
}

/// A BAR of the device as the PCI core set it up: its length (0 if not implemented) and whether
/// it is in memory space.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BarInfo {
    /// Its length in bytes.
    pub(crate) len: u64,
    /// It is a memory BAR.
    pub(crate) memory: bool,
}

/// The structures to map: each checked against its BAR, aligned and long enough for what the
/// driver accesses in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) common: Window,
    pub(crate) notify: Window,
    /// The notification structure's `notify_off_multiplier`.
    pub(crate) notify_multiplier: u32,
    pub(crate) isr: Window,
    /// The device-specific structure, if the device has one.
    pub(crate) device: Option<Window>,
}

impl Layout {
    /// The windows of the layout with their `cfg_type`s.
    fn windows(&self) -> impl Iterator<Item = (u8, Window)> + '_ {
        [
            Some((CAP_COMMON_CFG, self.common)),
            Some((CAP_NOTIFY_CFG, self.notify)),
            Some((CAP_ISR_CFG, self.isr)),
            self.device.map(|w| (CAP_DEVICE_CFG, w)),
        ]
        .into_iter()
        .flatten()
    }

    /// The BARs the structures are in, each once.
    pub(crate) fn bars(&self) -> impl Iterator<Item = u8> + '_ {
        let all = [
            Some(self.common.bar),
            Some(self.notify.bar),
            Some(self.isr.bar),
            self.device.map(|w| w.bar),
        ];
        (0..NUM_BARS).filter(move |bar| all.contains(&Some(*bar)))
    }
}

impl Caps {
    /// Checks the structures against the device's `bars` and returns the layout to map.
    ///
    /// `common_len` is the size of the common configuration structure the driver accesses,
    /// `device_len` that of the device-specific structure (0 if the driver needs none; a device
    /// that has one anyway gets it checked too). Each structure must be in a memory BAR, lie
    /// within it (computed without overflow), be aligned to 4 bytes and hold what the driver
    /// accesses in it, and no two may overlap. The notification structure must hold at least one
    /// notification address; each queue's is checked when the queue is set up.
    pub(crate) fn validate(
        &self,
        bars: &[BarInfo; 6],
        common_len: u32,
        device_len: u32,
    ) -> core::result::Result<Layout, Malformed> {
        let common = self.common.ok_or(Malformed::Missing {
            cfg_type: CAP_COMMON_CFG,
        })?;
        let (notify, multiplier) = self.notify.ok_or(Malformed::Missing {
            cfg_type: CAP_NOTIFY_CFG,
        })?;
        let isr = self.isr.ok_or(Malformed::Missing {
            cfg_type: CAP_ISR_CFG,
        })?;
        if device_len > 0 && self.device.is_none() {
            return Err(Malformed::Missing {
                cfg_type: CAP_DEVICE_CFG,
            });
        }
        if multiplier != 0 && (multiplier % 2 != 0 || !multiplier.is_power_of_two()) {
            return Err(Malformed::BadMultiplier { multiplier });
        }
        let layout = Layout {
            common,
            notify,
            notify_multiplier: multiplier,
            isr,
            device: self.device,
        };
        // [guide:validate-windows]
        for (cfg_type, window) in layout.windows() {
            let (need, align) = match cfg_type {
                CAP_COMMON_CFG => (common_len, 4),
                CAP_NOTIFY_CFG => (2, 2),
                CAP_ISR_CFG => (1, 1),
                _ => (device_len, 4),
            };
            let bar = bars[usize::from(window.bar)];
            if !bar.memory || bar.len == 0 {
                return Err(Malformed::NotMemoryBar {
                    cfg_type,
                    bar: window.bar,
                });
            }
            let end = u64::from(window.offset) + u64::from(window.length);
            if end > bar.len {
                return Err(Malformed::OutOfBar {
                    cfg_type,
                    window,
                    bar_len: bar.len,
                });
            }
            if window.length < need || window.offset % align != 0 {
                return Err(Malformed::BadLength {
                    cfg_type,
                    window,
                    need,
                });
            }
        }
        // [end guide:validate-windows]
        for (i, (first, a)) in layout.windows().enumerate() {
            for (second, b) in layout.windows().skip(i + 1) {
                let (a_end, b_end) = (
                    u64::from(a.offset) + u64::from(a.length),
                    u64::from(b.offset) + u64::from(b.length),
                );
                if a.bar == b.bar && u64::from(a.offset) < b_end && u64::from(b.offset) < a_end {
                    return Err(Malformed::Overlap { first, second });
                }
            }
        }
        Ok(layout)
    }
}
