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
//!
//! # The plan
//!
//! As KUnit does, a suite declares its cases up front: [`Suite::begin`] takes the list of their
//! names, in the order they are reported, and prints the plan `1..N` from it before any result.
//! Case names made from a parameter come from a table known before the suite starts, and
//! [`join`] puts a list together from such tables at build time. The results then always match
//! the plan:
//!
//! - each case reported ([`Suite::run`], [`Suite::case`], [`Suite::skip`]) must be the next
//!   planned one, by name. One reported ahead of its turn takes its own place, and each planned
//!   case it passed over is reported as not run, a failure;
//! - a case that is not in the rest of the plan (a name that is not planned, or is planned
//!   earlier, or any case once all are reported) has no place left: it fails the suite, with
//!   diagnostics saying what the plan expected instead. It takes no result number, so that one
//!   unplanned case does not shift the planned ones after it out of their places;
//! - when the suite ends, every planned case that was not reported is reported as not run, a
//!   failure, with the reason: the step (or the error) that stopped the suite, or that it ended
//!   early.
//!
//! So a case that never runs is a visible failure, and any drift between a driver's code and its
//! list of cases fails the suite.
//!
//! # The fault walk
//!
//! The harness binds each driver again and again with one allocation failing each time
//! (`Documentation/testing.rst`), after loading its module with `fault_walk=1`, a parameter that
//! every module including this file declares. Then nothing is printed (the walk's hundreds of
//! probes would flood the console), and a suite that does not pass makes its [`suite`] and
//! [`probe_suite`] fail with the first error that stopped it or failed one of its cases, so that a
//! probe in which anything failed ends in an error, never in a device bound after a failure.
//!
//! A driver whose probe runs its suite in the hotplug stage, twenty times a device, asks for the
//! same with [`quiet_and_strict`], and prints one line per probe of its own.

use kernel::{
    fmt::Display,
    prelude::*,
    str::CString,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// Set by [`quiet_and_strict`].
static QUIET_AND_STRICT: Atomic<bool> = Atomic::new(false);

/// From now on, the module's suites print nothing and fail the probe that runs them if they do not
/// pass, as in the fault walk.
#[allow(
    dead_code,
    reason = "the virtio samples call it; the other modules have no need"
)]
pub(crate) fn quiet_and_strict() {
    QUIET_AND_STRICT.store(true, Relaxed);
}

/// Whether the harness's fault walk loaded the module, or it asked for the same (see the module's
/// documentation).
pub(crate) fn walking() -> bool {
    crate::module_parameters::fault_walk.value() || QUIET_AND_STRICT.load(Relaxed)
}

/// Prints a KTAP line, unless the module is [`walking`].
macro_rules! say {
    ($($arg:tt)*) => {
        if !walking() {
            pr_info!($($arg)*);
        }
    };
}

/// Starts a KTAP document that holds `suites` suites.
pub(crate) fn document(suites: usize) {
    say!("KTAP version 1\n");
    say!("1..{}\n", suites);
}

