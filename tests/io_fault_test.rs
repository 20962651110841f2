// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `io_fault_walk`: the layer's runtime-checked paths with a failure at each of their
//! accesses in turn, on the fault-injecting backend of `common/fault_walk.rs`.
//!
//! Each case runs one walk of that file: every `try_` accessor, value and location accessor,
//! `try_update`, the `try_` copies and view-to-view moves, a capability-list walk as a driver
//! writes one, the address arithmetic that makes no access, the plain accessors (which go on past
//! a failure with all ones, as on a dead bus) and a device that stops answering. A case fails on
//! the first promise a walk finds broken, and on a number of failure points other than the one
//! the path has: a path that made an access more or fewer than it should is a finding too. Each
//! prints how many failure points it walked. The host tests run the same walks, also under Miri
//! (`tests/host/tests/faults.rs`).

use kernel::prelude::*;

#[path = "common/fault_walk.rs"]
mod fault_walk;

#[kunit_tests(io_fault_walk)]
mod walks {
    use kernel::prelude::*;

    use crate::fault_walk::{
        FaultPlan,
        WalkFn,
        WALKS, //
    };

    /// Runs the walk `name` of [`WALKS`] and checks that it walked `points` failure points.
    fn run(name: &str, points: usize) -> Result {
        let (_, walk): &(&str, WalkFn) = WALKS.iter().find(|(n, _)| *n == name).ok_or(EINVAL)?;
        let plan = FaultPlan::new();
        match walk(&plan) {
            Ok(walked) => {
                pr_info!("    # {}: {} failure points walked\n", name, walked);
                if walked != points {
                    pr_err!("    # {}: expected {} failure points\n", name, points);
                    return Err(EINVAL);
                }
                Ok(())
            }
            Err(broken) => {
                pr_err!("    # {}: promise broken: {:?}\n", name, broken);
                Err(EINVAL)
            }
        }
    }

    #[test]
    fn offset_accessors() -> Result {
        // Four widths (three without 64-bit accesses), read and written, one access each.
        run("offset_accessors", if cfg!(CONFIG_64BIT) { 8 } else { 6 })
    }

    #[test]
    fn values_and_locations() -> Result {
        run("values_and_locations", 6)
    }

    #[test]
    fn update() -> Result {
        run("update", 2)
    }

    #[test]
    fn copies() -> Result {
        run("copies", 4)
    }

    #[test]
    fn view_to_view() -> Result {
        // Three moves of 600 bytes, each three chunks read and written.
        run("view_to_view", 18)
    }

    #[test]
    fn capability_list() -> Result {
        // Found after six reads, not found after seven.
        run("capability_list", 13)
    }

    #[test]
    fn address_arithmetic() -> Result {
        run("address_arithmetic", 0)
    }

    #[test]
    fn plain_accessors() -> Result {
        // read32, write32, four FIFO reads and writes, two split reads of two halves, a split
        // write, a fill.
        run("plain_accessors", 1 + 1 + 4 + 4 + 2 + 2 + 2 + 1)
    }

    #[test]
    fn dead_device() -> Result {
        run("dead_device", 8)
    }
}

struct IoFaultTest;

impl kernel::Module for IoFaultTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoFaultTest)
    }
}

module! {
    type: IoFaultTest,
    name: "io_fault_test",
    authors: ["The typed I/O project"],
    description: "KUnit suite: the runtime-checked I/O paths with a failure at each access in turn",
    license: "GPL v2",
}
