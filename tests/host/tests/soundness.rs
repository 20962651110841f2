// SPDX-License-Identifier: GPL-2.0

//! Safe code written against the layer's public traits in the worst way the type system allows,
//! run plainly and under Miri: none of it may reach undefined behaviour.
//!
//! The other holes of this kind are closed at build time and have compile-fail cases under
//! `ui/compile-fail` (`lying_known_size`, `window_odd_size`, `union_field`,
//! `safe_copy_backend`).

mod common;

use core::cell::Cell;

use common::Aligned;
use kernel::io::{io_project, Io, IoBase, Region, SysMem, SysMemBackend};
use kernel::prelude::*;

/// A handle whose `as_view()` switches banks: the wide bank on even calls, the narrow one on odd
/// calls. `IoBase` is a safe trait, so a driver may write this.
struct Banks<'a> {
    wide: SysMem<'a, [u8]>,
    narrow: SysMem<'a, [u8]>,
    calls: Cell<usize>,
}

impl<'a> Banks<'a> {
    fn new(wide: &'a mut [u8], narrow: &'a mut [u8]) -> Self {
        Self {
            wide: SysMem::from_mut(wide),
            narrow: SysMem::from_mut(narrow),
            calls: Cell::new(0),
        }
    }

    /// Returns how many views were taken since the last call, and starts counting again on the
    /// wide bank.
    fn take_calls(&self) -> usize {
        self.calls.replace(0)
    }
}

impl<'a> IoBase<'a> for &'a Banks<'a> {
    type Backend = SysMemBackend;
    type Target = [u8];

    fn as_view(self) -> SysMem<'a, [u8]> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        if n % 2 == 0 {
            self.wide
        } else {
            self.narrow
        }
    }
}

const WIDE: usize = 64;
const NARROW: usize = 4;

/// Bytes `1..=WIDE`, so that a copy into the wrong bank or at the wrong offset shows.
fn pattern() -> [u8; WIDE] {
    core::array::from_fn(|i| i as u8 + 1)
}

// Before each operation took one view, the length check and the copy each called `as_view()`:
// the check saw the wide bank and the copy wrote 64 bytes into the narrow 4-byte one (Miri:
// out-of-bounds access). Now the copy uses the view it checked.
#[test]
fn slice_copies_use_the_view_they_checked() {
    let (mut wide, mut narrow) = ([0u8; WIDE], [0xeeu8; NARROW]);
    {
        let banks = Banks::new(&mut wide, &mut narrow);
        (&banks).copy_from_slice(&pattern());
        assert_eq!(banks.take_calls(), 1);
        assert_eq!((&banks).try_copy_from_slice(&pattern()), Ok(()));
        assert_eq!(banks.take_calls(), 1);
    }
    assert_eq!(wide, pattern());
    assert_eq!(narrow, [0xee; NARROW]);

    let mut out = [0u8; WIDE];
    {
        let banks = Banks::new(&mut wide, &mut narrow);
        (&banks).copy_to_slice(&mut out);
        assert_eq!(banks.take_calls(), 1);
        assert_eq!(out, pattern());
        out = [0; WIDE];
        assert_eq!((&banks).try_copy_to_slice(&mut out), Ok(()));
        assert_eq!(banks.take_calls(), 1);
    }
    assert_eq!(out, pattern());
}

// Starting on the narrow bank, the length check used to pass (4 bytes each) while the copy then
// ran on the wide bank, 64 bytes to or from a 4-byte slice (Miri: out-of-bounds access).
#[test]
fn slice_copies_stay_within_the_slice() {
    let (mut wide, mut narrow) = ([0u8; WIDE], [0u8; NARROW]);
    let mut out = [0u8; NARROW];
    {
        let banks = Banks::new(&mut wide, &mut narrow);
        banks.calls.set(1);
        (&banks).copy_from_slice(&[1, 2, 3, 4]);
        banks.calls.set(1);
        assert_eq!((&banks).try_copy_from_slice(&[5, 6, 7, 8]), Ok(()));
        banks.calls.set(1);
        (&banks).copy_to_slice(&mut out);
        assert_eq!(out, [5, 6, 7, 8]);
        banks.calls.set(1);
        out = [0; NARROW];
        assert_eq!((&banks).try_copy_to_slice(&mut out), Ok(()));
    }
    assert_eq!(out, [5, 6, 7, 8]);
    assert_eq!(narrow, [5, 6, 7, 8]);
    assert_eq!(wide, [0; WIDE]);
}

