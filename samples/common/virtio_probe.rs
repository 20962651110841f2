// SPDX-License-Identifier: GPL-2.0

//! What the virtio samples share of their driver: its declaration ([`sample_driver`]) and its
//! probe ([`probe`]): what comes before the device's bring-up, and the report of it all as the
//! probe's KTAP suite.
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

/// Declares a virtio sample's PCI driver `driver` for the modern virtio PCI device `device` (0x1040
/// plus the virtio device ID): its ID table, its `pci::Driver`, whose bound data is `data` and
/// whose probe is [`probe`] running the sample's `bring_up()` with the sample's `CASES` as the
/// suite's plan, and its module `name` with the parameters `intx` and `fault_walk` (`ktap.rs`).
macro_rules! sample_driver {
    (
        driver: $driver:ident,
        data: $data:ident,
        device: $device:literal,
        name: $name:tt,
        description: $description:tt $(,)?
    ) => {
        struct $driver;

        kernel::pci_device_table!(
            PCI_TABLE,
            <$driver as pci::Driver>::IdInfo,
            [(
                pci::DeviceId::from_id(pci::Vendor::REDHAT_QUMRANET, $device),
                ()
            )]
        );

        impl pci::Driver for $driver {
            type IdInfo = ();
            type Data<'bound> = $data<'bound>;
            const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

            fn probe<'bound>(
                pdev: &'bound pci::Device<Core<'_>>,
                _info: Option<&'bound Self::IdInfo>,
            ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
                pin_init::pin_init_scope(move || {
                    let names = ($name, concat!($name, "_intx"));
                    // A `Result` initializes what it holds, or fails with its error.
                    Ok($crate::virtio_probe::probe(pdev, names, &CASES, bring_up))
                })
            }
        }

        kernel::module_pci_driver! {
            type: $driver,
            name: $name,
            authors: ["The typed I/O project"],
            description: $description,
            license: "GPL v2",
            params: {
                intx: bool {
                    default: false,
                    description: "Use INTx even where MSI-X is available (tests the fallback)",
                },
                fault_walk: bool {
                    default: false,
                    description: "No KTAP, and any failed check fails the probe: the fault walk",
                },
            },
        }
    };
}
pub(crate) use sample_driver;
