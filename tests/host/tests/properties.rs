// SPDX-License-Identifier: GPL-2.0

//! Property tests: the location, window, cast, projection and copy arithmetic of the layer
//! against an independent model, over generated shapes, offsets, lengths and alignments, on each
//! backend the host can run (system memory, MMIO over memory, and both sides of an `IoSysMap`).
//!
//! Each case makes one view of `size` bytes at offset `base` of an 8-aligned buffer, performs
//! one operation through it, drops it, and then compares the operation's result and the whole
//! buffer with what the model predicts. The model is written from the documented rules with
//! 128-bit arithmetic and plain slice operations; it shares no code with the layer.
//!
//! The seed is fixed, so every run (in CI too) checks the same cases; Miri runs fewer of them.

mod common;

use common::{mmio_of, Aligned};
use kernel::io::{io_project, Align4, Align8, Io, IoSysMap, Region, SysMem};
use kernel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Size of the buffer the views are made in.
const BUF: usize = 96;

fn config() -> Config {
    Config {
        cases: if cfg!(miri) { 16 } else { 2048 },
        rng_seed: RngSeed::Fixed(0x7e57_10ca_7105),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The backends a case can run on.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Sys,
    Mmio,
    MapSys,
    MapIo,
}

fn backend() -> impl Strategy<Value = Backend> {
    prop_oneof![
        Just(Backend::Sys),
        Just(Backend::Mmio),
        Just(Backend::MapSys),
        Just(Backend::MapIo),
    ]
}

/// Where a view starts in the buffer and how many bytes it has: half the time a base and size
/// that are multiples of 4 (most regions need that), otherwise any.
fn shape() -> impl Strategy<Value = (usize, usize)> {
    let base = prop_oneof![(0usize..6).prop_map(|k| 4 * k), 0usize..24];
    let size = prop_oneof![(0usize..=16).prop_map(|k| 4 * k), 0usize..=64];
    (base, size)
}

/// An offset or a length: often a multiple of 4 within a view's reach (small ones, around the
/// build-time sizes of the regions, most often), sometimes any small value, sometimes at the top
/// of the address range, where careless arithmetic overflows.
fn position() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => (0usize..=5).prop_map(|k| 4 * k),
        3 => (0usize..=17).prop_map(|k| 4 * k),
        2 => 0usize..72,
        1 => (usize::MAX - 16)..=usize::MAX,
    ]
}

/// Runs `$body` with `$io` bound to a `[u8]` view of `$bytes` on `$backend`.
macro_rules! with_view {
    ($backend:expr, $bytes:expr, |$io:ident| $body:expr) => {
        match $backend {
            Backend::Sys => {
                let $io = SysMem::from_mut($bytes);
                $body
            }
            Backend::Mmio => {
                let $io = mmio_of($bytes);
                $body
            }
            Backend::MapSys => {
                let $io = IoSysMap::from(SysMem::from_mut($bytes));
                $body
            }
            Backend::MapIo => {
                let $io = IoSysMap::from(mmio_of($bytes));
                $body
            }
        }
    };
}

/// A buffer whose byte `i` is `seed + 3 * i`, and its copy, which the model updates.
fn buffers(seed: u8) -> (Aligned<BUF>, [u8; BUF]) {
    let mut buf = Aligned::<BUF>::new();
    for (i, b) in buf.0.iter_mut().enumerate() {
        *b = seed.wrapping_add((3 * i) as u8);
    }
    let model = buf.0;
    (buf, model)
}

/// `true` if `len` bytes at `at` do not fit in `size` bytes (computed without overflow).
fn past_end(at: usize, len: usize, size: usize) -> bool {
    at as u128 + len as u128 > size as u128
}

/// The model of an access of `width` bytes at `off` in the view at `base` of `size` bytes.
fn access_model(base: usize, size: usize, off: usize, width: usize) -> Result {
    if past_end(off, width, size) {
        Err(ERANGE)
    } else if (base + off) % width != 0 {
        Err(EINVAL)
    } else {
        Ok(())
    }
}

/// The first `width` bytes of `value` in memory order.
fn bytes_of(value: u64, width: usize) -> Vec<u8> {
    value.to_ne_bytes()[..width].to_vec()
}

/// `bytes` as a value, in memory order.
fn value_of(bytes: &[u8]) -> u64 {
    let mut full = [0u8; 8];
    full[..bytes.len()].copy_from_slice(bytes);
    u64::from_ne_bytes(full)
}

/// Reads `width` bytes at `off` with the runtime-checked accessor of that width.
fn try_read<'a, H>(io: H, width: usize, off: usize) -> Result<u64>
where
    H: Io<'a, Target = [u8]>,
    H::Backend: kernel::io::IoCapable<u8>
        + kernel::io::IoCapable<u16>
        + kernel::io::IoCapable<u32>
        + kernel::io::IoCapable<u64>,
{
    match width {
        1 => io.try_read8(off).map(u64::from),
        2 => io.try_read16(off).map(u64::from),
        4 => io.try_read32(off).map(u64::from),
        _ => io.try_read64(off),
    }
}

