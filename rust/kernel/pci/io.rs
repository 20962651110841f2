// SPDX-License-Identifier: GPL-2.0

//! PCI I/O: memory BARs and configuration space as typed I/O.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! - A [`Bar`] owns a requested and mapped memory BAR. `&Bar` is an I/O handle on
//!   [`Region<SIZE>`](Region): project it, cast it to a register struct, or access it at offsets.
//! - A [`ConfigSpace`] view reaches the device's configuration space through configuration cycles
//!   (`pci_read_config_*()`), in 8-, 16- and 32-bit accesses. Its `try_` accessors report a
//!   failed cycle as an error instead of returning all ones, and so a read of all ones from a
//!   device that has gone from the bus ([`ENODEV`]).
//! - [`Bar::check_alive`] tells a device that stopped answering a BAR from a register that reads
//!   all ones, which no MMIO or port access can tell by itself.

use core::marker::PhantomData;

use super::Device;
use crate::{
    bindings,
    device::Bound,
    devres::DevresLt,
    error::to_result,
    io::{
        endian::byte_order_accessors,
        Io,
        IoBackend,
        IoBase,
        IoCapable,
        IoCopyable,
        Mmio,
        MmioBackend,
        MmioRaw,
        PortIo,
        PortIoBackend,
        Region, //
    },
    prelude::*,
    ptr::KnownSize,
    types::{
        CovariantForLt,
        ForLt,
        ScopeGuard, //
    },
};

/// The size of a device's configuration space.
#[repr(usize)]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ConfigSpaceSize {
    /// The 256 bytes of conventional PCI.
    Normal = 256,
    /// The 4096 bytes of PCI-X 2.0 and PCI Express.
    Extended = 4096,
}

impl ConfigSpaceSize {
    /// Returns the size in bytes.
    #[inline(always)]
    pub const fn into_raw(self) -> usize {
        self as usize
    }
}

/// Conventional configuration space: at least 256 bytes.
pub type Normal = Region<256>;

/// Extended configuration space: 4096 bytes.
pub type Extended = Region<4096>;

/// A view of a `T` in a PCI device's configuration space, valid while the device is bound.
///
/// # Invariants
///
/// The address of `ptr` is an offset into the configuration space of `pdev`, aligned for `T`,
/// and the location lies within that configuration space.
pub struct ConfigSpace<'a, T: ?Sized = Extended> {
    pdev: &'a Device<Bound>,
    ptr: *mut T,
}

impl<T: ?Sized> Clone for ConfigSpace<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for ConfigSpace<'_, T> {}

impl<T: ?Sized + KnownSize> core::fmt::Debug for ConfigSpace<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The address of a configuration-space view is an offset, not a kernel address: it is
        // shown as it is.
        f.debug_struct("ConfigSpace")
            .field("offset", &format_args!("{:#x}", self.ptr.addr()))
            .field("size", &format_args!("{:#x}", T::size(self.ptr)))
            .finish()
    }
}

// SAFETY: A view behaves like a `&T` that is only accessed through configuration cycles, which
// the PCI core serialises; a `&T` can be sent to another thread when `T: Sync`.
unsafe impl<T: ?Sized + Sync> Send for ConfigSpace<'_, T> {}

// SAFETY: As for `Send`.
unsafe impl<T: ?Sized + Sync> Sync for ConfigSpace<'_, T> {}

impl<'a, T: ?Sized> ConfigSpace<'a, T> {
    /// Returns the device whose configuration space this is.
    #[inline]
    pub fn device(self) -> &'a Device<Bound> {
        self.pdev
    }

    /// Returns the offset of the location in configuration space.
    #[inline]
    pub fn offset(self) -> usize {
        self.ptr.addr()
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for ConfigSpace<'a, T> {
    type Backend = ConfigSpaceBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> Self {
        self
    }
}

/// The backend of [`ConfigSpace`] views: PCI configuration cycles.
pub struct ConfigSpaceBackend;

// SAFETY: A view is its device and its offset pointer: `as_ptr` returns the pointer,
// `project_view` replaces it with the part it is given, and `as_view` returns the view unchanged.
unsafe impl IoBackend for ConfigSpaceBackend {
    type View<'a, T: ?Sized + KnownSize> = ConfigSpace<'a, T>;

