// SPDX-License-Identifier: GPL-2.0

//! Loops on every CPU, for as long as a device is bound: a [`LoopBody`] run round after round in
//! [`CONTEXTS`] work items, one per online CPU (`smp.rs`, which a module including this file
//! includes too, as `smp`), until a round meets a revoked handle (`ENXIO`) or the loops are
//! stopped.
//!
//! The body is owned and shared through an [`Arc`], so the loops can outlive the probe that
//! starts them. A [`Loops`] flushes them when it is stopped or dropped: no loop runs past its
//! owner, and none runs module code after the module is gone. [`LoopsAtRelease`] ties the stop to
//! the device's managed resources: registered before the handles the body uses, it is released
//! after devres has revoked them, so each loop meets the revocation while it runs, and the loops
//! are stopped before unbinding returns.

use kernel::{
    prelude::*,
    str::CString,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        Arc,
        SetOnce, //
    },
    time::{
        delay::fsleep,
        Delta, //
    },
    workqueue::{
        impl_has_work,
        Work,
        WorkItem, //
    },
};

use crate::smp::{
    flush,
    online_cpus,
    queue_on,
    CONTEXTS, //
};

/// The I/O that [`Loops`] run, round after round, on state shared with the driver.
pub(crate) trait LoopBody: Send + Sync + 'static {
    /// How many revocable handles the body uses (at most 32).
    const HANDLES: u32;

    /// One round of context `ctx`'s accesses, each through a revocable handle. Fails with
    /// `ENXIO` when a handle refuses access (it was revoked): the loop then watches the handles
    /// until all are revoked, and ends. Any other error is a failed check, which ends it too.
    fn round(&self, ctx: usize) -> Result;

    /// Tries every revocable handle, each in every way the driver can; returns the handles that
    /// granted access in any of them, as a mask (bit `i` for handle `i`).
    fn granted(&self) -> u32;
}

/// How many times a loop tries the handles again once all have refused access.
const CONFIRM: u32 = 3;
/// The pause between two rounds, so that the loops leave the CPUs to the rest of the guest: a
/// loop still makes hundreds of rounds in the seconds a removal takes.
const PAUSE: Delta = Delta::from_millis(2);

/// What became of one loop.
struct LoopState {
    rounds: Atomic<u64>,
    /// It saw every handle revoked.
    revoked: Atomic<bool>,
    /// Once a round found one revoked: the handles that refused access when tried, and those
    /// that granted it after they had refused it.
    refused: Atomic<u32>,
    granted: Atomic<u32>,
    /// The errno of a failed round other than a revoked handle, or 0.
    error: Atomic<i32>,
    /// It ran and returned.
    finished: Atomic<bool>,
}

/// The state that all loops of a [`Loops`] share.
struct Shared<B> {
    body: B,
    stop: Atomic<bool>,
}

/// One loop: a work item that runs the body until it is told to stop or meets a revoked handle.
#[pin_data]
struct Looper<B> {
    #[pin]
    work: Work<Looper<B>>,
    shared: Arc<Shared<B>>,
    ctx: usize,
    state: LoopState,
}

impl_has_work! {
    impl{B} HasWork<Self> for Looper<B> { self.work }
}

impl<B: LoopBody> Looper<B> {
    /// A handle refused access: devres revokes the driver's handles one after the other, so
    /// this watches them until every one has refused access (or the loops are told to stop,
    /// which devres does only after revoking them), then tries them all [`CONFIRM`] times more.
    /// A handle that grants access after it refused it is counted in `granted`: a failure.
    fn watch_revocation(&self) {
        let (body, state) = (&self.shared.body, &self.state);
        let all = u32::MAX >> (32 - B::HANDLES);
        let mut revoked = 0;
        let mut confirmed = 0;
        while confirmed < CONFIRM {
            let granted = body.granted() & all;
            state.granted.add((granted & revoked).count_ones(), Relaxed);
            state.refused.add((all & !granted).count_ones(), Relaxed);
            revoked |= all & !granted;
            if revoked == all {
                confirmed += 1;
            } else if self.shared.stop.load(Acquire) {
                break;
            } else {
                fsleep(PAUSE);
            }
        }
        state.revoked.store(revoked == all, Relaxed);
    }
}

