// SPDX-License-Identifier: GPL-2.0

//! The `Io` accessors, run on every backend the host can drive: `SysMem`, `Mmio` (over RAM),
//! `RelaxedMmio` and both sides of `IoSysMap`.

mod common;

use common::{mmio_of, sys_region, Aligned};
use kernel::io::{Align8, Io, IoCapable, IoSysMap, Region, SysMem};
use kernel::prelude::*;

type Regs = Region<32, Align8>;

/// Runs `$body` with `$io` bound to a view of `Regs` over `$buf` for each backend.
macro_rules! on_every_backend {
    ($buf:ident, $io:ident => $body:block) => {{
        let mut $buf = Aligned::<32>::patterned();
        {
            let $io = sys_region::<32, Align8>(&mut $buf.0);
            $body
        }
        let expected = $buf.0;

        let mut $buf = Aligned::<32>::patterned();
        {
            let $io = mmio_of::<Regs>(region_of(&mut $buf));
            $body
        }
        assert_eq!($buf.0, expected, "Mmio differs from SysMem");

        let mut $buf = Aligned::<32>::patterned();
        {
            let $io = mmio_of::<Regs>(region_of(&mut $buf)).relaxed();
            $body
        }
        assert_eq!($buf.0, expected, "RelaxedMmio differs from SysMem");

        let mut $buf = Aligned::<32>::patterned();
        {
            let $io = IoSysMap::from(mmio_of::<Regs>(region_of(&mut $buf)));
            $body
        }
        assert_eq!($buf.0, expected, "IoSysMap::Io differs from SysMem");

        let mut $buf = Aligned::<32>::patterned();
        {
            let $io = IoSysMap::from(sys_region::<32, Align8>(&mut $buf.0));
            $body
        }
        assert_eq!($buf.0, expected, "IoSysMap::Sys differs from SysMem");
        expected
    }};
}

/// Reborrows an aligned buffer as a region.
fn region_of(buf: &mut Aligned<32>) -> &mut Regs {
    let p = Regs::ptr_try_from_raw_parts_mut(buf.0.as_mut_ptr(), 32).unwrap();
    // SAFETY: `p` covers exactly the borrowed, 8-aligned buffer, borrowed for the same lifetime.
    unsafe { &mut *p }
}

/// The pattern `Aligned::patterned` puts at byte `i`.
fn pat(i: usize) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(1)
}

fn ne_u16(bytes: &[u8]) -> u16 {
    u16::from_ne_bytes(bytes.try_into().unwrap())
}

fn ne_u32(bytes: &[u8]) -> u32 {
    u32::from_ne_bytes(bytes.try_into().unwrap())
}

fn ne_u64(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes.try_into().unwrap())
}

#[test]
fn fixed_width_accessors_read_and_write_each_width() {
    let pattern = Aligned::<32>::patterned().0;
    let after = on_every_backend!(buf, io => {
        assert_eq!(io.read8(3), pat(3));
        assert_eq!(io.read16(6), ne_u16(&pattern[6..8]));
        assert_eq!(io.read32(12), ne_u32(&pattern[12..16]));
        assert_eq!(io.read64(24), ne_u64(&pattern[24..32]));
        io.write8(0xa5, 1);
        io.write16(0xbeef, 2);
        io.write32(0xdead_beef, 4);
        io.write64(0x0123_4567_89ab_cdef, 16);
        assert_eq!(io.read8(1), 0xa5);
        assert_eq!(io.read16(2), 0xbeef);
        assert_eq!(io.read32(4), 0xdead_beef);
        assert_eq!(io.read64(16), 0x0123_4567_89ab_cdef);
    });
    let mut expected = pattern;
    expected[1] = 0xa5;
    expected[2..4].copy_from_slice(&0xbeefu16.to_ne_bytes());
    expected[4..8].copy_from_slice(&0xdead_beefu32.to_ne_bytes());
    expected[16..24].copy_from_slice(&0x0123_4567_89ab_cdefu64.to_ne_bytes());
    assert_eq!(after, expected);
}