    #[inline(always)]
    fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
    where
        T: ?Sized + KnownSize,
    {
        view.ptr
    }

    #[inline(always)]
    unsafe fn project_view<'a, T, U>(whole: Self::View<'a, T>, part: *mut U) -> Self::View<'a, U>
    where
        T: ?Sized + KnownSize,
        U: ?Sized + KnownSize,
    {
        // INVARIANT: `part` is an aligned part of the whole's location (safety requirement), so it
        // lies within the same device's configuration space.
        ConfigSpace {
            pdev: whole.pdev,
            ptr: part,
        }
    }
}

/// Returns the `struct pci_dev` of `pdev`, like `as_raw()` but always inlined: configuration
/// accesses are made on hot paths, and `Opaque::get()` is an out-of-line call.
#[inline(always)]
fn raw_pci_dev(pdev: &Device<Bound>) -> *mut bindings::pci_dev {
    // CAST: `pci::Device` is a transparent wrapper of `struct pci_dev`, so both have the same
    // address.
    core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut()
}

/// Returns the C offset argument of a configuration access at `view`.
#[inline(always)]
fn config_offset<T: ?Sized>(view: ConfigSpace<'_, T>) -> c_int {
    // CAST: Configuration space is at most 4096 bytes (invariant), so the offset fits.
    view.ptr.addr() as c_int
}

/// Implements [`IoCapable`] for [`ConfigSpaceBackend`] with the given configuration accessors.
macro_rules! config_accessors {
    ($($ty:ty => $read:ident, $write:ident;)*) => {$(
        impl IoCapable<$ty> for ConfigSpaceBackend {
            /// Reads the value; a failed cycle reads as all ones, as in C (the PCI core sets
            /// them).
            #[inline]
            fn io_read(view: ConfigSpace<'_, $ty>) -> $ty {
                let mut value: $ty = 0;
                // SAFETY: `view.pdev` is a valid, bound PCI device, and the offset is within its
                // configuration space and aligned (invariant).
                let _ = unsafe {
                    bindings::$read(raw_pci_dev(view.pdev), config_offset(view), &mut value)
                };
                value
            }

            /// Writes the value; a failed cycle is ignored, as in C.
            #[inline]
            fn io_write(view: ConfigSpace<'_, $ty>, value: $ty) {
                // SAFETY: As for `io_read`.
                let _ = unsafe {
                    bindings::$write(raw_pci_dev(view.pdev), config_offset(view), value)
                };
            }

            /// Reads the value, reporting a failed cycle as an error, and all ones from a
            /// device that is no longer there as [`ENODEV`].
            #[inline]
            fn io_try_read(view: ConfigSpace<'_, $ty>) -> Result<$ty> {
                let mut value: $ty = 0;
                // SAFETY: `view.pdev` is a valid, bound PCI device, and the offset is within its
                // configuration space and aligned (invariant).
                let ret = unsafe {
                    bindings::$read(raw_pci_dev(view.pdev), config_offset(view), &mut value)
                };
                to_pci_result(ret)?;
                if value == <$ty>::MAX {
                    check_present(view.pdev)?;
                }
                Ok(value)
            }

            #[inline]
            fn io_try_write(view: ConfigSpace<'_, $ty>, value: $ty) -> Result {
                // SAFETY: As for `io_try_read`.
                let ret = unsafe {
                    bindings::$write(raw_pci_dev(view.pdev), config_offset(view), value)
                };
                to_pci_result(ret)
            }
        }
    )*};
}

config_accessors! {
    u8 => pci_read_config_byte, pci_write_config_byte;
    u16 => pci_read_config_word, pci_write_config_word;
    u32 => pci_read_config_dword, pci_write_config_dword;
}

// Configuration space is little-endian; the accessors return values in the CPU's order.
byte_order_accessors!(ConfigSpaceBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);

