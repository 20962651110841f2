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
//! fail one); [`Suite::case`] turns its outcome into an `ok`/`not ok` line. What the checks need
//! first (a mapped BAR, an allocation, a view to work on) is a step, not a check: [`Suite::step`]
//! prints it as a diagnostic, counts nothing, and fails the suite if it fails.

use kernel::{
    fmt::Display,
    prelude::*, //
};

/// Starts a KTAP document that holds `suites` suites.
pub(crate) fn document(suites: usize) {
    pr_info!("KTAP version 1\n");
    pr_info!("1..{}\n", suites);
}

/// Runs suite `name`, the `number`th (counted from 1) of its document: `exercise` records its
/// cases and steps. An error that `exercise` returns (a step that failed, or anything else that
/// made it give up) fails the suite, and is returned.
pub(crate) fn suite(
    number: usize,
    name: &str,
    exercise: impl FnOnce(&mut Suite<'_>) -> Result,
) -> Result {
    let mut suite = Suite::begin(number, name);
    let result = exercise(&mut suite);
    if let Err(err) = result {
        suite.stop(err);
    }
    suite.end();
    result
}

/// Reports the checks of a driver's probe as a KTAP document of one suite, `name`: a note naming
/// `device`, then the cases `exercise` records. Returns `exercise`'s result, so a probe whose
/// set-up fails fails too; a failed check fails its case and the suite, not the probe.
#[allow(dead_code)] // Not every module that includes this file has a probe to report.
pub(crate) fn probe_suite(
    name: &str,
    device: &kernel::device::Device,
    exercise: impl FnOnce(&mut Suite<'_>) -> Result,
) -> Result {
    document(1);
    suite(1, name, |suite| {
        suite.note(fmt!("device {}", device.name()));
        exercise(suite)
    })
}

/// One suite of a KTAP document: a `# Subtest:` line, one result line per case, and the suite's
/// own result line once [`end`](Suite::end) is called.
pub(crate) struct Suite<'a> {
    name: &'a str,
    number: usize,
    cases: usize,
    failed: usize,
    /// The error that stopped the suite before all its checks ran, if one did.
    stopped: Option<Error>,
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
            stopped: None,
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

    /// Records a check that cannot run here, and why, as a skipped case: it is reported, but
    /// neither passes nor fails.
    #[allow(dead_code)]
    pub(crate) fn skip(&mut self, name: impl Display, reason: &str) {
        self.cases += 1;
        pr_info!("    ok {} {} # SKIP {}\n", self.cases, name, reason);
    }

    /// Records a step: something the checks need done (a BAR mapped, a buffer allocated, a view
    /// made) or undone, which is not a check itself. It is printed as a diagnostic and is not
    /// counted; if it failed, the suite fails, and its result passes through so that the caller
    /// can give up with `?`.
    #[allow(dead_code)]
    pub(crate) fn step<T>(&mut self, name: impl Display, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                pr_info!("    # step {}: done\n", name);
                Ok(value)
            }
            Err(err) => {
                pr_info!("    # step {}: failed with {:?}\n", name, err);
                self.stop(err);
                Err(err)
            }
        }
    }

    /// Fails the suite: `err` stopped it before all its checks ran. The first error is kept.
    pub(crate) fn stop(&mut self, err: Error) {
        self.stopped.get_or_insert(err);
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
    /// A suite that a failed step stopped fails, and so does a suite without a single case: a
    /// check that never ran proves nothing.
    pub(crate) fn end(self) -> bool {
        pr_info!("    1..{}\n", self.cases);
        let passed = self.failed == 0 && self.cases > 0 && self.stopped.is_none();
        if passed {
            pr_info!("ok {} {}\n", self.number, self.name);
            return true;
        }
        if let Some(err) = self.stopped {
            pr_info!(
                "# {}: stopped with {:?} after {} cases\n",
                self.name,
                err,
                self.cases
            );
        }
        if self.stopped.is_none() || self.failed > 0 {
            pr_info!(
                "# {}: {} of {} cases failed\n",
                self.name,
                self.failed,
                self.cases
            );
        }
        pr_info!("not ok {} {}\n", self.number, self.name);
        false
    }
}
