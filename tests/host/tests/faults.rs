// SPDX-License-Identifier: GPL-2.0

//! The fault walks of `tests/common/fault_walk.rs` on the host, plain and under Miri: each
//! runtime-checked path of the `Io` API with a failure at each of its accesses in turn. The
//! KUnit suite `io_fault_walk` runs the same walks in the kernel.
//!
//! Under Miri a walk also proves that no failure makes the layer read bytes the bus never gave:
//! the test bus writes nothing into a caller's buffer when it fails, so a value assembled from
//! such a buffer would be uninitialized memory, which Miri reports.

#[path = "../../common/fault_walk.rs"]
mod fault_walk;

use fault_walk::{FaultPlan, WALKS};

/// Runs the walk `name` of [`WALKS`] and returns its failure points.
fn walk(name: &str) -> usize {
    let (_, walk) = WALKS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a walk of that name");
    let plan = FaultPlan::new();
    walk(&plan).unwrap_or_else(|broken| panic!("walk {name}: {broken:?}"))
}

#[test]
fn offset_accessors() {
    // Four widths (three on 32-bit hosts), read and write, one access each.
    let widths = if cfg!(target_pointer_width = "64") {
        4
    } else {
        3
    };
    assert_eq!(walk("offset_accessors"), widths * 2);
}

#[test]
fn values_and_locations() {
    assert_eq!(walk("values_and_locations"), 6);
}

#[test]
fn update() {
    assert_eq!(walk("update"), 2);
}

#[test]
fn copies() {
    assert_eq!(walk("copies"), 4);
}

#[test]
fn view_to_view() {
    // Three moves of 600 bytes, each three chunks read and written.
    assert_eq!(walk("view_to_view"), 18);
}

#[test]
fn capability_list() {
    // Found after six reads; not found after seven.
    assert_eq!(walk("capability_list"), 13);
}

#[test]
fn address_arithmetic() {
    assert_eq!(walk("address_arithmetic"), 0);
}

#[test]
fn plain_accessors() {
    // read32, write32, 4 FIFO reads, 4 FIFO writes, 2 + 2 split reads, 2 split writes, a fill.
    assert_eq!(walk("plain_accessors"), 1 + 1 + 4 + 4 + 2 + 2 + 2 + 1);
}

#[test]
fn dead_device() {
    assert_eq!(walk("dead_device"), 8);
}

/// Every walk of the shared file has its test here.
#[test]
fn every_walk_is_tested() {
    let tested = [
        "offset_accessors",
        "values_and_locations",
        "update",
        "copies",
        "view_to_view",
        "capability_list",
        "address_arithmetic",
        "plain_accessors",
        "dead_device",
    ];
    let names: Vec<&str> = WALKS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, tested);
}
