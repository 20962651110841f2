// SPDX-License-Identifier: GPL-2.0

//! I/O from several CPUs at once: work items queued one per CPU, through the kernel crate's
//! workqueue.
//!
//! Two forms, for the two ways a driver shares a device with code running elsewhere:
//!
//! - [`scope`] (here) runs a closure as [`CONTEXTS`] work items at once, each queued on its own
//!   online CPU (context `i` on the `i % n`-th of the `n` online CPUs), and returns only once
//!   every one of them has finished. The closure may therefore borrow what its caller holds (a
//!   `&Bar`, a view, a coherent buffer): a work item never runs past the borrow. The work items'
//!   type carries the borrow's lifetime, and the workqueue's contract for such items (the
//!   function is never called after that lifetime ends) is kept by flushing every queued item
//!   before returning, on every path.
//! - `Loops` (`loops.rs`, which needs this file too) runs a `LoopBody` round after round in
//!   [`CONTEXTS`] work items, one per CPU, until a round finds a revoked handle (`ENXIO`) or the
//!   loops are stopped. The body is owned (shared through an [`Arc`]), so the loops can outlive
//!   the probe that starts them; a `Loops` flushes them when it is stopped or dropped, so that no
//!   loop runs past its owner, and none runs module code after the module is gone.
//!   `LoopsAtRelease` ties that to the device's managed resources: registered before the handles
//!   the body uses, it stops the loops after devres has revoked those handles, so each loop meets
//!   the revocation while it runs.
//!
//! Both queue on `system_long_wq`, the system workqueue meant for items that run for a while: a
//! scope's checks last up to a few hundred milliseconds, a loop as long as its device is bound.
//! The guests have no CPU hot-plug, so the online CPUs do not change while a work item runs.

use kernel::{
    bindings,
    cpu::{
        self,
        CpuId, //
    },
    cpumask::Cpumask,
    new_work,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        Arc, //
    },
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    },
    workqueue::{
        impl_has_work,
        RawWorkItem,
        Work,
        WorkItem, //
    },
};

/// How many contexts a [`scope`] or a `Loops` runs: the guests have four CPUs.
pub(crate) const CONTEXTS: usize = 4;

/// The online CPUs, in order.
pub(crate) fn online_cpus() -> Result<KVec<u32>> {
    // SAFETY: `__cpu_online_mask` is the kernel's mask of online CPUs, a global that is never
    // freed. It is only read here, one bit at a time, as the kernel's own readers do.
    let online = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) };
    let mut cpus = KVec::new();
    for id in 0..cpu::nr_cpu_ids() {
        if let Some(cpu) = CpuId::from_u32(id) {
            if online.test(cpu) {
                cpus.push(id, GFP_KERNEL)?;
            }
        }
    }
    if cpus.is_empty() {
        return Err(ENODEV);
    }
    Ok(cpus)
}

/// The workqueue of both forms (see the module's documentation).
fn long_workqueue() -> *mut bindings::workqueue_struct {
    // SAFETY: `system_long_wq` is set up before any module loads and never changes or goes away.
    unsafe { bindings::system_long_wq }
}

/// Queues `item` on CPU `cpu` of the long-running system workqueue; returns whether it was
/// queued (it is not if it already was).
pub(crate) fn queue_on<T>(cpu: u32, item: Arc<T>) -> bool
where
    T: WorkItem<Pointer = Arc<T>> + kernel::workqueue::HasWork<T>,
{
    let wq = long_workqueue();
    // CAST: CPU numbers are below `nr_cpu_ids`, far below `i32::MAX`.
    let cpu = cpu as i32;
    // SAFETY: The closure returns false only when the work item is already queued, which is what
    // `queue_work_on()` reports. The items are `Send`, and the callers keep the promise for the
    // lifetimes their item types carry: `scope` and `Loops` flush every item they queued before
    // those end.
    unsafe { item.__enqueue(|work| bindings::queue_work_on(cpu, wq, work)) }.is_ok()
}

/// Waits until the last run of the work item `work` has returned.
pub(crate) fn flush(work: &Work<impl Sized>) {
    // SAFETY: `work` is the initialised `Work` of an item that is alive (the caller holds it), so
    // its `work_struct` is valid; `flush_work()` only waits for it to be idle.
    unsafe { bindings::flush_work(Work::raw_get(work)) };
}

/// The outcome of a context of a [`scope`]: not run yet (0), passed (1), or failed with a
/// (negative) errno.
const NOT_RUN: i32 = 0;
const PASSED: i32 = 1;

/// One context of a [`scope`]: a work item that calls the shared closure with its index.
#[pin_data]
struct ScopedContext<'a, F> {
    #[pin]
    work: Work<ScopedContext<'a, F>>,
    run: &'a F,
    index: usize,
    /// [`NOT_RUN`], [`PASSED`] or the errno it failed with.
    outcome: Atomic<i32>,
    /// The CPU it ran on.
    ran_on: Atomic<u32>,
    /// How many contexts of the scope have started.
    started: &'a Atomic<usize>,
}