/// Calls `f(index, width)` for each configuration access that covers the `len` bytes at
/// configuration-space offset `start`: the widest aligned access that fits, in ascending order.
fn config_chunks(start: usize, len: usize, mut f: impl FnMut(usize, usize)) {
    let mut done = 0;
    while done < len {
        let (at, left) = (start + done, len - done);
        let width = if at % 4 == 0 && left >= 4 {
            4
        } else if at % 2 == 0 && left >= 2 {
            2
        } else {
            1
        };
        f(done, width);
        done += width;
    }
}

impl<'a> ConfigSpace<'a, [u8]> {
    /// Returns the view of the `U` at byte `index` of this range.
    ///
    /// # Safety
    ///
    /// The `U` at `index` must lie within the range and be aligned.
    #[inline(always)]
    unsafe fn part<U>(self, index: usize) -> ConfigSpace<'a, U> {
        // INVARIANT: Guaranteed by the caller.
        ConfigSpace {
            pdev: self.pdev,
            ptr: self.ptr.cast::<u8>().wrapping_add(index).cast(),
        }
    }
}

// SAFETY: `config_read` and `config_write` cover the view's bytes exactly once with
// `config_chunks`, reading or writing the same bytes of `buffer`; without `stop`, `config_read`
// writes every byte (all ones for a failed cycle), and with it, stops only with an error.
unsafe impl IoCopyable for ConfigSpaceBackend {
    /// Reads the range with the widest aligned configuration cycles that fit. A failed cycle
    /// reads as all ones, as with [`io_read`](IoCapable::io_read).
    unsafe fn copy_from_io(view: ConfigSpace<'_, [u8]>, buffer: *mut u8) {
        // SAFETY: Same requirements. Without `stop`, the read cannot fail.
        let _ = unsafe { config_read(view, buffer, false) };
    }

    /// Writes the range with the widest aligned configuration cycles that fit. A failed cycle
    /// is ignored, as with [`io_write`](IoCapable::io_write).
    unsafe fn copy_to_io(view: ConfigSpace<'_, [u8]>, buffer: *const u8) {
        // SAFETY: Same requirements. Without `stop`, the write cannot fail.
        let _ = unsafe { config_write(view, buffer, false) };
    }

    /// Reads the range as [`copy_from_io`](Self::copy_from_io) does, stopping at the first failed
    /// cycle with its error.
    unsafe fn try_copy_from_io(view: ConfigSpace<'_, [u8]>, buffer: *mut u8) -> Result {
        // SAFETY: Same requirements.
        unsafe { config_read(view, buffer, true) }
    }

    /// Writes the range as [`copy_to_io`](Self::copy_to_io) does, stopping at the first failed
    /// cycle with its error.
    unsafe fn try_copy_to_io(view: ConfigSpace<'_, [u8]>, buffer: *const u8) -> Result {
        // SAFETY: Same requirements.
        unsafe { config_write(view, buffer, true) }
    }
}

/// Reads `view` into `buffer` in the widest aligned configuration cycles; with `stop`, returns
/// the error of the first failed cycle, otherwise reads failed cycles as all ones.
///
/// # Safety
///
/// `buffer` must be writable for the view's length.
unsafe fn config_read(view: ConfigSpace<'_, [u8]>, buffer: *mut u8, stop: bool) -> Result {
    let mut result = Ok(());
    config_chunks(view.offset(), view.ptr.len(), |i, width| {
        if result.is_err() {
            return;
        }
        // SAFETY: `config_chunks` only yields aligned accesses within the range.
        let value = unsafe {
            match width {
                4 => ConfigSpaceBackend::io_try_read(view.part::<u32>(i)),
                2 => ConfigSpaceBackend::io_try_read(view.part::<u16>(i)).map(u32::from),
                _ => ConfigSpaceBackend::io_try_read(view.part::<u8>(i)).map(u32::from),
            }
        };
        let value = match value {
            Ok(value) => value,
            Err(e) if stop => {
                result = Err(e);
                return;
            }
            Err(_) => u32::MAX,
        };
        // SAFETY: `i + width` is within the range, for which `buffer` is writable (safety
        // requirement), and the bytes come from a local.
        unsafe {
            core::ptr::copy_nonoverlapping(value.to_le_bytes().as_ptr(), buffer.add(i), width)
        };
    });
    result
}

