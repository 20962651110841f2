// SPDX-License-Identifier: GPL-2.0

//! The virtio PCI modern transport (virtio 1.x, section 4.1), on typed views of the device's
//! BARs.
//!
//! The capabilities in configuration space locate four structures in the BARs
//! (`virtio_caps.rs`); once they are validated, each BAR that holds one is mapped once, and each
//! structure becomes a typed view: a window of its BAR at the offset and length the capability
//! gave, checked at runtime and cast to its `#[repr(C)]` layout. From then on every register is
//! a field, reached with `io_read!`/`io_write!`, and every access is within the structure the
//! device declared. [`Transport`] does the rest of the protocol: reset (bounded), the status
//! handshake, feature negotiation (`VIRTIO_F_VERSION_1` required), queue setup, MSI-X vector
//! assignment and notifications.
//!
//! Nothing here is specific to a device type: the drivers (`io_virtio_rng.rs`,
//! `io_virtio_blk.rs`) bring their features and queues.

use kernel::{
    bindings,
    device::Bound,
    dma::{
        Coherent,
        DmaAddress, //
    },
    io::{
        io_project,
        io_read,
        io_write,
        Io,
        Le16,
        Le32,
        Mmio, //
    },
    pci,
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};

use crate::{
    virtio_caps::{
        self,
        BarInfo,
        Layout,
        Malformed,
        Window, //
    },
    virtqueue::{
        QueueSize,
        Ring,
        Size, //
    },
};

/// Device status: the guest found the device.
pub(crate) const STATUS_ACKNOWLEDGE: u8 = 1;
/// Device status: the guest has a driver for it.
pub(crate) const STATUS_DRIVER: u8 = 2;
/// Device status: the driver is set up and ready.
pub(crate) const STATUS_DRIVER_OK: u8 = 4;
/// Device status: feature negotiation is complete.
pub(crate) const STATUS_FEATURES_OK: u8 = 8;
/// Device status: the device needs a reset.
pub(crate) const STATUS_NEEDS_RESET: u8 = 0x40;
/// Device status: the driver gave up on the device.
pub(crate) const STATUS_FAILED: u8 = 0x80;

/// Feature: indirect descriptors.
pub(crate) const F_INDIRECT_DESC: u64 = 1 << 28;
/// Feature: `used_event` and `avail_event` suppress interrupts and notifications.
pub(crate) const F_EVENT_IDX: u64 = 1 << 29;
/// Feature: the device follows virtio 1.x (required here: there is no legacy interface).
pub(crate) const F_VERSION_1: u64 = 1 << 32;
/// Feature: the device accesses memory through the platform's DMA translation (an IOMMU), so
/// it must be given DMA addresses.
pub(crate) const F_ACCESS_PLATFORM: u64 = 1 << 33;
/// Feature: the device needs the platform's ordering for its memory accesses.
pub(crate) const F_ORDER_PLATFORM: u64 = 1 << 36;

/// The vector number that means "no MSI-X vector".
pub(crate) const NO_VECTOR: u16 = 0xffff;

/// A 64-bit register of the common configuration, accessed as two 32-bit halves, the low one
/// first: the specification allows it, and it keeps the structure 4-byte aligned and the
/// accesses 32-bit on every architecture.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes)]
pub(crate) struct Split64 {
    pub(crate) lo: Le32,
    pub(crate) hi: Le32,
}

