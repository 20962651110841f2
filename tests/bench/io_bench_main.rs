// SPDX-License-Identifier: GPL-2.0

//! Throughput of the typed I/O layer on device memory, against C in the same boot.
//!
//! The KUnit suite `io_bench` has one case, which registers a PCI driver for QEMU's
//! `ivshmem-plain` device for the duration of the case. Its probe maps BAR 2, the device's
//! shared RAM, and times:
//!
//! - 32-bit reads and writes at a fixed offset, through an [`Mmio`] view (ours), through the
//!   out-of-line C helpers that Linux 7.3's layer calls (`rust_helper_readl()`, ...), and in a C
//!   loop over `readl()`/`writel()` (`io_bench_loops.c`);
//! - copies of a 64 KiB window to and from the BAR, with `copy_from_slice`/`copy_to_slice`
//!   (ours) and in a C loop that calls `memcpy_toio()`/`memcpy_fromio()` directly.
//!
//! Every variant runs [`ROUNDS`] times, interleaved with the others (in alternating order), and
//! the fastest round is kept, which filters out the noise of other work on the host. The results
//! are printed as `io_bench: metric=...` lines for `tests/harness/bench.sh`. The case fails only
//! if the device is missing or a copy moves the wrong bytes; a timing never fails it.
//!
//! Loaded only by `make bench`: the module is not part of the `make test` boot.

use kernel::{
    bindings,
    device::Core,
    driver,
    ffi::c_void,
    io::{
        io_project,
        Io,
        IoBase,
        Mmio,
        Region, //
    },
    pci,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    time::{
        Instant,
        Monotonic, //
    },
    ModuleMetadata, //
};

/// Bytes of BAR 2 that the benchmark uses: the copy window.
const WINDOW: usize = 64 * 1024;

/// 32-bit accesses per timed round.
const ACCESSES: u32 = 1 << 21;

/// Window copies per timed round (4 MiB each way).
const COPIES: u32 = 64;

/// Timed rounds per variant; the fastest one is reported.
const ROUNDS: usize = 15;

// The C half of the module, `io_bench_loops.c`, linked into the same `.ko`. These declarations
// must match the prototypes in `io_bench.h`.
extern "C" {
    fn io_bench_c_read32(addr: *const c_void, count: u32) -> u32;
    fn io_bench_c_write32(addr: *mut c_void, count: u32);
    fn io_bench_c_copy_from(dst: *mut c_void, src: *const c_void, len: usize, count: u32);
    fn io_bench_c_copy_to(dst: *mut c_void, src: *const c_void, len: usize, count: u32);
}

/// `a / b`, or 0 where `b` is 0. A 32-bit kernel has no 64-bit division instruction and no
/// compiler helper for one: it divides with `div64_u64()`.
fn div_u64(a: u64, b: u64) -> u64 {
    if b == 0 {
        return 0;
    }
    #[cfg(CONFIG_64BIT)]
    let quotient = a / b;
    #[cfg(not(CONFIG_64BIT))]
    // SAFETY: `div64_u64()` may be called with any values but a zero divisor, excluded above.
    let quotient = unsafe { bindings::div64_u64(a, b) };
    quotient
}

/// Set by a probe that completed its measurements.
static MEASURED: Atomic<bool> = Atomic::new(false);

/// Returns the nanoseconds that `f` takes.
fn time(f: impl FnOnce()) -> u64 {
    let start = Instant::<Monotonic>::now();
    f();
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(0)
}

/// Reads the first word of `bar` `count` times through our view.
#[inline(never)]
fn ours_read32(bar: Mmio<'_, Region<WINDOW>>, count: u32) -> u32 {
    let mut acc = 0;
    for _ in 0..count {
        acc ^= bar.read32(0);
    }
    acc
}

/// Writes the first word of `bar` `count` times through our view.
#[inline(never)]
fn ours_write32(bar: Mmio<'_, Region<WINDOW>>, count: u32) {
    for i in 0..count {
        bar.write32(i, 0);
    }
}

/// Reads the first word of `bar` `count` times through the C helper that 7.3 calls.
#[inline(never)]
fn helper_read32(bar: Mmio<'_, Region<WINDOW>>, count: u32) -> u32 {
    let addr = bar.as_raw().as_ptr().cast::<c_void>().cast_const();
    let mut acc = 0;
    for _ in 0..count {
        // SAFETY: `addr` is the start of the mapped BAR, which `bar` keeps mapped.
        acc ^= unsafe { bindings::readl(addr) };
    }
    acc
}