/// Writes the low `width` bytes of `value` at `off` with the runtime-checked accessor.
fn try_write<'a, H>(io: H, width: usize, off: usize, value: u64) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: kernel::io::IoCapable<u8>
        + kernel::io::IoCapable<u16>
        + kernel::io::IoCapable<u32>
        + kernel::io::IoCapable<u64>,
{
    match width {
        1 => io.try_write8(value as u8, off),
        2 => io.try_write16(value as u16, off),
        4 => io.try_write32(value as u32, off),
        _ => io.try_write64(value, off),
    }
}

fn width() -> impl Strategy<Value = usize> {
    prop_oneof![Just(1usize), Just(2), Just(4), Just(8)]
}

proptest! {
    #![proptest_config(config())]

    /// Runtime-checked reads and writes of every width: the error the model predicts, or the
    /// bytes at the offset, and no other byte of the buffer changed.
    #[test]
    fn located_accesses(
        backend in backend(),
        (base, size) in shape(),
        width in width(),
        off in position(),
        value in any::<u64>(),
        seed in any::<u8>(),
    ) {
        let (mut buf, mut model) = buffers(seed);
        let want = access_model(base, size, off, width);
        let bytes = &mut buf.0[base..base + size];
        let read = with_view!(backend, &mut *bytes, |io| try_read(io, width, off));
        prop_assert_eq!(
            read,
            want.map(|()| value_of(&model[base + off..base + off + width]))
        );
        let bytes = &mut buf.0[base..base + size];
        let wrote = with_view!(backend, &mut *bytes, |io| try_write(io, width, off, value));
        prop_assert_eq!(wrote, want);
        if want.is_ok() {
            model[base + off..base + off + width].copy_from_slice(&bytes_of(value, width));
        }
        prop_assert_eq!(buf.0, model);
    }

    /// Region views made from borrowed bytes, and windows of them: the model's verdict for each
    /// region type, the window's size, and its first byte where the model puts it.
    #[test]
    fn regions_and_windows(
        (base, size) in shape(),
        off in position(),
        len in position(),
        kinds in (0usize..3, 0usize..3),
        seed in any::<u8>(),
    ) {
        let (mut buf, mut model) = buffers(seed);
        // (build-time size, alignment) of the region types below.
        const KINDS: [(usize, usize); 3] = [(0, 4), (8, 4), (16, 8)];
        let region_ok = |at: usize, len: usize, (min, align): (usize, usize)| {
            len >= min && (base + at) % align == 0 && len % align == 0
        };
        let (outer, inner) = (KINDS[kinds.0], KINDS[kinds.1]);
        let want_outer = if region_ok(0, size, outer) { Ok(()) } else { Err(EINVAL) };
        let want_window = if past_end(off, len, size) {
            Err(ERANGE)
        } else if region_ok(off, len, inner) {
            Ok(len)
        } else {
            Err(EINVAL)
        };

        /// Makes the outer region, the window in it, and writes 0xa5 to the window's first
        /// byte if it has one; returns the outer verdict and the window's size.
        fn run<const M: usize, A: kernel::io::RegionAlign>(
            bytes: &mut [u8],
            inner: usize,
            off: usize,
            len: usize,
        ) -> (Result, Result<usize>) {
            let io = match SysMem::<Region<M, A>>::try_from_bytes(bytes) {
                Ok(io) => io,
                Err(e) => return (Err(e), Err(e)),
            };
            let window = match inner {
                0 => io.try_window::<Region<0, Align4>>(off, len).map(|w| w.as_bytes()),
                1 => io.try_window::<Region<8, Align4>>(off, len).map(|w| w.as_bytes()),
                _ => io.try_window::<Region<16, Align8>>(off, len).map(|w| w.as_bytes()),
            };
            let window = window.map(|w| {
                if !w.is_empty() {
                    io_project!(w, [panic: 0]).write_val(0xa5);
                }
                w.len()
            });
            (Ok(()), window)
        }

        let bytes = &mut buf.0[base..base + size];
        let (made, window) = match kinds.0 {
            0 => run::<0, Align4>(bytes, kinds.1, off, len),
            1 => run::<8, Align4>(bytes, kinds.1, off, len),
            _ => run::<16, Align8>(bytes, kinds.1, off, len),
        };
        prop_assert_eq!(made, want_outer);
        if want_outer.is_ok() {
            prop_assert_eq!(window, want_window);
            if matches!(want_window, Ok(n) if n > 0) {
                model[base + off] = 0xa5;
            }
        }
        prop_assert_eq!(buf.0, model);
    }

    /// `try_cast` to types of several sizes and alignments: the model's verdict, and a value
    /// made of exactly the bytes at the start of the view.
    #[test]
    fn casts(
        backend in backend(),
        (base, size) in shape(),
        which in 0usize..5,
        seed in any::<u8>(),
    ) {
        let (mut buf, model) = buffers(seed);
        // (size, alignment) of the cast targets below.
        const TARGETS: [(usize, usize); 5] = [(2, 2), (3, 1), (8, 4), (8, 8), (16, 8)];
        let (n, align) = TARGETS[which];
        let want = if n > size {
            Err(ERANGE)
        } else if base % align != 0 {
            Err(EINVAL)
        } else {
            Ok(model[base..base + n].to_vec())
        };
        let bytes = &mut buf.0[base..base + size];
        let got: Result<Vec<u8>> = with_view!(backend, bytes, |io| match which {
            0 => io.try_cast::<u16>().map(|v| v.copy_read().to_ne_bytes().to_vec()),
            1 => io.try_cast::<[u8; 3]>().map(|v| v.copy_read().to_vec()),
            2 => io.try_cast::<[u32; 2]>().map(|v| v.copy_read().as_bytes().to_vec()),
            3 => io.try_cast::<u64>().map(|v| v.copy_read().to_ne_bytes().to_vec()),
            _ => io.try_cast::<[u64; 2]>().map(|v| v.copy_read().as_bytes().to_vec()),
        });
        prop_assert_eq!(got, want);
        prop_assert_eq!(buf.0, model);
    }

    /// Range projections (`[try: a..b]`) and a fill through them: `ERANGE` unless the range
    /// is ordered and inside the view, and then exactly those bytes filled.
    #[test]
    fn ranges_and_fills(
        backend in backend(),
        (base, size) in shape(),
        a in position(),
        b in position(),
        byte in any::<u8>(),
        seed in any::<u8>(),
    ) {
        let (mut buf, mut model) = buffers(seed);
        let want = if a > b || b > size { Err(ERANGE) } else { Ok(b - a) };
        let bytes = &mut buf.0[base..base + size];
        let got = with_view!(backend, bytes, |io| {
            let fill = || -> Result<usize> {
                let part = io_project!(io, [try: a..b]);
                part.fill(byte);
                Ok(part.len())
            };
            fill()
        });
        prop_assert_eq!(got, want);
        if want.is_ok() {
            model[base + a..base + b].fill(byte);
        }
        prop_assert_eq!(buf.0, model);
    }

    /// Copies from and to slices, checked for length, and view-to-view copies within one view
    /// with the result of `memmove()` however the two ranges overlap.
    #[test]
    fn copies(
        backend in backend(),
        (base, size) in shape(),
        (dst, src, len, src_len) in (0usize..64, 0usize..64, 0usize..40, 0usize..40),
        data_len in 0usize..=64,
        seed in any::<u8>(),
    ) {
        let (mut buf, mut model) = buffers(seed);
        let data: Vec<u8> = (0..data_len).map(|i| 0x80 ^ i as u8).collect();

        // Into the whole view from a slice.
        let want = if data_len == size { Ok(()) } else { Err(EINVAL) };
        let bytes = &mut buf.0[base..base + size];
        prop_assert_eq!(with_view!(backend, bytes, |io| io.try_copy_from_slice(&data)), want);
        if want.is_ok() {
            model[base..base + size].copy_from_slice(&data);
        }
        prop_assert_eq!(buf.0, model);

        // Out of the whole view into a slice.
        let mut out = vec![0u8; data_len];
        let bytes = &mut buf.0[base..base + size];
        prop_assert_eq!(with_view!(backend, bytes, |io| io.try_copy_to_slice(&mut out)), want);
        if want.is_ok() {
            prop_assert_eq!(&out[..], &model[base..base + size]);
        } else {
            prop_assert!(out.iter().all(|&b| b == 0));
        }

        // Between two ranges of the same view.
        let inside = |at: usize, n: usize| at + n <= size;
        let want = if !inside(dst, len) || !inside(src, src_len) {
            Err(ERANGE)
        } else if len != src_len {
            Err(EINVAL)
        } else {
            Ok(())
        };
        let bytes = &mut buf.0[base..base + size];
        let moved = with_view!(backend, bytes, |io| {
            let copy = || -> Result {
                let to = io_project!(io, [try: dst..dst + len]);
                let from = io_project!(io, [try: src..src + src_len]);
                to.try_copy_from_view(from)
            };
            copy()
        });
        prop_assert_eq!(moved, want);
        if want.is_ok() {
            model.copy_within(base + src..base + src + len, base + dst);
        }
        prop_assert_eq!(buf.0, model);
    }
}
