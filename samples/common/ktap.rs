// SPDX-License-Identifier: GPL-2.0

//! A small KTAP writer for modules that report their own results.
//!
//! KUnit prints KTAP for `#[kunit_tests]` suites, but a driver that checks a device while probing
//! it runs outside any KUnit test. Such a driver prints the same format itself: a document per
//! probe holding one or more suites, each with one result line per check. Every line goes through
//! `pr_info!`, behind the module's `name: ` prefix; the harness strips that prefix for the
//! modules it loads (`tests/harness/ktap.py`).
//!
//! A check is a function or closure returning [`Result`] (see `check.rs` for the macros that
//! fail one); [`Suite::case`] turns its outcome into an `ok`/`not ok` line.

use kernel::{
    fmt::Display,
    prelude::*, //
};

/// Starts a KTAP document that holds `suites` suites.
pub(crate) fn document(suites: usize) {
    pr_info!("KTAP version 1\n");
    pr_info!("1..{}\n", suites);
}

/// Reports the checks of a driver's probe as a KTAP document of one suite, `name`: a note naming
/// `device`, then the cases `exercise` records. Returns `exercise`'s result, so a probe that
/// fails a check fails too.
#[allow(dead_code)] // Not every module that includes this file has a probe to report.
pub(crate) fn probe_suite(
    name: &str,
    device: &kernel::device::Device,
    exercise: impl FnOnce(&mut Suite<'_>) -> Result,
) -> Result {
    document(1);
    let mut suite = Suite::begin(1, name);
    suite.note(fmt!("device {}", device.name()));
    let result = exercise(&mut suite);
    suite.end();
    result
}

/// One suite of a KTAP document: a `# Subtest:` line, one result line per case, and the suite's
/// own result line once [`end`](Suite::end) is called.
pub(crate) struct Suite<'a> {
    name: &'a str,
    number: usize,
    cases: usize,
    failed: usize,
}

impl<'a> Suite<'a> {
    /// Starts suite `name`, the `number`th (counted from 1) of its document.
    pub(crate) fn begin(number: usize, name: &'a str) -> Self {
        pr_info!("    KTAP version 1\n");
        pr_info!("    # Subtest: {}\n", name);
        Suite {
            name,
            number,
            cases: 0,
            failed: 0,
        }
    }

    /// Prints a diagnostic line within the suite.
    pub(crate) fn note(&self, args: core::fmt::Arguments<'_>) {
        pr_info!("    # {}\n", args);
    }

    /// Records the outcome of one check and returns whether it passed.
    pub(crate) fn case(&mut self, name: impl Display, result: Result) -> bool {
        self.cases += 1;
        match result {
            Ok(()) => {
                pr_info!("    ok {} {}\n", self.cases, name);
                true
            }
            Err(err) => {
                self.failed += 1;
                pr_info!("    # {}: failed with {:?}\n", name, err);
                pr_info!("    not ok {} {}\n", self.cases, name);
                false
            }
        }
    }

    /// Records a step whose value the caller goes on with, and passes its result through.
    #[allow(dead_code)]
    pub(crate) fn step<T>(&mut self, name: impl Display, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.case(name, Ok(()));
                Ok(value)
            }
            Err(err) => {
                self.case(name, Err(err));
                Err(err)
            }
        }
    }

    /// Runs `check` as a case named `name`; see [`case`](Suite::case).
    pub(crate) fn run(&mut self, name: impl Display, check: impl FnOnce() -> Result) -> bool {
        let result = check();
        self.case(name, result)
    }

    /// Returns whether every case so far passed.
    #[allow(dead_code)]
    pub(crate) fn passed(&self) -> bool {
        self.failed == 0
    }

    /// Ends the suite with its plan and result line; returns whether it passed.
    ///
    /// A suite without a single case fails: a check that never ran proves nothing.
    pub(crate) fn end(self) -> bool {
        pr_info!("    1..{}\n", self.cases);
        let passed = self.failed == 0 && self.cases > 0;
        if passed {
            pr_info!("ok {} {}\n", self.number, self.name);
        } else {
            pr_info!(
                "# {}: {} of {} cases failed\n",
                self.name,
                self.failed,
                self.cases
            );
            pr_info!("not ok {} {}\n", self.number, self.name);
        }
        passed
    }
}