// [guide:common-cfg]
/// `struct virtio_pci_common_cfg` of virtio 1.0: the registers of the whole device, then those of
/// the queue that `queue_select` selects.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
pub(crate) struct CommonCfg {
    /// Selects which 32 bits of the device's features `device_feature` shows.
    pub(crate) device_feature_select: Le32,
    /// The selected 32 bits of the device's features (read-only).
    pub(crate) device_feature: Le32,
    /// Selects which 32 bits of the driver's features `driver_feature` takes.
    pub(crate) driver_feature_select: Le32,
    /// The selected 32 bits of the features the driver accepts.
    pub(crate) driver_feature: Le32,
    /// The MSI-X vector for configuration changes.
    pub(crate) config_msix_vector: Le16,
    /// How many queues the device has (read-only).
    pub(crate) num_queues: Le16,
    /// The device status; writing 0 resets the device.
    pub(crate) device_status: u8,
    /// Changes whenever the device-specific configuration changes (read-only).
    pub(crate) config_generation: u8,
    /// Selects the queue the registers below show.
    pub(crate) queue_select: Le16,
    /// The queue's size: the device's maximum, until the driver writes a smaller power of 2.
    pub(crate) queue_size: Le16,
    /// The MSI-X vector of the queue's interrupts.
    pub(crate) queue_msix_vector: Le16,
    /// 1 once the driver enabled the queue.
    pub(crate) queue_enable: Le16,
    /// The queue's notification offset, in units of `notify_off_multiplier` (read-only).
    pub(crate) queue_notify_off: Le16,
    /// The address of the descriptor table.
    pub(crate) queue_desc: Split64,
    /// The address of the driver area.
    pub(crate) queue_driver: Split64,
    /// The address of the device area.
    pub(crate) queue_device: Split64,
}
// [end guide:common-cfg]

const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(CommonCfg, config_msix_vector) == 0x10);
    assert!(offset_of!(CommonCfg, device_status) == 0x14);
    assert!(offset_of!(CommonCfg, queue_select) == 0x16);
    assert!(offset_of!(CommonCfg, queue_notify_off) == 0x1e);
    assert!(offset_of!(CommonCfg, queue_desc) == 0x20);
    assert!(offset_of!(CommonCfg, queue_device) == 0x30);
    assert!(size_of::<CommonCfg>() == 0x38);
};

/// How long a reset may take: the device must read status 0 within this many polls, 1 ms apart.
const RESET_POLLS: u32 = 1000;

/// The raw `struct pci_dev` of a device.
fn raw_pci_dev(pdev: &pci::Device<Bound>) -> *mut bindings::pci_dev {
    // CAST: `pci::Device` is a transparent wrapper of `struct pci_dev`.
    core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut()
}

/// The device's six BARs as the PCI core set them up.
pub(crate) fn bar_infos(pdev: &pci::Device<Bound>) -> [BarInfo; 6] {
    let mut bars = [BarInfo::default(); 6];
    for (i, info) in (0u32..).zip(bars.iter_mut()) {
        let len = pdev.resource_len(i).unwrap_or(0);
        // SAFETY: `raw_pci_dev()` is the valid `struct pci_dev` of a bound device, and `i` is a
        // BAR number below `PCI_NUM_RESOURCES`; the resource table is only read.
        let flags = unsafe { (*raw_pci_dev(pdev)).resource[i as usize].flags };
        // `resource_size_t` is 32 bits wide on some 32-bit configurations.
        #[allow(clippy::useless_conversion)]
        let len = u64::from(len);
        *info = BarInfo {
            len,
            // CAST: Resource flags are single bits of the `unsigned long` flags.
            memory: flags & bindings::IORESOURCE_MEM as kernel::ffi::c_ulong != 0,
        };
    }
    bars
}

/// Checks that the device may be given DMA addresses, as this transport's users always give it:
/// either it translates them through the platform (`VIRTIO_F_ACCESS_PLATFORM`), or no IOMMU
/// stands between it and memory, so that they are the physical addresses such a device takes.
/// A device that bypasses an IOMMU the kernel uses for it is refused with `ENODEV`.
pub(crate) fn check_dma(pdev: &pci::Device<Bound>, features: u64) -> Result {
    if features & F_ACCESS_PLATFORM != 0 {
        return Ok(());
    }
    #[cfg(CONFIG_IOMMU_API)]
    {
        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let dev = core::ptr::from_ref(pdev.as_ref()).cast::<bindings::device>();
        // SAFETY: `dev` is the bound device's `struct device`; its IOMMU group is only read.
        if !unsafe { (*dev).iommu_group }.is_null() {
            pr_err!("the device bypasses its IOMMU (no VIRTIO_F_ACCESS_PLATFORM): not supported\n");
            return Err(ENODEV);
        }
    }
    Ok(())
}

