// SPDX-License-Identifier: GPL-2.0

//! What the virtio samples share of their driver: its declaration ([`sample_driver`]) and its
//! probe ([`probe`]): what comes before the device's bring-up, and the report of it all as the
//! probe's KTAP suite.
//!
//! A module that includes this file includes `ktap.rs` as `ktap`, and declares the module
//! parameter `intx`, which takes INTx even where MSI-X is available and gives the suite its other
//! name: the boot tests the fallback that way.
//!
//! With the parameter `hotplug` (the hotplug stage, `tests/harness/hotplug.sh`), the suite is
//! quiet and strict (`ktap.rs`), and each probe prints one line instead, `hotplug: probe BDF #N:`
//! with its verdict, `N` counting the module's probes from 1: the module drives one device there,
//! which QEMU removes and adds back. The driver's data reports the removal of binding `#N`
//! (`hotplug: unbind BDF #N: agrees: ...`), with what the device served while it was bound.

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
    str::CString,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// How many times the module's driver began a probe.
static PROBES: Atomic<u32> = Atomic::new(0);

/// In the hotplug stage, the number of the binding being probed or bound: `N` of its `hotplug:`
/// lines.
pub(crate) fn hotplug_binding() -> Option<u32> {
    crate::module_parameters::hotplug
        .value()
        .then(|| PROBES.load(Relaxed))
}

/// Probes `pdev`: enables its memory space, makes it a bus master, gives it a 64-bit DMA mask and
/// runs `bring_up` on it, all reported as a suite whose plan is `cases`, named `names.0`, or
/// `names.1` with the parameter `intx`. Returns what `bring_up` returns, or the first error
/// (see [`Suite::finish`]). With `hotplug`, prints the probe's line (see the module's
/// documentation).
pub(crate) fn probe<'b, T>(
    pdev: &'b pci::Device<Core<'_>>,
    names: (&str, &str),
    cases: &[&str],
    bring_up: impl FnOnce(&'b pci::Device<Bound>, &mut Suite<'_>) -> Result<T>,
) -> Result<T> {
    let number = PROBES.fetch_add(1, Relaxed).wrapping_add(1);
    if crate::module_parameters::hotplug.value() {
        ktap::quiet_and_strict();
        let result = probe_device(pdev, names, cases, bring_up);
        match &result {
            Ok(_) => pr_info!(
                "hotplug: probe {} #{}: I/O checks passed\n",
                pdev.as_ref().name(),
                number
            ),
            Err(err) => pr_info!(
                "hotplug: probe {} #{}: FAILED with {:?}\n",
                pdev.as_ref().name(),
                number,
                err
            ),
        }
        return result;
    }
    probe_device(pdev, names, cases, bring_up)
}

/// [`probe`]'s work: the suite and the bring-up.
fn probe_device<'b, T>(
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
/// suite's plan, and its module `name` with the parameters `intx`, `fault_walk` (`ktap.rs`) and
/// `hotplug`, and the sample's own `params`, if any.
macro_rules! sample_driver {
    (
        driver: $driver:ident,
        data: $data:ident,
        device: $device:literal,
        name: $name:tt,
        description: $description:tt
        $(, params: { $($params:tt)* })? $(,)?
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
                hotplug: bool {
                    default: false,
                    description: "A line per probe and per removal instead of KTAP: the hotplug stage",
                },
                $($($params)*)?
            },
        }
    };
}
pub(crate) use sample_driver;

/// The hotplug stage's record of one binding (see the module's documentation): its number, its
/// device's name, and how many requests the device had served when the probe ended.
pub(crate) struct HotplugBinding {
    number: u32,
    device: CString,
    served_at_probe: u32,
}

impl HotplugBinding {
    /// In the hotplug stage, the record of the binding of `pdev` being probed, whose device has
    /// served `served` requests so far; `None` otherwise.
    pub(crate) fn new(pdev: &pci::Device<Bound>, served: u32) -> Result<Option<Self>> {
        let Some(number) = hotplug_binding() else {
            return Ok(None);
        };
        Ok(Some(HotplugBinding {
            number,
            device: CString::try_from_fmt(fmt!("{}", pdev.as_ref().name()))?,
            served_at_probe: served,
        }))
    }

    /// Reports the removal, once the driver has stopped taking requests: the device has served
    /// `served` requests since it was bound (counted as in [`new`](Self::new)), `outstanding`
    /// of them have not come back, and `reset` is how resetting the device went. The driver
    /// and the device agree when nothing is outstanding and the device acknowledged the reset
    /// (it was still there while its driver let it go, as a removal that QEMU announces leaves
    /// it); the harness wants requests served too, which is the guest's load.
    pub(crate) fn report(&self, served: u32, outstanding: usize, reset: Result<u32>) {
        let verdict = if outstanding == 0 && reset.is_ok() {
            "agrees"
        } else {
            "DISAGREES"
        };
        pr_info!(
            "hotplug: unbind {} #{}: {}: served {}, outstanding {}, reset {:?}\n",
            &*self.device,
            self.number,
            verdict,
            served.wrapping_sub(self.served_at_probe),
            outstanding,
            reset
        );
    }
}