/// How long a context waits for the others to start, at most: [`START_WAITS`] sleeps of
/// [`START_POLL`].
const START_POLL: Delta = Delta::from_micros(20);
const START_WAITS: u32 = 50_000;

impl_has_work! {
    impl{'a, F} HasWork<Self> for ScopedContext<'a, F> { self.work }
}

impl<'a, F: Fn(usize) -> Result + Sync> WorkItem for ScopedContext<'a, F> {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        // A work item of a per-CPU workqueue runs on the CPU it was queued on.
        this.ran_on.store(CpuId::current().as_u32(), Relaxed);
        // All start together, or the first would be done before the last is queued. The wait
        // sleeps, so that contexts sharing a CPU (with fewer CPUs than contexts) take turns.
        this.started.add(1, Relaxed);
        let mut waits = 0;
        while this.started.load(Relaxed) < CONTEXTS && waits < START_WAITS {
            fsleep(START_POLL);
            waits += 1;
        }
        let outcome = match (this.run)(this.index) {
            Ok(()) => PASSED,
            Err(err) => err.to_errno(),
        };
        this.outcome.store(outcome, Release);
    }
}

/// What a [`scope`] did: each context's result, where it was queued and where it ran.
pub(crate) struct Scope {
    /// Each context's result; `ECANCELED` for one that never ran.
    pub(crate) results: [Result; CONTEXTS],
    /// The CPU each context was queued on.
    pub(crate) queued_on: [u32; CONTEXTS],
    /// The CPU each context ran on.
    pub(crate) ran_on: [u32; CONTEXTS],
    /// How many CPUs were online.
    pub(crate) online: usize,
}

impl Scope {
    /// The first failure among the contexts, if any.
    pub(crate) fn result(&self) -> Result {
        self.results
            .iter()
            .copied()
            .find(Result::is_err)
            .unwrap_or(Ok(()))
    }

    /// Whether each context ran on the CPU it was queued on, and on a CPU of its own if there
    /// were enough of them.
    pub(crate) fn spread(&self) -> bool {
        let distinct = self.online < CONTEXTS
            || (0..CONTEXTS).all(|i| (0..i).all(|j| self.ran_on[i] != self.ran_on[j]));
        self.queued_on == self.ran_on && distinct
    }
}

/// Runs `run(i)` for every context `i` in `0..CONTEXTS` at once, each in a work item of its own
/// on CPU `i % n` of the `n` online ones, and returns once all have finished.
///
/// `run` may borrow from the caller: every work item is flushed before this returns.
pub(crate) fn scope<F>(run: &F) -> Result<Scope>
where
    F: Fn(usize) -> Result + Sync,
{
    let cpus = online_cpus()?;
    let started = Atomic::new(0);
    let started = &started;
    let mut contexts = KVec::with_capacity(CONTEXTS, GFP_KERNEL)?;
    for index in 0..CONTEXTS {
        let context = Arc::pin_init(
            pin_init!(ScopedContext {
                work <- new_work!("smp::scope"),
                run,
                index,
                outcome: Atomic::new(NOT_RUN),
                ran_on: Atomic::new(u32::MAX),
                started,
            }),
            GFP_KERNEL,
        )?;
        contexts.push(context, GFP_KERNEL)?;
    }
    let mut queued_on = [0; CONTEXTS];
    // From here on nothing returns before the flushes below: every queued item borrows `run`.
    for ((index, context), &cpu) in contexts.iter().enumerate().zip(cpus.iter().cycle()) {
        queued_on[index] = cpu;
        if !queue_on(cpu, context.clone()) {
            // A new work item is never already queued; this cannot happen.
            context.outcome.store(ECANCELED.to_errno(), Relaxed);
        }
    }
    for context in &contexts {
        flush(&context.work);
    }
    let mut results = [Ok(()); CONTEXTS];
    let mut ran_on = [u32::MAX; CONTEXTS];
    for (index, context) in contexts.iter().enumerate() {
        results[index] = match context.outcome.load(Acquire) {
            PASSED => Ok(()),
            NOT_RUN => Err(ECANCELED),
            errno => Err(Error::from_errno(errno)),
        };
        ran_on[index] = context.ran_on.load(Relaxed);
    }
    Ok(Scope {
        results,
        queued_on,
        ran_on,
        online: cpus.len(),
    })
}