/// Finds and validates the device's structures; see `virtio_caps.rs`.
pub(crate) fn find_layout(
    pdev: &pci::Device<Bound>,
    device_len: u32,
) -> core::result::Result<Layout, Malformed> {
    let caps = virtio_caps::find(pdev.config_space())?;
    // CAST: The structure is 56 bytes.
    caps.validate(&bar_infos(pdev), size_of::<CommonCfg>() as u32, device_len)
}

/// The BARs that hold the device's structures, requested and mapped.
pub(crate) struct Bars<'b> {
    /// Each mapped BAR with its number.
    mapped: KVec<(u8, pci::Bar<'b>)>,
}

impl<'b> Bars<'b> {
    /// Requests and maps every BAR that `layout` uses.
    pub(crate) fn map(
        pdev: &'b pci::Device<Bound>,
        layout: &Layout,
        name: &'static CStr,
    ) -> Result<Self> {
        let mut mapped = KVec::new();
        for bar in layout.bars() {
            mapped.push((bar, pdev.iomap_region(u32::from(bar), name)?), GFP_KERNEL)?;
        }
        Ok(Bars { mapped })
    }

    // [guide:window]
    /// The bytes of `window`, as a view of its BAR: checked against the BAR's real size.
    fn window<'a>(&'a self, window: Window) -> Result<Mmio<'a, [u8]>> {
        let (_, bar) = self
            .mapped
            .iter()
            .find(|(n, _)| *n == window.bar)
            .ok_or(ENODEV)?;
        let start = usize::try_from(window.offset)?;
        let end = start
            .checked_add(usize::try_from(window.length)?)
            .ok_or(ERANGE)?;
        Ok(io_project!(bar.as_bytes(), [try: start..end]))
    }
    // [end guide:window]
}

/// The device's structures as typed views, and what the driver and the device agreed on.
#[derive(Clone, Copy)]
pub(crate) struct Transport<'b> {
    /// The common configuration.
    common: Mmio<'b, CommonCfg>,
    /// The notification structure.
    notify: Mmio<'b, [u8]>,
    /// Its `notify_off_multiplier`.
    notify_multiplier: u32,
    /// The ISR status byte: reading it returns and clears the interrupt causes (INTx).
    isr: Mmio<'b, u8>,
    /// The device-specific configuration, if there is one.
    device: Option<Mmio<'b, [u8]>>,
}

// [guide:notifier]
/// A queue's notification register: writing the queue's index there tells the device the queue
/// has new buffers.
#[derive(Clone, Copy)]
pub(crate) struct Notifier<'b> {
    register: Mmio<'b, Le16>,
    index: u16,
}

impl Notifier<'_> {
    /// Notifies the device.
    #[inline]
    pub(crate) fn notify(self) {
        self.register.write_val(Le16::new(self.index));
    }
}
// [end guide:notifier]

impl<'b> Transport<'b> {
    // [guide:transport-new]
    /// Makes the typed views of `layout`'s structures in `bars`.
    ///
    /// `layout` was validated against the BARs, so each window lies within its BAR; the views
    /// check it again, with the layer's own runtime checks, and the casts check alignment and
    /// size.
    pub(crate) fn new(bars: &'b Bars<'b>, layout: &Layout) -> Result<Self> {
        let common = bars.window(layout.common)?.try_cast::<CommonCfg>()?;
        let notify = bars.window(layout.notify)?;
        let isr = bars.window(layout.isr)?.try_cast::<u8>()?;
        let device = layout.device.map(|w| bars.window(w)).transpose()?;
        Ok(Transport {
            common,
            notify,
            notify_multiplier: layout.notify_multiplier,
            isr,
            device,
        })
    }
    // [end guide:transport-new]

    /// The device status.
    pub(crate) fn status(&self) -> u8 {
        io_read!(self.common, .device_status)
    }

    /// Sets status bits, keeping those already set.
    pub(crate) fn add_status(&self, bits: u8) {
        io_write!(self.common, .device_status, self.status() | bits);
    }