#[test]
fn runtime_checked_accessors_succeed_in_bounds() {
    let after = on_every_backend!(buf, io => {
        assert_eq!(io.try_read8(31), Ok(pat(31)));
        assert_eq!(io.try_read16(30).unwrap(), ne_u16(&[pat(30), pat(31)]));
        io.try_write32(0x5a5a_5a5a, 28).unwrap();
        io.try_write64(0x1111_2222_3333_4444, 0).unwrap();
        io.try_write16(0x7777, 8).unwrap();
        io.try_write8(0x99, 10).unwrap();
        assert_eq!(io.try_read32(28), Ok(0x5a5a_5a5a));
        assert_eq!(io.try_read64(0), Ok(0x1111_2222_3333_4444));
    });
    assert_eq!(ne_u32(&after[28..32]), 0x5a5a_5a5a);
    assert_eq!(ne_u64(&after[0..8]), 0x1111_2222_3333_4444);
    assert_eq!(ne_u16(&after[8..10]), 0x7777);
    assert_eq!(after[10], 0x99);
}

#[test]
fn runtime_checked_accessors_reject_out_of_bounds_with_erange() {
    let after = on_every_backend!(buf, io => {
        assert_eq!(io.try_read8(32), Err(ERANGE));
        assert_eq!(io.try_read16(31), Err(ERANGE));
        assert_eq!(io.try_read32(29), Err(ERANGE));
        assert_eq!(io.try_read64(32), Err(ERANGE));
        assert_eq!(io.try_read64(usize::MAX - 3), Err(ERANGE));
        assert_eq!(io.try_read8(usize::MAX), Err(ERANGE));
        assert_eq!(io.try_write8(0, 32), Err(ERANGE));
        assert_eq!(io.try_write16(0, 31), Err(ERANGE));
        assert_eq!(io.try_write32(0, 30), Err(ERANGE));
        assert_eq!(io.try_write64(0, 25), Err(ERANGE));
        assert_eq!(io.try_write64(0, usize::MAX), Err(ERANGE));
    });
    assert_eq!(
        after,
        Aligned::<32>::patterned().0,
        "a failed write changed memory"
    );
}

#[test]
fn runtime_checked_accessors_reject_misalignment_with_einval() {
    let after = on_every_backend!(buf, io => {
        assert_eq!(io.try_read16(1), Err(EINVAL));
        assert_eq!(io.try_read32(6), Err(EINVAL));
        assert_eq!(io.try_read64(4), Err(EINVAL));
        assert_eq!(io.try_write16(0, 3), Err(EINVAL));
        assert_eq!(io.try_write32(0, 2), Err(EINVAL));
        assert_eq!(io.try_write64(0, 12), Err(EINVAL));
    });
    assert_eq!(
        after,
        Aligned::<32>::patterned().0,
        "a failed write changed memory"
    );
}

#[test]
fn located_accessors_convert_between_value_and_access_types() {
    let after = on_every_backend!(buf, io => {
        io.write(8usize, 0x0102_0304u32);
        assert_eq!(io.read::<u32, _>(8usize), 0x0102_0304);
        io.update(8usize, |v: u32| v + 1);
        assert_eq!(io.try_read::<u32, _>(8usize), Ok(0x0102_0305));
        io.try_write(12usize, 0xffu8).unwrap();
        io.try_update(12usize, |v: u8| v - 0x0f).unwrap();
        assert_eq!(io.read::<u8, _>(12usize), 0xf0);
        assert_eq!(io.try_write(40usize, 1u16), Err(ERANGE));
        assert_eq!(io.try_read::<u16, _>(13usize), Err(EINVAL));
    });
    assert_eq!(ne_u32(&after[8..12]), 0x0102_0305);
    assert_eq!(after[12], 0xf0);
}

#[test]
fn try_update_leaves_the_closure_uncalled_on_error() {
    on_every_backend!(buf, io => {
        let mut called = false;
        assert_eq!(io.try_update(30usize, |v: u32| { called = true; v }), Err(ERANGE));
        assert_eq!(io.try_update(2usize, |v: u32| { called = true; v }), Err(EINVAL));
        assert!(!called);
    });
}

#[test]
#[should_panic(expected = "build_error: I/O access out of bounds or misaligned")]
fn build_checked_access_past_the_known_size_fails_the_build_assertion() {
    let mut buf = Aligned::<32>::new();
    let io = sys_region::<32, Align8>(&mut buf.0);
    // In the kernel this does not link; the host stand-in panics instead.
    io.read32(32);
}

#[test]
#[should_panic(expected = "build_error: I/O access out of bounds or misaligned")]
fn build_checked_misaligned_offset_fails_the_build_assertion() {
    let mut buf = Aligned::<32>::new();
    let io = sys_region::<32, Align8>(&mut buf.0);
    io.write16(0, 3);
}