impl<B: LoopBody> WorkItem for Looper<B> {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        let (body, state) = (&this.shared.body, &this.state);
        loop {
            match body.round(this.ctx) {
                Ok(()) => {
                    state.rounds.add(1, Relaxed);
                }
                Err(err) if err == ENXIO => {
                    this.watch_revocation();
                    break;
                }
                Err(err) => {
                    state.error.store(err.to_errno(), Relaxed);
                    break;
                }
            }
            // Checked after a round, so a loop told to stop after its handles were revoked
            // still meets the revocation first.
            if this.shared.stop.load(Acquire) {
                break;
            }
            fsleep(PAUSE);
        }
        state.finished.store(true, Release);
    }
}

/// What the loops did, once stopped.
pub(crate) struct LoopReport {
    /// Loops started, and those that ran and returned.
    pub(crate) started: usize,
    pub(crate) finished: usize,
    /// Loops that saw every handle revoked.
    pub(crate) revoked: usize,
    /// After a round met the revocation: handles that refused access when tried, and those that
    /// granted it after refusing it (any is a failure).
    pub(crate) refused: u32,
    pub(crate) granted: u32,
    /// Rounds done, by all loops.
    pub(crate) rounds: u64,
    /// The first failed check of a loop, if any.
    pub(crate) error: Option<Error>,
}

impl LoopReport {
    /// Every loop ran, met the revocation, and found every handle refusing access from then on.
    pub(crate) fn clean(&self) -> bool {
        self.finished == self.started
            && self.revoked == self.started
            && self.granted == 0
            && self.refused > 0
            && self.error.is_none()
    }
}

/// [`CONTEXTS`] loops running a [`LoopBody`], one per online CPU; flushed when stopped or
/// dropped.
pub(crate) struct Loops<B: LoopBody> {
    shared: Arc<Shared<B>>,
    loopers: KVec<Arc<Looper<B>>>,
}

impl<B: LoopBody> Loops<B> {
    /// Starts the loops on `body`.
    pub(crate) fn start(body: B) -> Result<Self> {
        let cpus = online_cpus()?;
        let shared = Arc::new(
            Shared {
                body,
                stop: Atomic::new(false),
            },
            GFP_KERNEL,
        )?;
        let mut loopers = KVec::with_capacity(CONTEXTS, GFP_KERNEL)?;
        for ctx in 0..CONTEXTS {
            let body = shared.clone();
            let looper = Arc::pin_init(
                pin_init!(Looper {
                    work <- kernel::new_work!("loops::Loops"),
                    shared: body,
                    ctx,
                    state: LoopState {
                        rounds: Atomic::new(0),
                        revoked: Atomic::new(false),
                        refused: Atomic::new(0),
                        granted: Atomic::new(0),
                        error: Atomic::new(0),
                        finished: Atomic::new(false),
                    },
                }),
                GFP_KERNEL,
            )?;
            loopers.push(looper, GFP_KERNEL)?;
        }
        for (looper, &cpu) in loopers.iter().zip(cpus.iter().cycle()) {
            // A new work item is never already queued.
            queue_on(cpu, looper.clone());
        }
        Ok(Self { shared, loopers })
    }

    /// The body the loops run.
    #[allow(dead_code)] // Not every driver reaches its body through the loops.
    pub(crate) fn body(&self) -> &B {
        &self.shared.body
    }

    /// Rounds done so far, by all loops.
    #[allow(dead_code)] // Not every driver reports them before the loops stop.
    pub(crate) fn rounds(&self) -> u64 {
        self.loopers
            .iter()
            .map(|l| l.state.rounds.load(Relaxed))
            .sum()
    }

    /// Tells the loops to stop after their current round, waits until every one has returned,
    /// and reports what they did.
    pub(crate) fn stop(&self) -> LoopReport {
        self.shared.stop.store(true, Release);
        for looper in &self.loopers {
            flush(&looper.work);
        }
        let mut report = LoopReport {
            started: self.loopers.len(),
            finished: 0,
            revoked: 0,
            refused: 0,
            granted: 0,
            rounds: 0,
            error: None,
        };
        for looper in &self.loopers {
            let state = &looper.state;
            report.finished += usize::from(state.finished.load(Acquire));
            report.revoked += usize::from(state.revoked.load(Relaxed));
            report.refused += state.refused.load(Relaxed);
            report.granted += state.granted.load(Relaxed);
            report.rounds += state.rounds.load(Relaxed);
            let errno = state.error.load(Relaxed);
            if errno != 0 && report.error.is_none() {
                report.error = Some(Error::from_errno(errno));
            }
        }
        report
    }
}