    // [guide:reset]
    /// Resets the device and waits, for a bounded time, until it reads status 0, as it must
    /// before it is set up again. Then no queue is enabled, no interrupt is raised and the device
    /// accesses no memory of the driver's any more.
    pub(crate) fn reset(&self) -> Result<u32> {
        io_write!(self.common, .device_status, 0);
        for waited in 0..RESET_POLLS {
            if self.status() == 0 {
                return Ok(waited);
            }
            fsleep(Delta::from_millis(1));
        }
        Err(ETIMEDOUT)
    }
    // [end guide:reset]

    /// Gives up on the device: sets `FAILED`.
    pub(crate) fn fail(&self) {
        self.add_status(STATUS_FAILED);
    }

    /// The 64 feature bits the device offers.
    pub(crate) fn device_features(&self) -> u64 {
        io_write!(self.common, .device_feature_select, Le32::new(0));
        let low = io_read!(self.common, .device_feature).get();
        io_write!(self.common, .device_feature_select, Le32::new(1));
        let high = io_read!(self.common, .device_feature).get();
        u64::from(low) | (u64::from(high) << 32)
    }

    // [guide:negotiate]
    /// Negotiates features, after a reset: acknowledges the device, accepts the features of
    /// `wanted` that it offers (`VIRTIO_F_VERSION_1` is required, as is
    /// `VIRTIO_F_ACCESS_PLATFORM` when the device offers it: it must then be given DMA
    /// addresses, which this driver always does), and checks that the device took them
    /// (`FEATURES_OK`). Returns the features negotiated.
    pub(crate) fn negotiate(&self, wanted: u64) -> Result<u64> {
        self.add_status(STATUS_ACKNOWLEDGE);
        self.add_status(STATUS_DRIVER);
        let offered = self.device_features();
        if offered & F_VERSION_1 == 0 {
            self.fail();
            return Err(ENODEV);
        }
        let features = offered & (wanted | F_VERSION_1 | F_ACCESS_PLATFORM);
        for (select, half) in [(0u32, features as u32), (1, (features >> 32) as u32)] {
            io_write!(self.common, .driver_feature_select, Le32::new(select));
            io_write!(self.common, .driver_feature, Le32::new(half));
        }
        self.add_status(STATUS_FEATURES_OK);
        if self.status() & STATUS_FEATURES_OK == 0 {
            self.fail();
            return Err(ENODEV);
        }
        Ok(features)
    }
    // [end guide:negotiate]

    /// Tells the device the driver is ready: after the queues are set up.
    pub(crate) fn driver_ok(&self) {
        self.add_status(STATUS_DRIVER_OK);
    }

    /// How many queues the device has.
    pub(crate) fn num_queues(&self) -> u16 {
        io_read!(self.common, .num_queues).get()
    }

    /// Assigns MSI-X vector `vector` to configuration changes; fails with `EBUSY` if the device
    /// could not (it reads back [`NO_VECTOR`]).
    pub(crate) fn set_config_vector(&self, vector: u16) -> Result {
        io_write!(self.common, .config_msix_vector, Le16::new(vector));
        if vector != NO_VECTOR && io_read!(self.common, .config_msix_vector).get() != vector {
            return Err(EBUSY);
        }
        Ok(())
    }