/// Writes `buffer` to `view` in the widest aligned configuration cycles; with `stop`, returns the
/// error of the first failed cycle, otherwise ignores failed cycles.
///
/// # Safety
///
/// `buffer` must be readable for the view's length.
unsafe fn config_write(view: ConfigSpace<'_, [u8]>, buffer: *const u8, stop: bool) -> Result {
    let mut result = Ok(());
    config_chunks(view.offset(), view.ptr.len(), |i, width| {
        if result.is_err() {
            return;
        }
        let mut bytes = [0u8; 4];
        // SAFETY: `i + width` is within the range, for which `buffer` is readable (safety
        // requirement), and `bytes` is a local.
        unsafe { core::ptr::copy_nonoverlapping(buffer.add(i), bytes.as_mut_ptr(), width) };
        let value = u32::from_le_bytes(bytes);
        // SAFETY: `config_chunks` only yields aligned accesses within the range.
        // CAST: The narrow accesses take the low bytes that were copied into `value`.
        let written = unsafe {
            match width {
                4 => ConfigSpaceBackend::io_try_write(view.part::<u32>(i), value),
                2 => ConfigSpaceBackend::io_try_write(view.part::<u16>(i), value as u16),
                _ => ConfigSpaceBackend::io_try_write(view.part::<u8>(i), value as u8),
            }
        };
        if stop {
            result = written;
        }
    });
    result
}

impl<'a> Device<crate::device::Core<'a>> {
    /// Enables the device's memory and I/O port decoding (`pci_enable_device()`), so that its
    /// port BARs respond too; `enable_device_mem()` only enables memory decoding.
    ///
    /// The decoding of every assigned BAR is on afterwards, even where an earlier driver left
    /// the device enabled for memory alone: 7.3's `enable_device_mem()` has no counterpart that
    /// disables the device again, so after such a driver `pci_enable_device()` only counts
    /// another user, and the port BARs of a device that no firmware set up (arm64's, say) would
    /// stay dark. `pci_enable_resources()`, which the first enable runs, turns on what is
    /// missing, and does nothing when all is on.
    pub fn enable_device(&self) -> Result {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        to_result(unsafe { bindings::pci_enable_device(self.as_raw()) })?;
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, enabled just above; the mask
        // selects every resource, of which the function only considers the memory and port
        // BARs (the ones `pci_enable_device()` itself enables).
        let ret = unsafe { bindings::pci_enable_resources(self.as_raw(), -1) };
        if ret < 0 {
            // SAFETY: Undoes the `pci_enable_device()` above, on the same valid device.
            unsafe { bindings::pci_disable_device(self.as_raw()) };
        }
        to_result(ret)
    }
}

/// Fails with [`ENODEV`] unless `pdev` still answers configuration cycles: its vendor ID reads as
/// an ID, not all ones (or zero), and the PCI core has not marked it disconnected.
///
/// A configuration read of a device that has gone from the bus completes with all ones, like a
/// read of a register that holds all ones; a read that returns them asks once more, at the vendor
/// ID, which no present device has as all ones. Kept out of line: it is the rare path.
#[cold]
fn check_present(pdev: &Device<Bound>) -> Result {
    // SAFETY: `pdev` is a valid, bound PCI device. The check reads its vendor ID without waiting
    // (a device that asks to be retried counts as absent), so it may run in any context the
    // configuration accessors may.
    if unsafe { bindings::pci_device_is_present(raw_pci_dev(pdev)) } {
        Ok(())
    } else {
        Err(ENODEV)
    }
}

/// Converts the result of a PCI configuration accessor (a `PCIBIOS_*` code or an errno).
#[inline]
fn to_pci_result(ret: c_int) -> Result {
    // SAFETY: `pcibios_err_to_errno()` only maps an integer.
    to_result(unsafe { bindings::pcibios_err_to_errno(ret) })
}

impl Device<Bound> {
    /// Returns the size of the device's configuration space.
    #[inline]
    pub fn cfg_size(&self) -> ConfigSpaceSize {
        // SAFETY: `self` is a valid `struct pci_dev`.
        let size = unsafe { (*raw_pci_dev(self)).cfg_size };
        if usize::try_from(size).is_ok_and(|s| s >= ConfigSpaceSize::Extended.into_raw()) {
            ConfigSpaceSize::Extended
        } else {
            ConfigSpaceSize::Normal
        }
    }