/// Writes the first word of `bar` `count` times through the C helper that 7.3 calls.
#[inline(never)]
fn helper_write32(bar: Mmio<'_, Region<WINDOW>>, count: u32) {
    let addr = bar.as_raw().as_ptr().cast::<c_void>();
    for i in 0..count {
        // SAFETY: `addr` is the start of the mapped BAR, which `bar` keeps mapped.
        unsafe { bindings::writel(i, addr) };
    }
}

/// Reads the first word of `bar` `count` times in C, with `readl()`.
fn c_read32(bar: Mmio<'_, Region<WINDOW>>, count: u32) -> u32 {
    let addr = bar.as_raw().as_ptr().cast::<c_void>().cast_const();
    // SAFETY: `addr` is the start of the mapped BAR, which `bar` keeps mapped.
    unsafe { io_bench_c_read32(addr, count) }
}

/// Writes the first word of `bar` `count` times in C, with `writel()`.
fn c_write32(bar: Mmio<'_, Region<WINDOW>>, count: u32) {
    let addr = bar.as_raw().as_ptr().cast::<c_void>();
    // SAFETY: `addr` is the start of the mapped BAR, which `bar` keeps mapped.
    unsafe { io_bench_c_write32(addr, count) }
}

/// Copies `window` into `buf` `count` times through our view.
#[inline(never)]
fn ours_copy_from(window: Mmio<'_, [u8]>, buf: &mut [u8], count: u32) {
    for _ in 0..count {
        window.copy_to_slice(buf);
    }
}

/// Copies `buf` into `window` `count` times through our view.
#[inline(never)]
fn ours_copy_to(window: Mmio<'_, [u8]>, buf: &[u8], count: u32) {
    for _ in 0..count {
        window.copy_from_slice(buf);
    }
}

/// Copies `window` into `buf` `count` times in C, with `memcpy_fromio()`.
fn c_copy_from(window: Mmio<'_, [u8]>, buf: &mut [u8], count: u32) {
    let src = window.as_raw().as_ptr();
    let len = src.len().min(buf.len());
    // SAFETY: `src` is mapped for its length and `buf` writable for its own; `len` is the
    // smaller of the two.
    unsafe { io_bench_c_copy_from(buf.as_mut_ptr().cast(), src.cast(), len, count) }
}

/// Copies `buf` into `window` `count` times in C, with `memcpy_toio()`.
fn c_copy_to(window: Mmio<'_, [u8]>, buf: &[u8], count: u32) {
    let dst = window.as_raw().as_ptr();
    let len = dst.len().min(buf.len());
    // SAFETY: `dst` is mapped for its length and `buf` readable for its own; `len` is the
    // smaller of the two.
    unsafe { io_bench_c_copy_to(dst.cast(), buf.as_ptr().cast(), len, count) }
}

/// The fastest round of each of the `N` variants of one metric.
struct Best<const N: usize>([u64; N]);

impl<const N: usize> Best<N> {
    fn new() -> Self {
        Self([u64::MAX; N])
    }

    /// Times each variant once with `run(variant)`, first to last or last to first, so that no
    /// variant always runs right after the same other one.
    fn round(&mut self, backward: bool, mut run: impl FnMut(usize)) {
        for k in 0..N {
            let variant = if backward { N - 1 - k } else { k };
            let ns = time(|| run(variant));
            self.0[variant] = self.0[variant].min(ns.max(1));
        }
    }
}