/// Runs suite `name`, the `number`th (counted from 1) of its document, whose plan is `cases`
/// (see [`Suite::begin`]): `exercise` records its cases and steps. An error that `exercise`
/// returns (a step that failed, or anything else that made it give up) fails the suite, and is
/// returned.
pub(crate) fn suite(
    number: usize,
    name: &str,
    cases: &[&str],
    exercise: impl FnOnce(&mut Suite<'_>) -> Result,
) -> Result {
    let mut suite = Suite::begin(number, name, cases);
    let result = exercise(&mut suite);
    suite.finish(result)
}

/// Reports the checks of a driver's probe as a KTAP document of one suite, `name`, whose plan is
/// `cases`: a note naming `device`, then the cases `exercise` records. Returns `exercise`'s
/// result, so a probe whose set-up fails fails too; a failed check fails its case and the suite,
/// not the probe.
#[allow(dead_code)] // Not every module that includes this file has a probe to report.
pub(crate) fn probe_suite(
    name: &str,
    device: &kernel::device::Device,
    cases: &[&str],
    exercise: impl FnOnce(&mut Suite<'_>) -> Result,
) -> Result {
    document(1);
    suite(1, name, cases, |suite| {
        suite.note(fmt!("device {}", device.name()));
        exercise(suite)
    })
}

/// Joins lists of case names into one of `N` names, at build time: a suite's plan, put together
/// from lists that are also used on their own, or from the names of a table of parameters. The
/// build fails unless the lists hold exactly `N` names.
#[allow(dead_code)] // Not every module that includes this file puts a plan together.
pub(crate) const fn join<const N: usize>(lists: &[&[&'static str]]) -> [&'static str; N] {
    let mut cases = [""; N];
    let mut n = 0;
    let mut list = 0;
    while list < lists.len() {
        let mut i = 0;
        while i < lists[list].len() {
            assert!(
                n < N,
                "the lists hold more case names than the plan's length"
            );
            cases[n] = lists[list][i];
            n += 1;
            i += 1;
        }
        list += 1;
    }
    assert!(
        n == N,
        "the lists hold fewer case names than the plan's length"
    );
    cases
}

/// One suite of a KTAP document: a `# Subtest:` line and its plan, one result line per planned
/// case, and the suite's own result line once [`end`](Suite::end) is called.
pub(crate) struct Suite<'a> {
    name: &'a str,
    number: usize,
    /// The plan: the names of the cases, in the order they are reported.
    cases: &'a [&'a str],
    /// How many of `cases` have their result line: `cases[done]` is the next to report.
    done: usize,
    /// Planned cases reported `not ok`, those that did not run among them.
    failed: usize,
    /// Planned cases that did not run: passed over, or left when the suite ended.
    not_run: usize,
    /// Cases reported out of plan.
    unplanned: usize,
    /// What stopped the suite before all its cases ran, if something did.
    stopped: Option<Stopped>,
    /// The error of the first case that failed.
    failed_with: Option<Error>,
}

/// What stopped a suite before all its cases ran.
struct Stopped {
    err: Error,
    /// The step that failed, if one did (and its name could be kept).
    step: Option<CString>,
}

/// What became of a reported case.
enum Outcome<'r> {
    Passed,
    Failed(Error),
    /// Skipped, for the reason given.
    Skipped(&'r str),
}

impl<'a> Suite<'a> {
    /// Starts suite `name`, the `number`th (counted from 1) of its document, whose cases are
    /// `cases`, in the order they are reported; prints its plan. A suite without cases fails: a
    /// check that never ran proves nothing.
    pub(crate) fn begin(number: usize, name: &'a str, cases: &'a [&'a str]) -> Self {
        say!("    KTAP version 1\n");
        say!("    # Subtest: {}\n", name);
        say!("    1..{}\n", cases.len());
        Suite {
            name,
            number,
            cases,
            done: 0,
            failed: 0,
            not_run: 0,
            unplanned: 0,
            stopped: None,
            failed_with: None,
        }
    }

    /// The error that stopped the suite, or else the one its first failed case failed with.
    fn first_error(&self) -> Option<Error> {
        self.stopped.as_ref().map(|s| s.err).or(self.failed_with)
    }

    /// Prints a diagnostic line within the suite.
    pub(crate) fn note(&self, args: core::fmt::Arguments<'_>) {
        say!("    # {}\n", args);
    }

    /// Records the outcome of check `name`, the next planned case, and returns whether the check
    /// passed. A case out of plan fails the suite whatever its outcome (see the module's rules of
    /// the plan).
    pub(crate) fn case(&mut self, name: &str, result: Result) -> bool {
        let passed = result.is_ok();
        self.report(
            name,
            match result {
                Ok(()) => Outcome::Passed,
                Err(err) => Outcome::Failed(err),
            },
        );
        passed
    }

    /// Records check `name`, the next planned case, as one that cannot run here, and why: it is
    /// reported as skipped, and neither passes nor fails.
    #[allow(dead_code)] // Only some modules, on some architectures, skip a case.
    pub(crate) fn skip(&mut self, name: &str, reason: &str) {
        self.report(name, Outcome::Skipped(reason));
    }

    /// Records a step: something the checks need done (a BAR mapped, a buffer allocated, a view
    /// made) or undone, which is not a check itself. It is printed as a diagnostic and is not
    /// counted; if it failed, the suite fails, the planned cases not reported by its end are
    /// reported as not run because of it, and its result passes through so that the caller can
    /// give up with `?`.
    #[allow(dead_code)] // Not every module that includes this file has steps.
    pub(crate) fn step<T>(&mut self, name: impl Display, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                say!("    # step {}: done\n", name);
                Ok(value)
            }
            Err(err) => {
                say!("    # step {}: failed with {:?}\n", name, err);
                if self.stopped.is_none() {
                    self.stopped = Some(Stopped {
                        err,
                        step: CString::try_from_fmt(fmt!("{}", name)).ok(),
                    });
                }
                Err(err)
            }
        }
    }

    /// Fails the suite: `err` stopped it before all its checks ran. The first error is kept.
    pub(crate) fn stop(&mut self, err: Error) {
        self.stopped.get_or_insert(Stopped { err, step: None });
    }

    /// Ends the suite with `result`, the outcome of what ran its cases: an error stops it (see
    /// [`stop`](Suite::stop)) before it [`end`](Suite::end)s. Returns `result`, but when the
    /// module is [`walking`] and the suite did not pass, the first error that stopped it or failed
    /// one of its cases (see the module's documentation).
    pub(crate) fn finish<T>(mut self, result: Result<T>) -> Result<T> {
        if let Err(err) = &result {
            self.stop(*err);
        }
        let first_error = self.first_error();
        let passed = self.end();
        match result {
            Ok(_) if walking() && !passed => Err(first_error.unwrap_or(EINVAL)),
            result => result,
        }
    }

    /// Runs `check` as case `name`, the next planned one; see [`case`](Suite::case).
    pub(crate) fn run(&mut self, name: &str, check: impl FnOnce() -> Result) -> bool {
        let result = check();
        self.case(name, result)
    }

    /// Reports case `name` at its place in the plan, after the planned cases it passed over, or
    /// as a case out of plan.
    fn report(&mut self, name: &str, outcome: Outcome<'_>) {
        let Some(ahead) = self.cases[self.done..]
            .iter()
            .position(|&case| case == name)
        else {
            self.out_of_plan(name, outcome);
            return;
        };
        for _ in 0..ahead {
            self.not_run(fmt!("{} was reported before it", name));
        }
        self.done += 1;
        match outcome {
            Outcome::Passed => say!("    ok {} {}\n", self.done, name),
            Outcome::Skipped(reason) => {
                say!("    ok {} {} # SKIP {}\n", self.done, name, reason)
            }
            Outcome::Failed(err) => {
                self.failed += 1;
                self.failed_with.get_or_insert(err);
                say!("    # {}: failed with {:?}\n", name, err);
                say!("    not ok {} {}\n", self.done, name);
            }
        }
    }

    /// Fails the suite for case `name`, which is not in the rest of the plan: it has no place to
    /// take, so it is reported in diagnostics only.
    fn out_of_plan(&mut self, name: &str, outcome: Outcome<'_>) {
        self.unplanned += 1;
        let what = match outcome {
            Outcome::Passed => "passed",
            Outcome::Skipped(_) => "skipped",
            Outcome::Failed(err) => {
                say!("    # {}: failed with {:?}\n", name, err);
                "failed"
            }
        };
        match self.cases.get(self.done) {
            Some(next) => say!(
                "    # {}: out of plan ({}): expected case {}, {}\n",
                name,
                what,
                self.done + 1,
                next
            ),
            None => say!(
                "    # {}: out of plan ({}): expected no more cases, all {} were reported\n",
                name,
                what,
                self.cases.len()
            ),
        }
    }

    /// Reports the next planned case as not run, a failure, for reason `why`.
    fn not_run(&mut self, why: core::fmt::Arguments<'_>) {
        let name = self.cases[self.done];
        self.done += 1;
        self.failed += 1;
        self.not_run += 1;
        say!("    # {}: not run ({})\n", name, why);
        say!("    not ok {} {}\n", self.done, name);
    }

    /// Ends the suite: reports the planned cases not reported yet as not run, then the suite's
    /// result line; returns whether the suite passed.
    ///
    /// A suite fails if a case failed or did not run, if a case was reported out of plan, if a
    /// failed step or an error stopped it, or if it has no case.
    pub(crate) fn end(mut self) -> bool {
        let reported = self.done;
        let stopped = self.stopped.take();
        while self.done < self.cases.len() {
            match &stopped {
                Some(Stopped {
                    err,
                    step: Some(step),
                }) => self.not_run(fmt!("step {} failed with {:?}", &**step, err)),
                Some(Stopped { err, step: None }) => {
                    self.not_run(fmt!("the suite stopped with {:?}", err))
                }
                None => self.not_run(fmt!("the suite ended early")),
            }
        }
        let total = self.cases.len();
        let passed = self.failed == 0 && self.unplanned == 0 && stopped.is_none() && total > 0;
        if passed {
            say!("ok {} {}\n", self.number, self.name);
            return true;
        }
        if let Some(Stopped { err, .. }) = stopped {
            say!(
                "# {}: stopped with {:?} after {} of {} cases\n",
                self.name,
                err,
                reported,
                total
            );
        }
        if total == 0 {
            say!("# {}: no cases planned\n", self.name);
        }
        if self.failed > 0 || self.unplanned > 0 {
            say!(
                "# {}: {} of {} cases failed ({} not run); {} reported out of plan\n",
                self.name,
                self.failed,
                total,
                self.not_run,
                self.unplanned
            );
        }
        say!("not ok {} {}\n", self.number, self.name);
        false
    }
}