// The same operations on the narrow bank: the length check fails on the view that would be
// copied, and nothing is written.
#[test]
fn slice_copies_reject_a_mismatch_on_the_view_they_use() {
    let (mut wide, mut narrow) = ([0u8; WIDE], [0xeeu8; NARROW]);
    {
        let banks = Banks::new(&mut wide, &mut narrow);
        banks.calls.set(1);
        assert_eq!((&banks).try_copy_from_slice(&pattern()), Err(EINVAL));
        // One view, the narrow one (the count started at 1).
        assert_eq!(banks.take_calls(), 2);
        banks.calls.set(1);
        let mut out = [0u8; WIDE];
        assert_eq!((&banks).try_copy_to_slice(&mut out), Err(EINVAL));
        assert_eq!(out, [0; WIDE]);
    }
    assert_eq!(wide, [0; WIDE]);
    assert_eq!(narrow, [0xee; NARROW]);
}

// Every accessor takes exactly one view of the handle. A second one could be another location
// (another bank) than the one its checks were made on.
#[test]
fn every_accessor_takes_one_view() {
    // Aligned, as the 32-bit and region accesses below need.
    let (mut wide, mut narrow) = (Aligned::<WIDE>::new(), [0u8; NARROW]);
    let banks = Banks::new(&mut wide.0, &mut narrow);
    let io = &banks;
    let once = |what: &str| assert_eq!(banks.take_calls(), 1, "{what} took another view");

    assert_eq!(io.size(), WIDE);
    once("size");
    assert_eq!(io.len(), WIDE);
    once("len");
    assert!(!io.is_empty());
    once("is_empty");
    assert_eq!(io.try_read32(60), Ok(0));
    once("try_read32");
    assert_eq!(io.try_write16(0xabcd, 62), Ok(()));
    once("try_write16");
    assert_eq!(io.try_update(8usize, |v: u8| v + 1), Ok(()));
    once("try_update");
    assert_eq!(io.try_cast::<[u8; WIDE]>().map(|v| v.size()), Ok(WIDE));
    once("try_cast");
    assert_eq!(
        io.try_as_region::<Region<WIDE>>().map(|v| v.size()),
        Ok(WIDE)
    );
    once("try_as_region");
    assert_eq!(io.try_window::<Region<8>>(56, 8).map(|v| v.size()), Ok(8));
    once("try_window");
    assert_eq!(io.as_bytes().len(), WIDE);
    once("as_bytes");
    io.fill(0x11);
    once("fill");
    let mut last = [0u8; 1];
    io_project!(io, [panic: 63..64]).copy_to_slice(&mut last);
    once("io_project");
    assert_eq!(last, [0x11]);
    let src = io_project!(io, [panic: ..]);
    banks.take_calls();
    assert_eq!(io.try_copy_from_view(src), Ok(()));
    once("try_copy_from_view");
    drop(banks);
    assert_eq!(wide.0, [0x11; WIDE]);
}

// `try_as_region` used to take the size from one view and the window from a second one: with a
// bank switch in between, a wide region was checked against the narrow bank.
#[test]
fn try_as_region_checks_the_view_it_returns() {
    let (mut wide, mut narrow) = (Aligned::<WIDE>::new(), [0u8; NARROW]);
    let banks = Banks::new(&mut wide.0, &mut narrow);
    let region = (&banks).try_as_region::<Region<16>>();
    assert_eq!(region.map(|r| r.size()), Ok(WIDE));
    banks.calls.set(1);
    let region = (&banks).try_as_region::<Region<16>>();
    assert_eq!(region.err(), Some(EINVAL));
}