    /// Returns a view of the device's configuration space.
    ///
    /// The view is typed as [`Normal`] (256 bytes known at build time) and has the device's real
    /// size at runtime, so the extended space of a PCI Express device is reachable with the
    /// runtime-checked accessors.
    #[inline]
    pub fn config_space(&self) -> ConfigSpace<'_, Normal> {
        // INVARIANT: Offset 0 is aligned, and the size is that of the device's space.
        ConfigSpace {
            pdev: self,
            ptr: Normal::ptr_from_raw_parts_mut(core::ptr::null_mut(), self.cfg_size().into_raw()),
        }
    }

    /// Returns a view of the device's extended configuration space.
    ///
    /// Fails with [`EINVAL`] if the device only has the conventional 256 bytes.
    pub fn config_space_extended(&self) -> Result<ConfigSpace<'_, Extended>> {
        if self.cfg_size() != ConfigSpaceSize::Extended {
            return Err(EINVAL);
        }
        // INVARIANT: Offset 0 is aligned, and the device has 4096 bytes.
        Ok(ConfigSpace {
            pdev: self,
            ptr: Extended::ptr_from_raw_parts_mut(core::ptr::null_mut(), 4096),
        })
    }

    /// Requests and maps memory BAR `bar` as a region of at least `SIZE` bytes.
    ///
    /// Fails with [`ENODEV`] if the BAR is not implemented, [`EINVAL`] if it is an I/O port BAR
    /// (see [`iomap_port_region_sized`](Self::iomap_port_region_sized)) or smaller than `SIZE`,
    /// the error of `pci_request_region()` ([`EBUSY`]) if it is taken, and [`ENOMEM`] if it
    /// cannot be mapped. Whatever was acquired is released on failure.
    pub fn iomap_region_sized<'a, const SIZE: usize>(
        &'a self,
        bar: u32,
        name: &'static CStr,
    ) -> Result<Bar<'a, SIZE>> {
        Bar::map(self, bar, name)
    }

    /// Requests and maps memory BAR `bar`; see
    /// [`iomap_region_sized`](Self::iomap_region_sized).
    pub fn iomap_region<'a>(&'a self, bar: u32, name: &'static CStr) -> Result<Bar<'a>> {
        self.iomap_region_sized::<0>(bar, name)
    }

    /// Requests and maps I/O port BAR `bar` as a region of at least `SIZE` ports.
    ///
    /// Fails as [`iomap_region_sized`](Self::iomap_region_sized) does, with [`EINVAL`] if the
    /// BAR is a memory BAR.
    pub fn iomap_port_region_sized<'a, const SIZE: usize>(
        &'a self,
        bar: u32,
        name: &'static CStr,
    ) -> Result<PortBar<'a, SIZE>> {
        Bar::map(self, bar, name)
    }

    /// Requests and maps I/O port BAR `bar`; see
    /// [`iomap_port_region_sized`](Self::iomap_port_region_sized).
    pub fn iomap_port_region<'a>(&'a self, bar: u32, name: &'static CStr) -> Result<PortBar<'a>> {
        self.iomap_port_region_sized::<0>(bar, name)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The address space that a BAR decodes: [`Memory`] or [`Ports`].
///
/// This trait is sealed.
pub trait BarSpace: sealed::Sealed + Send + Sync + 'static {
    /// The resource flag (`IORESOURCE_MEM` or `IORESOURCE_IO`) of BARs in this space.
    const RESOURCE_FLAG: u32;
}

/// Memory space: the BAR is accessed with MMIO ([`Mmio`] views).
pub struct Memory;

/// I/O port space: the BAR is accessed with port I/O ([`PortIo`] views).
pub struct Ports;

impl sealed::Sealed for Memory {}
impl sealed::Sealed for Ports {}

impl BarSpace for Memory {
    const RESOURCE_FLAG: u32 = bindings::IORESOURCE_MEM;
}

impl BarSpace for Ports {
    const RESOURCE_FLAG: u32 = bindings::IORESOURCE_IO;
}

