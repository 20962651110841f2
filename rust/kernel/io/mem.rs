// SPDX-License-Identifier: GPL-2.0

//! Mapped memory resources of platform-style devices: [`IoRequest`], [`IoMem`] and
//! [`ExclusiveIoMem`].
//!
//! C header: [`include/linux/io.h`](srctree/include/linux/io.h)
//!
//! A bus hands a driver an [`IoRequest`] for one of its device's memory resources; mapping it
//! gives an owner whose reference is an I/O handle on a [`Region`] of the
//! resource's size. Every way of failing after a successful `ioremap()` unmaps again.

use crate::{
    bindings,
    device::{
        Bound,
        Device, //
    },
    devres::DevresLt,
    io::{
        resource::{
            Flags,
            Region as RequestedRegion,
            Resource, //
        },
        IoBase,
        Mmio,
        MmioBackend,
        MmioRaw,
        Region, //
    },
    prelude::*,
    types::{
        CovariantForLt,
        ForLt,
        ScopeGuard, //
    },
};

/// A memory resource of a bound device, ready to be mapped.
///
/// Buses create it for their drivers (see `platform::Device::io_request_by_index()`).
pub struct IoRequest<'a> {
    device: &'a Device<Bound>,
    resource: &'a Resource,
}

impl<'a> IoRequest<'a> {
    /// Creates the request for `resource` of `device`.
    ///
    /// # Safety
    ///
    /// `resource` must be a memory resource of `device`, valid while `device` is bound.
    pub(crate) unsafe fn new(device: &'a Device<Bound>, resource: &'a Resource) -> Self {
        IoRequest { device, resource }
    }

    /// Maps the resource as a region of at least `SIZE` bytes.
    ///
    /// Fails with [`EINVAL`] if the resource is empty, smaller than `SIZE`, or not a valid
    /// [`Region`], and with [`ENOMEM`] if it cannot be mapped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use kernel::{io::{mem::IoRequest, Io}, prelude::*};
    ///
    /// fn probe(request: IoRequest<'_>) -> Result {
    ///     let regs = request.iomap_sized::<0x100>()?;
    ///     let version = (&regs).read32(0x0);
    ///     (&regs).write32(version | 1, 0x4);
    ///     Ok(())
    /// }
    /// ```
    pub fn iomap_sized<const SIZE: usize>(self) -> Result<IoMem<'a, SIZE>> {
        IoMem::ioremap(self.device, self.resource)
    }

    /// Requests the resource for this driver alone, then maps it as a region of at least `SIZE`
    /// bytes.
    ///
    /// Fails with [`EBUSY`] if another driver holds the resource, and as
    /// [`iomap_sized`](Self::iomap_sized) otherwise.
    pub fn iomap_exclusive_sized<const SIZE: usize>(self) -> Result<ExclusiveIoMem<'a, SIZE>> {
        ExclusiveIoMem::ioremap(self.device, self.resource)
    }

    /// Maps the resource; see [`iomap_sized`](Self::iomap_sized).
    pub fn iomap(self) -> Result<IoMem<'a>> {
        self.iomap_sized::<0>()
    }

    /// Requests and maps the resource; see [`iomap_exclusive_sized`](Self::iomap_exclusive_sized).
    pub fn iomap_exclusive(self) -> Result<ExclusiveIoMem<'a, 0>> {
        self.iomap_exclusive_sized::<0>()
    }
}

/// A mapped memory resource.
///
/// `&IoMem` is an I/O handle on a [`Region<SIZE>`](Region) of the resource's size. Dropping it
/// unmaps the resource.
///
/// # Invariants
///
/// `io` describes a live mapping made by `ioremap()` or `ioremap_np()` for this owner.
pub struct IoMem<'a, const SIZE: usize = 0> {
    dev: &'a Device<Bound>,
    io: MmioRaw<Region<SIZE>>,
}

impl<const SIZE: usize> ForLt for IoMem<'static, SIZE> {
    type Of<'a> = IoMem<'a, SIZE>;
}

// SAFETY: `IoMem<'a, SIZE>` only uses `'a` in `&'a Device<Bound>`, which is covariant in `'a`.
unsafe impl<const SIZE: usize> CovariantForLt for IoMem<'static, SIZE> {}

/// An [`IoMem`] managed by the device's resources: revoked when the driver unbinds.
pub type DevresIoMem<const SIZE: usize = 0> = DevresLt<IoMem<'static, SIZE>>;

