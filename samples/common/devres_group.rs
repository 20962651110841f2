// SPDX-License-Identifier: GPL-2.0

//! A group of a device's managed resources (`devres_open_group()`), for drivers and tests that
//! show what unbinding does to a managed resource without unbinding: releasing the group runs the
//! same release callbacks that `devres_release_all()` runs at unbind, for the group's resources
//! only.

use kernel::{
    bindings,
    device::Bound,
    ffi::c_void,
    pci,
    prelude::*, //
};

/// A group of the device's managed resources: what is added to them while it is open, and only
/// that, is released by [`release`](DevresGroup::release), through the release callbacks that
/// `devres_release_all()` runs when the driver unbinds.
pub(crate) struct DevresGroup<'a> {
    pdev: &'a pci::Device<Bound>,
    id: *mut c_void,
}

impl<'a> DevresGroup<'a> {
    /// The `struct device` of the PCI device.
    fn raw_device(&self) -> *mut bindings::device {
        let raw = core::ptr::from_ref(self.pdev)
            .cast::<bindings::pci_dev>()
            .cast_mut();
        // SAFETY: `raw` is the bound device that `pdev` wraps; this only computes the address of
        // its `struct device`.
        unsafe { core::ptr::addr_of_mut!((*raw).dev) }
    }

    pub(crate) fn open(pdev: &'a pci::Device<Bound>) -> Result<Self> {
        let mut group = Self {
            pdev,
            id: core::ptr::null_mut(),
        };
        // SAFETY: The device is bound; a null ID makes the group's own address its ID.
        let id = unsafe {
            bindings::devres_open_group(
                group.raw_device(),
                core::ptr::null_mut(),
                bindings::GFP_KERNEL,
            )
        };
        if id.is_null() {
            // Nothing to release.
            core::mem::forget(group);
            return Err(ENOMEM);
        }
        group.id = id;
        Ok(group)
    }

    /// Releases the group's resources, the newest first, and returns how many there were.
    pub(crate) fn release(self) -> i32 {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: The group was opened on this device and is released once: `self` is consumed
        // and not dropped.
        unsafe { bindings::devres_release_group(this.raw_device(), this.id) }
    }
}

impl Drop for DevresGroup<'_> {
    fn drop(&mut self) {
        // SAFETY: As for `release`; a group that was not released is released here.
        unsafe { bindings::devres_release_group(self.raw_device(), self.id) };
    }
}