/// A requested and mapped BAR of a bound PCI device, in memory space unless `S` says otherwise.
///
/// `&Bar` is an I/O handle on a [`Region<SIZE>`](Region) of the BAR's size: an [`Mmio`] view
/// for a memory BAR, a [`PortIo`] view for an I/O port BAR ([`PortBar`]). Dropping the `Bar`
/// unmaps and releases the BAR; the borrow checker makes sure no view of it survives.
///
/// # Invariants
///
/// `io` describes the mapping (an iomap cookie for port BARs) of BAR `num` of `pdev`, which is in
/// space `S` and which this owner requested and mapped; it stays mapped until it is dropped.
pub struct Bar<'a, const SIZE: usize = 0, S: BarSpace = Memory> {
    pdev: &'a Device<Bound>,
    io: MmioRaw<Region<SIZE>>,
    num: c_int,
    _space: PhantomData<S>,
}

/// A requested and mapped I/O port BAR.
pub type PortBar<'a, const SIZE: usize = 0> = Bar<'a, SIZE, Ports>;

impl<const SIZE: usize, S: BarSpace> ForLt for Bar<'static, SIZE, S> {
    type Of<'a> = Bar<'a, SIZE, S>;
}

// SAFETY: `Bar<'a, SIZE, S>` only uses `'a` in `&'a Device<Bound>`, which is covariant in `'a`.
unsafe impl<const SIZE: usize, S: BarSpace> CovariantForLt for Bar<'static, SIZE, S> {}

/// A [`Bar`] managed by the device's resources: revoked when the driver unbinds.
pub type DevresBar<const SIZE: usize = 0> = DevresLt<Bar<'static, SIZE>>;

impl<'a, const SIZE: usize, S: BarSpace> Bar<'a, SIZE, S> {
    fn map(pdev: &'a Device<Bound>, bar: u32, name: &'static CStr) -> Result<Self> {
        let (addr, len, num) = map_bar(pdev, bar, name, S::RESOURCE_FLAG, SIZE)?;
        // INVARIANT: `map_bar` requested and mapped the BAR, in space `S`, for this owner, and
        // checked that it is a valid `Region<SIZE>`.
        Ok(Bar {
            pdev,
            io: MmioRaw::from_ptr(Region::ptr_from_raw_parts_mut(addr, len)),
            num,
            _space: PhantomData,
        })
    }

    /// Returns the BAR's number.
    #[inline]
    pub fn index(&self) -> u32 {
        // CAST: The number came from a `u32`.
        self.num as u32
    }

    /// Fails with [`ENODEV`] unless the device still answers accesses to this BAR.
    ///
    /// A device answers when it is still on the bus (its configuration space reads as a device's,
    /// not all ones, and the PCI core has not marked it disconnected) and decodes the BAR's
    /// address space (Memory Space Enable, or I/O Space Enable for a port BAR, is set in its
    /// command register). Nothing else in the layer can tell: an MMIO or port read of a device
    /// that does not answer completes with whatever the bus makes up (all ones on most PCI hosts, 0
    /// on QEMU's) and no
    /// error, and a register may hold all ones. Call this where a read returned all ones and the
    /// difference matters, as an interrupt handler does before it trusts a status register. It
    /// makes a few configuration reads, and may be called in any context that may read
    /// configuration space (interrupt handlers included).
    ///
    /// See `Documentation/io/safety.rst` ("A device that stops answering") for what a driver
    /// sees, and `tests/io_dead_test.rs` for a driver that checks it.
    pub fn check_alive(&self) -> Result {
        const COMMAND: usize = bindings::PCI_COMMAND as usize;
        // CAST: The command register's bits are 16-bit constants.
        let decodes = if S::RESOURCE_FLAG == bindings::IORESOURCE_IO {
            bindings::PCI_COMMAND_IO as u16
        } else {
            bindings::PCI_COMMAND_MEMORY as u16
        };
        // A command register of all ones means the device is gone, which the read reports.
        let command = self.pdev.config_space().try_read16(COMMAND)?;
        check_present(self.pdev)?;
        if command & decodes == 0 {
            return Err(ENODEV);
        }
        Ok(())
    }