impl<'a, const SIZE: usize> IoMem<'a, SIZE> {
    fn ioremap(dev: &'a Device<Bound>, resource: &Resource) -> Result<Self> {
        let nonposted = resource.flags().contains(Flags::IORESOURCE_MEM_NONPOSTED);
        let io = map_region(&Ioremap { nonposted }, resource.start(), resource.size())?;
        // INVARIANT: `map_region` returns a live mapping, now owned by this `IoMem`.
        Ok(IoMem { dev, io })
    }

    /// Hands the mapping to the device's managed resources: it is unmapped at unbind.
    pub fn into_devres(self) -> Result<DevresIoMem<SIZE>> {
        let dev = self.dev;
        // SAFETY: An `IoMem` holds a device reference and a mapping, both valid until the device
        // unbinds, which is when `DevresLt` revokes it.
        unsafe { DevresLt::new(dev, self) }
    }
}

impl<const SIZE: usize> Drop for IoMem<'_, SIZE> {
    fn drop(&mut self) {
        // SAFETY: `io` is a live mapping owned by `self` (invariant), and nothing borrows it any
        // more.
        unsafe { Ioremap::default().unmap(self.io.addr()) }
    }
}

impl<'a, const SIZE: usize> IoBase<'a> for &'a IoMem<'_, SIZE> {
    type Backend = MmioBackend;
    type Target = Region<SIZE>;

    #[inline]
    fn as_view(self) -> Mmio<'a, Region<SIZE>> {
        // SAFETY: The mapping lives while `self` is borrowed (invariant).
        unsafe { Mmio::from_raw(self.io) }
    }
}

/// A mapped memory resource that this driver has also requested, so no other driver can map it.
///
/// `&ExclusiveIoMem` is an I/O handle like `&IoMem`. Dropping it unmaps and releases the
/// resource.
pub struct ExclusiveIoMem<'a, const SIZE: usize> {
    iomem: IoMem<'a, SIZE>,
    _requested: RequestedRegion,
}

impl<const SIZE: usize> ForLt for ExclusiveIoMem<'static, SIZE> {
    type Of<'a> = ExclusiveIoMem<'a, SIZE>;
}

// SAFETY: `ExclusiveIoMem<'a, SIZE>` only uses `'a` in its `IoMem<'a, SIZE>`, which is covariant
// in `'a`.
unsafe impl<const SIZE: usize> CovariantForLt for ExclusiveIoMem<'static, SIZE> {}

/// An [`ExclusiveIoMem`] managed by the device's resources: released when the driver unbinds.
pub type DevresExclusiveIoMem<const SIZE: usize> = DevresLt<ExclusiveIoMem<'static, SIZE>>;

impl<'a, const SIZE: usize> ExclusiveIoMem<'a, SIZE> {
    fn ioremap(dev: &'a Device<Bound>, resource: &Resource) -> Result<Self> {
        let name = resource.name().unwrap_or_default().to_cstring()?;
        let requested = resource
            .request_region(
                resource.start(),
                resource.size(),
                name,
                Flags::IORESOURCE_MEM,
            )
            .ok_or(EBUSY)?;
        // On failure, dropping `requested` releases the region again.
        let iomem = IoMem::ioremap(dev, resource)?;
        Ok(ExclusiveIoMem {
            iomem,
            _requested: requested,
        })
    }

    /// Hands the mapping and the request to the device's managed resources: both are released
    /// at unbind.
    pub fn into_devres(self) -> Result<DevresExclusiveIoMem<SIZE>> {
        let dev = self.iomem.dev;
        // SAFETY: As for `IoMem::into_devres`; the requested region is valid as long.
        unsafe { DevresLt::new(dev, self) }
    }
}

impl<'a, const SIZE: usize> IoBase<'a> for &'a ExclusiveIoMem<'_, SIZE> {
    type Backend = MmioBackend;
    type Target = Region<SIZE>;

    #[inline]
    fn as_view(self) -> Mmio<'a, Region<SIZE>> {
        self.iomem.as_view()
    }
}

/// A way of mapping physical memory into I/O space: `ioremap()` in the kernel, and a stand-in in
/// the tests of [`map_region`].
trait Mapper {
    /// Maps `size` bytes at `start`, returning the address, or `None` on failure.
    fn map(&self, start: bindings::phys_addr_t, size: usize) -> Option<usize>;

    /// Unmaps a mapping made by [`map`](Self::map).
    ///
    /// # Safety
    ///
    /// `addr` must be a live mapping returned by `map`, with no user left.
    unsafe fn unmap(&self, addr: usize);
}

