// SPDX-License-Identifier: GPL-2.0

//! Views used from several threads at once, as 7.3's `Send`/`Sync` allow.
//!
//! A view's accesses are volatile, which the kernel memory model (LKMM) treats as marked
//! accesses, like `READ_ONCE()`/`WRITE_ONCE()`: CPUs accessing one location through copies of a
//! view do not race there. Miri checks Rust's (C++11's) model instead, in which any two
//! concurrent non-atomic accesses, one a write, are a data race even when volatile; so the case
//! on one shared location runs natively only, and the one on disjoint locations runs under Miri
//! too.

use kernel::io::{io_project, io_read, io_write, Io, IoSysMap, SysMem};

const THREADS: usize = 4;
const ROUNDS: usize = 64;

/// Each thread writes its own elements through its copy of one view, of each kind that holds
/// system memory; every element ends up as its thread wrote it.
#[test]
fn copies_of_a_view_write_disjoint_elements_from_threads() {
    let mut words = [0u32; THREADS * 4];
    let io = SysMem::from_mut(&mut words);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in (t * 4)..(t * 4 + 4) {
                    io_write!(io, [panic: i], (t * 100 + i) as u32);
                }
            });
        }
    });
    for (i, w) in words.iter().enumerate() {
        assert_eq!(*w as usize, (i / 4) * 100 + i);
    }

    let mut bytes = [0u8; THREADS * 8];
    let map: IoSysMap<'_, [u8]> = SysMem::from_mut(&mut bytes[..]).into();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                let mine = io_project!(map, [panic: t * 8..t * 8 + 8]);
                mine.fill(t as u8 + 1);
                assert_eq!(io_read!(mine, [panic: 7]), t as u8 + 1);
            });
        }
    });
    for (i, b) in bytes.iter().enumerate() {
        assert_eq!(*b as usize, i / 8 + 1);
    }
}

/// Threads write and read one 64-bit location through copies of one view: marked accesses of
/// the machine's width, so every value read is one that some thread wrote, never a mix.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri follows C++11, where concurrent volatile accesses race; the LKMM does not"
)]
fn copies_of_a_view_share_one_location_without_tearing() {
    // Values whose halves differ, so that a torn read could not be mistaken for one of them.
    let value = |t: usize| 0x0101_0101_0101_0101u64.wrapping_mul(t as u64 + 1) ^ 0xffff_ffff;
    let mut cell = value(0);
    let io = SysMem::from_mut(&mut cell);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    io.write_val(value(t));
                    let seen = io.read_val();
                    assert!(
                        (0..THREADS).any(|w| seen == value(w)),
                        "read {seen:#x}, which no thread wrote"
                    );
                }
            });
        }
    });
    assert!((0..THREADS).any(|w| cell == value(w)));
}