/// The two values of [`single_access`]: each half is all ones in one and all zeros in the
/// other, so a torn read (one half of each) reads as all zeros or all ones.
#[allow(dead_code)] // Not every sample checks a 64-bit location.
pub(crate) const SINGLE_A: u64 = 0x0000_0000_ffff_ffff;
#[allow(dead_code)] // Not every sample checks a 64-bit location.
pub(crate) const SINGLE_B: u64 = 0xffff_ffff_0000_0000;
/// How many changes of the value each reader waits to see, for at most [`READ_FOR`]; the writer
/// writes until every reader is done, or for at most [`WRITE_FOR`]. The bounds are times, not
/// counts: under TCG on a loaded host, the guest's CPUs are host threads that take turns, and a
/// reader may spin for many reads while the writer's thread waits for a host CPU.
#[allow(dead_code)] // Not every sample checks a 64-bit location.
const CHANGES: u32 = 64;
#[allow(dead_code)] // Not every sample checks a 64-bit location.
const READ_FOR: Delta = Delta::from_millis(3000);
#[allow(dead_code)] // Not every sample checks a 64-bit location.
const WRITE_FOR: Delta = Delta::from_millis(4000);
/// How many accesses between two looks at the clock.
#[allow(dead_code)] // Not every sample checks a 64-bit location.
const CLOCK_EVERY: u32 = 256;

/// What [`single_access`] saw.
#[allow(dead_code)] // Not every sample checks a 64-bit location.
pub(crate) struct SingleAccess {
    pub(crate) scope: Scope,
    /// Writes by context 0.
    pub(crate) writes: u64,
    /// The changes of the value that each reader saw (context 0 writes).
    pub(crate) changes: [u32; CONTEXTS],
    /// Reads that saw neither value, nor the zero the location held first.
    pub(crate) torn: u32,
}

#[allow(dead_code)] // Not every sample checks a 64-bit location.
impl SingleAccess {
    /// No read was torn, and where every context had a CPU of its own, every reader saw the
    /// value change [`CHANGES`] times while the writer wrote: their accesses overlapped.
    pub(crate) fn result(&self) -> Result {
        self.scope.result()?;
        let overlapped = self.scope.online < CONTEXTS
            || self.changes[1..].iter().all(|&changes| changes >= CHANGES);
        if self.torn != 0 || !overlapped || !self.scope.spread() {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Notes in `suite` what the readers of `location` saw, then returns [`Self::result`].
    pub(crate) fn report(&self, suite: &crate::ktap::Suite<'_>, location: &str) -> Result {
        suite.note(fmt!(
            "summary: {} written {} times from CPU {} while CPUs {:?} read it: they saw it \
             change {:?} times, {} reads torn",
            location,
            self.writes,
            self.scope.ran_on[0],
            &self.scope.ran_on[1..],
            &self.changes[1..],
            self.torn
        ));
        self.result()
    }
}

/// One context writes [`SINGLE_A`] and [`SINGLE_B`] in turn to a 64-bit location (initially
/// zero) through `write`, a single 64-bit access, while the others read it through `read`; the
/// last value written is [`SINGLE_B`]. Each reader reads until it has seen the value change
/// [`CHANGES`] times, and the writer writes until all readers are done.
#[allow(dead_code)] // Not every sample checks a 64-bit location.
pub(crate) fn single_access<R, W>(read: R, write: W) -> Result<SingleAccess>
where
    R: Fn() -> u64 + Sync,
    W: Fn(u64) + Sync,
{
    let done = Atomic::new(0usize);
    let writes = Atomic::new(0u64);
    let torn = Atomic::new(0u32);
    let changes: [Atomic<u32>; CONTEXTS] = [const { Atomic::new(0) }; CONTEXTS];
    let scope = scope(&|ctx| {
        let start = Instant::<Monotonic>::now();
        if ctx == 0 {
            let mut n: u64 = 0;
            while done.load(Acquire) < CONTEXTS - 1
                && (n % u64::from(CLOCK_EVERY) != 0 || start.elapsed() < WRITE_FOR)
            {
                write(if n % 2 == 0 { SINGLE_A } else { SINGLE_B });
                n += 1;
            }
            write(SINGLE_B);
            writes.store(n + 1, Relaxed);
            return Ok(());
        }
        let (mut last, mut seen, mut reads) = (read(), 0, 0u32);
        while seen < CHANGES && (reads % CLOCK_EVERY != 0 || start.elapsed() < READ_FOR) {
            let value = read();
            reads = reads.wrapping_add(1);
            if value != SINGLE_A && value != SINGLE_B && value != 0 {
                torn.add(1, Relaxed);
            }
            if value != last {
                last = value;
                seen += 1;
            }
        }
        changes[ctx].store(seen, Relaxed);
        done.fetch_add(1, Release);
        Ok(())
    })?;
    Ok(SingleAccess {
        scope,
        writes: writes.load(Relaxed),
        changes: core::array::from_fn(|ctx| changes[ctx].load(Relaxed)),
        torn: torn.load(Relaxed),
    })
}
