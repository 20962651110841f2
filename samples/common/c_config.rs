// SPDX-License-Identifier: GPL-2.0

//! Configuration-space reads (and a byte write) through the PCI core's C accessors, bypassing the
//! typed I/O layer.
//!
//! A check of a `ConfigSpace` view compares what the view reads with what is there; reading the
//! same register through the layer again would only compare the layer with itself. These reads
//! go to `pci_read_config_dword()` directly, with the offset and the width computed here, so
//! they are the independent source the configuration-space checks compare the views with.
//! [`write_byte`] sets a register that a check then copies with the layer.
//! Configuration space is little-endian (PCI Local Bus Specification, 6.1): byte `i` of a
//! dword is bits `8 * i` to `8 * i + 7`.

use kernel::{
    bindings,
    device::DeviceContext,
    pci,
    prelude::*, //
};

/// Reads the dword at `offset` (a multiple of 4) of `pdev`'s configuration space.
#[allow(dead_code)]
pub(crate) fn dword<Ctx: DeviceContext>(pdev: &pci::Device<Ctx>, offset: usize) -> Result<u32> {
    if offset % 4 != 0 {
        return Err(EINVAL);
    }
    let at = i32::try_from(offset)?;
    // CAST: `pci::Device` is a transparent wrapper of `struct pci_dev`, so both have the same
    // address.
    let raw = core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut();
    let mut value = 0u32;
    // SAFETY: `raw` is the valid `struct pci_dev` that `pdev` wraps, alive while it is borrowed;
    // `value` is a writable `u32`.
    let ret = unsafe { bindings::pci_read_config_dword(raw, at, &mut value) };
    if ret != 0 {
        return Err(EIO);
    }
    Ok(value)
}

/// Reads the 16-bit register at `offset` (a multiple of 2), out of the dword that holds it.
#[allow(dead_code)]
pub(crate) fn word<Ctx: DeviceContext>(pdev: &pci::Device<Ctx>, offset: usize) -> Result<u16> {
    if offset % 2 != 0 {
        return Err(EINVAL);
    }
    let dword = dword(pdev, offset & !3)?;
    // CAST: The shift leaves the register in the low 16 bits.
    Ok((dword >> (8 * (offset & 3))) as u16)
}

/// Reads the byte at `offset`, out of the dword that holds it.
#[allow(dead_code)]
pub(crate) fn byte<Ctx: DeviceContext>(pdev: &pci::Device<Ctx>, offset: usize) -> Result<u8> {
    let dword = dword(pdev, offset & !3)?;
    // CAST: The shift leaves the byte in the low 8 bits.
    Ok((dword >> (8 * (offset & 3))) as u8)
}

/// Reads the first `N` bytes of `pdev`'s configuration space (`N` a multiple of 4).
#[allow(dead_code)]
pub(crate) fn bytes<Ctx: DeviceContext, const N: usize>(
    pdev: &pci::Device<Ctx>,
) -> Result<[u8; N]> {
    const { assert!(N % 4 == 0) };
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&dword(pdev, 4 * i)?.to_le_bytes());
    }
    Ok(out)
}

/// The size of `pdev`'s configuration space as the PCI core recorded it at enumeration
/// (`struct pci_dev::cfg_size`): 4096 for a device with extended configuration space, 256
/// otherwise.
#[allow(dead_code)]
pub(crate) fn space_size<Ctx: DeviceContext>(pdev: &pci::Device<Ctx>) -> usize {
    // CAST: As in `dword`.
    let raw = core::ptr::from_ref(pdev).cast::<bindings::pci_dev>();
    // SAFETY: `raw` is the valid `struct pci_dev` that `pdev` wraps, alive while it is borrowed;
    // the PCI core sets `cfg_size` at enumeration and does not change it while a driver is bound.
    let size = unsafe { (*raw).cfg_size };
    usize::try_from(size).unwrap_or(0)
}

/// The offset of `pdev`'s first extended capability with ID `id`, as the PCI core's own walker
/// (`pci_find_ext_capability()`) finds it, or 0 if there is none.
#[allow(dead_code)]
pub(crate) fn ext_capability<Ctx: DeviceContext>(pdev: &pci::Device<Ctx>, id: u16) -> usize {
    // CAST: As in `dword`.
    let raw = core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut();
    // SAFETY: `raw` is the valid `struct pci_dev` that `pdev` wraps, alive while it is borrowed.
    let offset = unsafe { bindings::pci_find_ext_capability(raw, id.into()) };
    usize::from(offset)
}

/// Writes the byte `value` at `offset` of `pdev`'s configuration space with the PCI core's
/// `pci_write_config_byte()`.
#[allow(dead_code)]
pub(crate) fn write_byte<Ctx: DeviceContext>(
    pdev: &pci::Device<Ctx>,
    offset: usize,
    value: u8,
) -> Result {
    let at = i32::try_from(offset)?;
    // CAST: As in `dword`.
    let raw = core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut();
    // SAFETY: `raw` is the valid `struct pci_dev` that `pdev` wraps, alive while it is borrowed.
    let ret = unsafe { bindings::pci_write_config_byte(raw, at, value) };
    if ret != 0 {
        return Err(EIO);
    }
    Ok(())
}