    // [guide:setup-queue]
    /// Sets up queue `index` with the ring `ring` and MSI-X vector `vector` (or [`NO_VECTOR`]),
    /// and enables it. Returns the queue's notifier.
    ///
    /// Fails with `ENOENT` if the device has no such queue, with `ENOSPC` if its queues are
    /// smaller than `N`, with `EBUSY` if it refuses the vector, and with `ERANGE` or `EINVAL` if
    /// the notification address it gives for the queue is outside the notification structure
    /// or misaligned.
    pub(crate) fn setup_queue<const N: usize>(
        &self,
        index: u16,
        ring: &Coherent<Ring<N>>,
        vector: u16,
    ) -> Result<Notifier<'b>>
    where
        Size<N>: QueueSize,
    {
        if index >= self.num_queues() {
            return Err(ENOENT);
        }
        io_write!(self.common, .queue_select, Le16::new(index));
        let max = io_read!(self.common, .queue_size).get();
        if io_read!(self.common, .queue_enable).get() != 0 {
            return Err(EBUSY);
        }
        if usize::from(max) < N {
            return Err(ENOSPC);
        }
        // The notification address: the device's offset, checked against the structure it
        // must lie in, as a 16-bit register.
        let offset = u64::from(io_read!(self.common, .queue_notify_off).get())
            * u64::from(self.notify_multiplier);
        let offset = usize::try_from(offset)?;
        let register = io_project!(self.notify, [try: offset..offset + 2]).try_cast::<Le16>()?;

        // CAST: `QueueSize` sizes are at most 32768.
        io_write!(self.common, .queue_size, Le16::new(N as u16));
        // Each part's address is the DMA address of its projection: never computed by hand.
        let desc = device_address(io_project!(ring, .desc).dma_address());
        let driver = device_address(io_project!(ring, .avail).dma_address());
        let device = device_address(io_project!(ring, .used).dma_address());
        write_split(io_project!(self.common, .queue_desc), desc);
        write_split(io_project!(self.common, .queue_driver), driver);
        write_split(io_project!(self.common, .queue_device), device);
        io_write!(self.common, .queue_msix_vector, Le16::new(vector));
        if vector != NO_VECTOR && io_read!(self.common, .queue_msix_vector).get() != vector {
            return Err(EBUSY);
        }
        io_write!(self.common, .queue_enable, Le16::new(1));
        Ok(Notifier { register, index })
    }
    // [end guide:setup-queue]

    /// The addresses queue `index` was given: descriptor table, driver area, device area.
    pub(crate) fn queue_addresses(&self, index: u16) -> (u64, u64, u64) {
        io_write!(self.common, .queue_select, Le16::new(index));
        (
            read_split(io_project!(self.common, .queue_desc)),
            read_split(io_project!(self.common, .queue_driver)),
            read_split(io_project!(self.common, .queue_device)),
        )
    }

    /// Reads and clears the ISR status: bit 0 a queue interrupt, bit 1 a configuration change.
    /// Only meaningful with INTx, where it also lowers the line.
    pub(crate) fn isr(&self) -> u8 {
        self.isr.read_val()
    }

    /// The device-specific configuration structure, cast to `C`: fails with `ENODEV` if there is
    /// none, `ERANGE` if it is shorter than `C`, `EINVAL` if it is misaligned for `C`.
    pub(crate) fn device_config<C: FromBytes + IntoBytes>(&self) -> Result<Mmio<'b, C>> {
        self.device.ok_or(ENODEV)?.try_cast::<C>()
    }

    /// Reads device-specific configuration with `read`, again until the device's
    /// `config_generation` is the same before and after: a consistent snapshot of fields wider
    /// than one access. Gives up with `EAGAIN` after a bounded number of tries.
    pub(crate) fn read_config<R>(&self, mut read: impl FnMut() -> R) -> Result<R> {
        for _ in 0..100 {
            let before = io_read!(self.common, .config_generation);
            let value = read();
            if io_read!(self.common, .config_generation) == before {
                return Ok(value);
            }
        }
        Err(EAGAIN)
    }
}

/// A DMA address as the device takes it: 64 bits, whatever the width of `dma_addr_t`.
#[inline]
pub(crate) fn device_address(addr: DmaAddress) -> u64 {
    // `dma_addr_t` is 32 bits wide on some 32-bit configurations.
    #[allow(clippy::useless_conversion)]
    u64::from(addr)
}

/// Reads a 64-bit register as two 32-bit halves, the low one first.
pub(crate) fn read_split(register: Mmio<'_, Split64>) -> u64 {
    u64::from(io_read!(register, .lo).get()) | (u64::from(io_read!(register, .hi).get()) << 32)
}

/// Writes a 64-bit register as two 32-bit halves, the low one first.
fn write_split(register: Mmio<'_, Split64>, value: u64) {
    // CAST: The halves of `value`.
    io_write!(register, .lo, Le32::new(value as u32));
    io_write!(register, .hi, Le32::new((value >> 32) as u32));
}