    /// Hands the BAR to the device's managed resources: it is released at unbind.
    pub fn into_devres(self) -> Result<DevresLt<Bar<'static, SIZE, S>>> {
        let pdev = self.pdev;
        // SAFETY: A `Bar` holds a device reference and a mapping, both valid until the device
        // unbinds, which is when `DevresLt` revokes it.
        unsafe { DevresLt::new(pdev.as_ref(), self) }
    }
}

/// Requests and maps BAR `bar` of `pdev`, which must be in the space of `flag` and a valid
/// region of at least `min_size` bytes; returns its address, length and number.
///
/// Everything that can be checked is checked before anything is acquired, and whatever was
/// acquired is released on failure. Not generic, so drivers share one copy of it.
fn map_bar(
    pdev: &Device<Bound>,
    bar: u32,
    name: &'static CStr,
    flag: u32,
    min_size: usize,
) -> Result<(*mut u8, usize, c_int)> {
    let len = usize::try_from(pdev.resource_len(bar)?)?;
    if len == 0 {
        return Err(ENODEV);
    }
    // SAFETY: `resource_len()` checked that `bar` indexes the device's resources.
    let flags = unsafe { (*pdev.as_raw()).resource[bar as usize].flags };
    // CAST: Resource flags are single bits of the `unsigned long` flags.
    if flags & flag as c_ulong == 0 {
        return Err(EINVAL);
    }
    if len < min_size || len % 4 != 0 {
        return Err(EINVAL);
    }
    let num = c_int::try_from(bar)?;
    let raw = pdev.as_raw();

    // SAFETY: `raw` is a valid device and `num` a valid BAR index; `name` is a static string.
    to_result(unsafe { bindings::pci_request_region(raw, num, name.as_char_ptr()) })?;
    // SAFETY: The region was requested just above, by this function.
    let requested = ScopeGuard::new(|| unsafe { bindings::pci_release_region(raw, num) });

    // SAFETY: `raw` is a valid device and `num` a requested BAR; 0 maps all of it.
    let addr = unsafe { bindings::pci_iomap(raw, num, 0) };
    if addr.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `addr` is the mapping made just above.
    let mapped = ScopeGuard::new(|| unsafe { bindings::pci_iounmap(raw, addr) });

    // The base must be as aligned as a region's.
    let io = MmioRaw::<Region>::new_region(addr.addr(), len)?;
    mapped.dismiss();
    requested.dismiss();
    Ok((io.as_ptr().cast(), len, num))
}

impl Bar<'_> {
    /// Returns `true` if `index` can name a BAR, or any other resource, of a PCI device.
    #[inline]
    pub(super) fn index_is_valid(index: u32) -> bool {
        index < bindings::PCI_NUM_RESOURCES
    }
}

impl<const SIZE: usize, S: BarSpace> Drop for Bar<'_, SIZE, S> {
    fn drop(&mut self) {
        let raw = self.pdev.as_raw();
        // SAFETY: The BAR was mapped at `self.io` and requested by this owner (invariant), and
        // nothing borrows it any more.
        unsafe {
            bindings::pci_iounmap(raw, self.io.as_ptr().cast());
            bindings::pci_release_region(raw, self.num);
        }
    }
}

impl<'a, const SIZE: usize> IoBase<'a> for &'a Bar<'_, SIZE, Memory> {
    type Backend = MmioBackend;
    type Target = Region<SIZE>;

    #[inline]
    fn as_view(self) -> Mmio<'a, Region<SIZE>> {
        // SAFETY: The memory BAR stays mapped while `self` is borrowed (invariant).
        unsafe { Mmio::from_raw(self.io) }
    }
}

impl<'a, const SIZE: usize> IoBase<'a> for &'a Bar<'_, SIZE, Ports> {
    type Backend = PortIoBackend;
    type Target = Region<SIZE>;

    #[inline]
    fn as_view(self) -> PortIo<'a, Region<SIZE>> {
        // SAFETY: The port BAR stays mapped at this iomap cookie while `self` is borrowed
        // (invariant).
        unsafe { PortIo::from_raw(self.io) }
    }
}