#[test]
fn runtime_size_beyond_the_known_size_is_reachable_with_try_accessors() {
    let mut buf = Aligned::<32>::new();
    // Only 8 bytes are known at build time; the view has 32.
    {
        let io = sys_region::<8, Align8>(&mut buf.0);
        assert_eq!(io.size(), 32);
        io.try_write32(0xcafe_f00d, 24).unwrap();
        io.write32(1, 4);
    }
    // Each write landed where it was aimed, as the memory itself shows, and reads back.
    assert_eq!(buf.0[24..28], 0xcafe_f00du32.to_ne_bytes());
    assert_eq!(buf.0[4..8], 1u32.to_ne_bytes());
    assert!(buf
        .0
        .iter()
        .enumerate()
        .all(|(i, b)| (4..8).contains(&i) || (24..28).contains(&i) || *b == 0));
    let io = sys_region::<8, Align8>(&mut buf.0);
    assert_eq!(io.try_read32(24), Ok(0xcafe_f00d));
    assert_eq!(io.read32(4), 1);
}

#[test]
fn size_len_and_is_empty_describe_the_location() {
    let mut words = [0u32; 5];
    let io = SysMem::from_mut(&mut words[..]);
    assert_eq!(io.size(), 20);
    assert_eq!(io.len(), 5);
    assert!(!io.is_empty());
    let mut none: [u32; 0] = [];
    let empty = SysMem::from_mut(&mut none[..]);
    assert_eq!(empty.len(), 0);
    assert!(empty.is_empty());
    let mut v = 0u16;
    assert_eq!(SysMem::from_mut(&mut v).size(), 2);
}

#[test]
fn whole_value_accessors_use_the_value_width() {
    let mut v = 0x1234_5678u32;
    let io = SysMem::from_mut(&mut v);
    assert_eq!(io.read_val(), 0x1234_5678);
    io.write_val(7);
    assert_eq!(v, 7);

    let mut w = 0u64;
    let io = mmio_of(&mut w);
    io.write_val(u64::MAX - 1);
    assert_eq!(io.read_val(), u64::MAX - 1);
    assert_eq!(io.relaxed().read_val(), u64::MAX - 1);
    assert_eq!(w, u64::MAX - 1);
}

#[test]
fn try_cast_checks_size_then_alignment() {
    let mut buf = Aligned::<16>::patterned();
    let io = SysMem::from_mut(&mut buf.0);
    let words = io.try_cast::<[u32; 4]>().unwrap();
    assert_eq!(words.size(), 16);
    assert_eq!(io.try_cast::<[u32; 5]>().err(), Some(ERANGE));
    assert_eq!(io.try_cast::<[u64; 3]>().err(), Some(ERANGE));
    assert!(io.try_cast::<u64>().is_ok());
    let tail = kernel::io::io_project!(io, [build: 4..]);
    assert_eq!(tail.try_cast::<u64>().err(), Some(EINVAL));
    assert_eq!(tail.try_cast::<[u8; 13]>().err(), Some(ERANGE));
    assert!(tail.try_cast::<[u8; 12]>().is_ok());
}

#[test]
fn region_views_read_what_the_buffer_holds() {
    let mut words = [0x0403_0201u32, 0x0807_0605];
    let io = SysMem::<Region<8>>::try_from_bytes(words.as_mut_bytes()).unwrap();
    assert_eq!(io.read8(0), 0x0403_0201u32.to_ne_bytes()[0]);
    assert_eq!(io.read32(4), 0x0807_0605);
    assert_eq!(
        SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes()).err(),
        Some(EINVAL)
    );
}

/// The capability bounds carry over to generic code: this compiles only because both backends
/// of `IoSysMap` can do 32-bit accesses.
fn generic_read32<'a, V>(io: V) -> u32
where
    V: Io<'a, Target = Regs>,
    V::Backend: IoCapable<u32>,
{
    io.read32(0)
}

#[test]
fn generic_code_is_written_once_for_every_backend() {
    let mut buf = Aligned::<32>::patterned();
    let expected = ne_u32(&buf.0[0..4]);
    assert_eq!(
        generic_read32(sys_region::<32, Align8>(&mut buf.0)),
        expected
    );
    assert_eq!(
        generic_read32(mmio_of::<Regs>(region_of(&mut buf))),
        expected
    );
    assert_eq!(
        generic_read32(IoSysMap::from(mmio_of::<Regs>(region_of(&mut buf)))),
        expected
    );
}