impl<B: LoopBody> Drop for Loops<B> {
    fn drop(&mut self) {
        // No loop may run past its owner: flushed here whatever happened before.
        self.stop();
    }
}

/// How many devices this module has probed in hot-plug mode: each probe's number names it in the
/// lines the harness reads.
static PROBES: Atomic<u32> = Atomic::new(0);

/// A driver's probe in hot-plug mode: runs `probe` with the probe's number, and reports its
/// outcome for `dev` in the line the harness reads (`tests/harness/hotplug.py`).
pub(crate) fn probe<T>(
    dev: &kernel::device::Device,
    probe: impl FnOnce(u32) -> Result<T>,
) -> Result<T> {
    let instance = PROBES.fetch_add(1, Relaxed) + 1;
    let result = probe(instance);
    match &result {
        Ok(_) => pr_info!(
            "hotplug: probe {} #{}: I/O checks passed, {} loops running\n",
            dev.name(),
            instance,
            CONTEXTS
        ),
        Err(err) => pr_info!(
            "hotplug: probe {} #{}: I/O checks FAILED: {:?}\n",
            dev.name(),
            instance,
            err
        ),
    }
    result
}

/// Loops that are stopped when the device's managed resources are released, after the handles
/// their body uses have been revoked (see [`StopAtRelease`]); the report is printed then.
pub(crate) struct LoopsAtRelease<B: LoopBody> {
    loops: SetOnce<Loops<B>>,
    /// What the report names: the device and the instance (the driver's probe count).
    device: CString,
    instance: u32,
}

impl<B: LoopBody> LoopsAtRelease<B> {
    /// Registers, in `dev`'s managed resources, the stop of loops to be started later with
    /// [`start`](Self::start). Register it before the handles the loops will use: devres
    /// releases the newest first, so the handles are revoked, with the loops still running,
    /// before the loops are stopped.
    pub(crate) fn register(
        dev: &kernel::device::Device<kernel::device::Bound>,
        instance: u32,
    ) -> Result<Arc<Self>> {
        let this = Arc::new(
            Self {
                loops: SetOnce::new(),
                device: CString::try_from_fmt(fmt!("{}", dev.name()))?,
                instance,
            },
            GFP_KERNEL,
        )?;
        kernel::devres::register(dev, StopAtRelease(this.clone()), GFP_KERNEL)?;
        Ok(this)
    }

    /// Starts the loops on `body`.
    pub(crate) fn start(&self, body: B) -> Result {
        if !self.loops.populate(Loops::start(body)?) {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// The running loops, once started.
    pub(crate) fn loops(&self) -> Option<&Loops<B>> {
        self.loops.as_ref()
    }

    /// The body of the running loops, for the remove path of `dev`. Without loops, reports that
    /// the remove path found none (a failed check, for the harness) and returns `None`.
    #[allow(dead_code)] // Not every driver's remove path reaches the loops' body.
    pub(crate) fn running(&self, dev: &kernel::device::Device) -> Option<&B> {
        let body = self.loops().map(Loops::body);
        if body.is_none() {
            pr_info!(
                "hotplug: unbind {} #{}: DISAGREES: no loops\n",
                dev.name(),
                self.instance
            );
        }
        body
    }
}

/// The devres resource of [`LoopsAtRelease`]: stops its loops and reports what they did.
pub(crate) struct StopAtRelease<B: LoopBody>(Arc<LoopsAtRelease<B>>);

impl<B: LoopBody> Drop for StopAtRelease<B> {
    fn drop(&mut self) {
        let Some(loops) = self.0.loops() else {
            return;
        };
        let r = loops.stop();
        let verdict = if r.clean() { "clean" } else { "FAILED" };
        pr_info!(
            "hotplug: released {} #{}: {}: {} of {} loops stopped, {} saw every handle revoked, \
             {} accesses refused and {} granted after that, {} rounds, error {:?}\n",
            &*self.0.device,
            self.0.instance,
            verdict,
            r.finished,
            r.started,
            r.revoked,
            r.refused,
            r.granted,
            r.rounds,
            r.error
        );
    }
}