/// The kernel's mapping functions; `ioremap_np()` for non-posted resources.
#[derive(Default)]
struct Ioremap {
    nonposted: bool,
}

impl Mapper for Ioremap {
    fn map(&self, start: bindings::phys_addr_t, size: usize) -> Option<usize> {
        let addr = if self.nonposted {
            // SAFETY: Mapping has no preconditions; a bad range fails with NULL.
            unsafe { bindings::ioremap_np(start, size) }
        } else {
            // SAFETY: As above.
            unsafe { bindings::ioremap(start, size) }
        };
        (!addr.is_null()).then(|| addr.addr())
    }

    unsafe fn unmap(&self, addr: usize) {
        // SAFETY: `addr` is a live mapping (safety requirement); `iounmap()` only uses the
        // address.
        unsafe { bindings::iounmap(core::ptr::without_provenance_mut(addr)) }
    }
}

/// Maps the `size` bytes at `start` with `mapper` and describes them as a region.
///
/// Everything that can be checked without the mapping is checked first; if the region is still
/// refused once mapped (its base is misaligned), the mapping is undone before returning.
fn map_region<M: Mapper, const SIZE: usize>(
    mapper: &M,
    start: bindings::phys_addr_t,
    size: bindings::resource_size_t,
) -> Result<MmioRaw<Region<SIZE>>> {
    let size = usize::try_from(size)?;
    if size == 0 || size < SIZE || size % 4 != 0 {
        return Err(EINVAL);
    }
    let addr = mapper.map(start, size).ok_or(ENOMEM)?;
    // SAFETY: `addr` was just mapped, and nothing uses it if this guard runs.
    let mapped = ScopeGuard::new(|| unsafe { mapper.unmap(addr) });
    let io = MmioRaw::new_region(addr, size)?;
    mapped.dismiss();
    Ok(io)
}

#[cfg(CONFIG_KUNIT)]
#[kunit_tests(rust_io_mem)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// A mapper that maps nothing: it hands out `addr` and records what happens.
    struct FakeMapper {
        addr: Option<usize>,
        maps: Cell<usize>,
        unmapped: Cell<Option<usize>>,
    }

    impl Mapper for FakeMapper {
        fn map(&self, _start: bindings::phys_addr_t, _size: usize) -> Option<usize> {
            self.maps.set(self.maps.get() + 1);
            self.addr
        }

        unsafe fn unmap(&self, addr: usize) {
            self.unmapped.set(Some(addr));
        }
    }

    fn fake(addr: Option<usize>) -> FakeMapper {
        FakeMapper {
            addr,
            maps: Cell::new(0),
            unmapped: Cell::new(None),
        }
    }

    #[test]
    fn maps_a_valid_region_and_keeps_it() -> Result {
        let mapper = fake(Some(0x1000));
        let io = map_region::<_, 0x40>(&mapper, 0xfe00_0000, 0x100)?;
        assert_eq!(io.addr(), 0x1000);
        assert_eq!(io.size(), 0x100);
        assert_eq!(mapper.unmapped.get(), None);
        Ok(())
    }

    #[test]
    fn refuses_bad_sizes_before_mapping() {
        let mapper = fake(Some(0x1000));
        assert_eq!(map_region::<_, 0>(&mapper, 0, 0).err(), Some(EINVAL));
        assert_eq!(
            map_region::<_, 0x200>(&mapper, 0, 0x100).err(),
            Some(EINVAL)
        );
        assert_eq!(map_region::<_, 0>(&mapper, 0, 0x102).err(), Some(EINVAL));
        assert_eq!(mapper.maps.get(), 0);
    }

    #[test]
    fn reports_a_failed_mapping() {
        let mapper = fake(None);
        assert_eq!(map_region::<_, 0>(&mapper, 0, 0x100).err(), Some(ENOMEM));
        assert_eq!(mapper.maps.get(), 1);
        assert_eq!(mapper.unmapped.get(), None);
    }

    #[test]
    fn unmaps_when_the_mapped_region_is_refused() {
        // A resource that starts off a 4-byte boundary maps to a misaligned address.
        let mapper = fake(Some(0x1002));
        assert_eq!(
            map_region::<_, 0>(&mapper, 0xfe00_0002, 0x100).err(),
            Some(EINVAL)
        );
        assert_eq!(mapper.maps.get(), 1);
        assert_eq!(mapper.unmapped.get(), Some(0x1002));
    }
}
