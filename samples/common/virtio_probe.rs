// SPDX-License-Identifier: GPL-2.0

//! The probe that the virtio samples share: what comes before their device's bring-up, and the
//! report of it all as the probe's KTAP suite.
//!
//! A module that includes this file includes `ktap.rs` as `ktap`, and declares the module
//! parameter `intx`, which takes INTx even where MSI-X is available and gives the suite its other
//! name: the boot tests the fallback that way.

use crate::ktap::{
    self,
    Suite, //
};
use kernel::{
    device::{
        Bound,
        Core, //
    },
    dma::{
        Device as _,
        DmaMask, //
    },
    pci,
    prelude::*,
};

/// Probes `pdev`: enables its memory space, makes it a bus master, gives it a 64-bit DMA mask and
/// runs `bring_up` on it, all reported as a suite whose plan is `cases`, named `names.0`, or
/// `names.1` with the parameter `intx`. Returns what `bring_up` returns, or the first error
/// (see [`Suite::finish`]).
pub(crate) fn probe<'b, T>(
    pdev: &'b pci::Device<Core<'_>>,
    names: (&str, &str),
    cases: &[&str],
    bring_up: impl FnOnce(&'b pci::Device<Bound>, &mut Suite<'_>) -> Result<T>,
) -> Result<T> {
    pdev.enable_device_mem()?;
    pdev.set_master();
    ktap::document(1);
    let name = if crate::module_parameters::intx.value() {
        names.1
    } else {
        names.0
    };
    let mut suite = Suite::begin(1, name, cases);
    suite.note(fmt!("device {}", pdev.as_ref().name()));
    // SAFETY: Nothing else allocates or maps DMA memory for this device while it probes.
    let mask = unsafe { pdev.dma_set_mask_and_coherent(DmaMask::new::<64>()) };
    let result = suite
        .step("dma_mask_64_bits", mask)
        .and_then(|()| bring_up(pdev, &mut suite));
    suite.finish(result)
}