/// Times every variant and prints the results.
fn measure(pdev: &pci::Device<Core<'_>>, bar: &pci::Bar<'_, WINDOW>) -> Result {
    let regs = bar.as_view();
    let window = io_project!(bar.try_cast::<[u8; WINDOW]>()?, [build: ..]);
    let mut buf = KVec::from_elem(0u8, WINDOW, GFP_KERNEL)?;
    let mut check = KVec::from_elem(0u8, WINDOW, GFP_KERNEL)?;

    // The copies must move the right bytes, or their speed means nothing.
    for (i, b) in buf.iter_mut().enumerate() {
        // CAST: A byte pattern; truncation intended.
        *b = (i * 7 + 3) as u8;
    }
    window.copy_from_slice(&buf);
    c_copy_from(window, &mut check, 1);
    if *check != *buf {
        dev_err!(pdev, "copy_from_slice wrote the wrong bytes\n");
        return Err(EIO);
    }
    window.copy_to_slice(&mut check);
    if *check != *buf {
        dev_err!(pdev, "copy_to_slice read the wrong bytes\n");
        return Err(EIO);
    }

    let mut reads = Best::<3>::new();
    let mut writes = Best::<3>::new();
    let mut from = Best::<2>::new();
    let mut to = Best::<2>::new();
    let mut sink = 0;
    for round in 0..ROUNDS {
        let backward = round % 2 == 1;
        reads.round(backward, |variant| {
            sink ^= match variant {
                0 => ours_read32(regs, ACCESSES),
                1 => helper_read32(regs, ACCESSES),
                _ => c_read32(regs, ACCESSES),
            }
        });
        writes.round(backward, |variant| match variant {
            0 => ours_write32(regs, ACCESSES),
            1 => helper_write32(regs, ACCESSES),
            _ => c_write32(regs, ACCESSES),
        });
        from.round(backward, |variant| match variant {
            0 => ours_copy_from(window, &mut buf, COPIES),
            _ => c_copy_from(window, &mut buf, COPIES),
        });
        to.round(backward, |variant| match variant {
            0 => ours_copy_to(window, &buf, COPIES),
            _ => c_copy_to(window, &buf, COPIES),
        });
    }

    // Picoseconds per access, and MB/s (bytes per microsecond) per copy direction.
    let ps = |ns: u64| div_u64(ns * 1000, u64::from(ACCESSES));
    // CAST: `WINDOW` is 64 KiB.
    let mbps = |ns: u64| div_u64((WINDOW as u64) * u64::from(COPIES) * 1000, ns);
    for (name, best) in [("read32", &reads), ("write32", &writes)] {
        dev_info!(
            pdev,
            "io_bench: metric={} unit=ps_per_access ours={} helper={} c={}\n",
            name,
            ps(best.0[0]),
            ps(best.0[1]),
            ps(best.0[2])
        );
    }
    for (name, best) in [("copy_from_io", &from), ("copy_to_io", &to)] {
        dev_info!(
            pdev,
            "io_bench: metric={} unit=MB_per_s ours={} c={}\n",
            name,
            mbps(best.0[0]),
            mbps(best.0[1])
        );
    }
    dev_info!(
        pdev,
        "io_bench: params accesses={} copies={} window={} rounds={} sink={:#x}\n",
        ACCESSES,
        COPIES,
        WINDOW,
        ROUNDS,
        sink
    );
    Ok(())
}

struct BenchDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <BenchDriver as pci::Driver>::IdInfo,
    [(
        pci::DeviceId::from_id(pci::Vendor::REDHAT_QUMRANET, 0x1110),
        ()
    )]
);

impl pci::Driver for BenchDriver {
    type IdInfo = ();
    type Data<'bound> = ();

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pdev.enable_device_mem()?;
        let bar = pdev.iomap_region_sized::<WINDOW>(2, c"io_bench")?;
        measure(pdev, &bar)?;
        MEASURED.store(true, Relaxed);
        Ok(())
    }
}

struct IoBench;

impl kernel::Module for IoBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoBench)
    }
}

module! {
    type: IoBench,
    name: "io_bench",
    authors: ["Typed I/O project"],
    description: "Throughput of the typed I/O layer against the C accessors",
    license: "GPL",
}

/// The module, for registering the driver from the test.
static THIS: ThisModule = <IoBench as ModuleMetadata>::THIS_MODULE;

#[kunit_tests(io_bench)]
mod tests {
    use super::*;

    /// Binds the driver to ivshmem-plain for the duration of the case: the probe measures.
    #[test]
    fn ivshmem_bar2() -> Result {
        MEASURED.store(false, Relaxed);
        let registration = KBox::pin_init(
            driver::Registration::<pci::Adapter<BenchDriver>>::new(c"io_bench", &THIS),
            GFP_KERNEL,
        )?;
        drop(registration);
        if MEASURED.load(Relaxed) {
            Ok(())
        } else {
            pr_err!("io_bench: no ivshmem-plain device measured\n");
            Err(ENODEV)
        }
    }
}
