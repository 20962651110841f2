// SPDX-License-Identifier: GPL-2.0

//! What this layer has beyond 7.3's: region alignment and windows, byte views, build-checked
//! casts, locations on typed and byte views, fill, byte order, split 64-bit accesses, FIFO
//! accessors, port I/O views and `Debug`.

mod common;

use common::log::{self, logged};
use common::{mmio_of, sys_region, Aligned};
use kernel::io::{
    io_project, io_read, io_try_project, io_try_read, io_try_write, io_write, split, Align8, Be16,
    Be32, Be64, Io, IoSysMap, Le16, Le32, Le64, MmioRaw, PortIo, Region, SysMem,
};
use kernel::prelude::*;

#[test]
fn align8_regions_come_from_runtime_checks() {
    let mut buf = Aligned::<32>::patterned();
    let io = sys_region::<32, kernel::io::Align4>(&mut buf.0);
    let wide = io.try_as_region::<Region<32, Align8>>().unwrap();
    wide.write64(0x0102_0304_0506_0708, 24);
    assert_eq!(wide.read64(24), 0x0102_0304_0506_0708);
    assert_eq!(io.try_as_region::<Region<40>>().err(), Some(EINVAL));
    // Off an 8-byte boundary, or 4 bytes short of a multiple of 8.
    let shifted = io.try_window::<Region<0>>(4, 24).unwrap();
    assert_eq!(
        shifted.try_as_region::<Region<0, Align8>>().err(),
        Some(EINVAL)
    );
    let odd = io.try_window::<Region<0>>(0, 28).unwrap();
    assert_eq!(odd.try_as_region::<Region<0, Align8>>().err(), Some(EINVAL));
    assert_eq!(&buf.0[24..32], &0x0102_0304_0506_0708u64.to_ne_bytes());
}

#[test]
fn windows_are_checked_regions_within_the_location() {
    let mut buf = Aligned::<32>::new();
    let io = sys_region::<32, Align8>(&mut buf.0);
    let w = io.try_window::<Region<8>>(16, 12).unwrap();
    assert_eq!(w.size(), 12);
    w.try_write32(0xaabb_ccdd, 8).unwrap();
    assert_eq!(io.read32(24), 0xaabb_ccdd);
    assert_eq!(io.try_window::<Region<0>>(20, 16).err(), Some(ERANGE));
    assert_eq!(io.try_window::<Region<16>>(16, 12).err(), Some(EINVAL));
    assert_eq!(
        io.try_window::<Region<0>>(usize::MAX, 4).err(),
        Some(ERANGE)
    );
    assert_eq!(io.try_window::<Region<0>>(2, 8).err(), Some(EINVAL));
    assert_eq!(io.try_window::<Region<0>>(4, 6).err(), Some(EINVAL));
    let fixed = io.window::<Region<8, Align8>, 8>();
    assert_eq!(fixed.size(), 8);
    fixed.write64(u64::MAX, 0);
    assert_eq!(io.read64(8), u64::MAX);
}

#[repr(C)]
#[derive(Debug, PartialEq, FromBytes, IntoBytes)]
struct Regs {
    id: u32,
    ctrl: u16,
    status: u16,
    counter: u64,
}

// Offsets and registers on its views, as on a region.
impl kernel::io::RegisterBlock for Regs {}

#[test]
fn build_checked_casts_and_byte_views() {
    let mut buf = Aligned::<32>::new();
    let io = sys_region::<32, Align8>(&mut buf.0);
    let regs = io.cast::<Regs>();
    io_write!(regs, .id, 0x11e8);
    io_write!(regs, .counter, 7);
    let bytes = regs.as_bytes();
    assert_eq!(bytes.len(), 16);
    let mut out = [0u8; 4];
    io_project!(bytes, [build: ..4]).copy_to_slice(&mut out);
    assert_eq!(out, 0x11e8u32.to_ne_bytes());
    io_project!(bytes, [build: 4..6]).copy_from_slice(&0x5a5au16.to_ne_bytes());
    assert_eq!(io_read!(regs, .ctrl), 0x5a5a);
    assert_eq!(io.as_bytes().len(), 32);
}

#[test]
fn offsets_work_on_typed_and_byte_views() {
    let mut regs = Regs {
        id: 1,
        ctrl: 2,
        status: 3,
        counter: 4,
    };
    let io = SysMem::from_mut(&mut regs);
    assert_eq!(io.read32(0), 1);
    assert_eq!(io.read16(6), 3);
    io.write64(40, 8);
    io.update(4usize, |v: u16| v * 10);
    assert_eq!(io.try_read64(16), Err(ERANGE));
    assert_eq!(io.try_read32(2), Err(EINVAL));
    let bytes = io.as_bytes();
    assert_eq!(bytes.try_read16(6), Ok(3));
    assert_eq!(bytes.try_write8(9, 16), Err(ERANGE));
    assert_eq!((regs.ctrl, regs.counter), (20, 40));
}

/// Runs `check` on a view over the buffer through each host backend that copies.
fn on_copying_backends(mut check: impl FnMut(&str, &mut dyn FnMut(&mut [u8], u8, usize, usize))) {
    check("sysmem", &mut |buf, byte, from, to| {
        io_project!(SysMem::from_mut(buf), [panic: from..to]).fill(byte)
    });
    check("mmio", &mut |buf, byte, from, to| {
        io_project!(mmio_of(buf), [panic: from..to]).fill(byte)
    });
    check("iosysmap", &mut |buf, byte, from, to| {
        io_project!(IoSysMap::from(mmio_of(buf)), [panic: from..to]).fill(byte)
    });
    check("port", &mut |buf, byte, from, to| {
        io_project!(port_of(buf), [panic: from..to]).fill(byte)
    });
}

/// A port view over ordinary memory: on the host the port accessors are volatile accesses.
fn port_of<T: ?Sized>(value: &mut T) -> PortIo<'_, T> {
    // SAFETY: The host's port accessors are volatile loads and stores, for which a unique
    // borrow is a valid location for as long as the view lives.
    unsafe { PortIo::from_raw(MmioRaw::from_ptr(value)) }
}

#[test]
fn fill_sets_exactly_the_window_on_every_backend() {
    on_copying_backends(|name, fill| {
        for (from, to) in [(0, 0), (3, 4), (1, 600), (0, 700)] {
            let mut buf = [7u8; 700];
            fill(&mut buf, 0xa5, from, to);
            for (i, b) in buf.iter().enumerate() {
                let want = if (from..to).contains(&i) { 0xa5 } else { 7 };
                assert_eq!(*b, want, "{name}: byte {i} after filling {from}..{to}");
            }
        }
    });
}

#[test]
fn byte_order_types_mean_the_same_on_every_backend() {
    let mut a = Aligned::<16>::new();
    let mut b = Aligned::<16>::new();
    for io in [
        IoSysMap::from(SysMem::from_mut(&mut a.0)),
        IoSysMap::from(mmio_of(&mut b.0)),
    ] {
        let words = io.try_cast::<[u8; 16]>().unwrap();
        io_project!(words, [build: 0..2])
            .try_cast::<Le16>()
            .unwrap()
            .write_val(Le16::new(0x0102));
        io_project!(words, [build: 2..4])
            .try_cast::<Be16>()
            .unwrap()
            .write_val(Be16::new(0x0102));
        io_project!(words, [build: 4..8])
            .try_cast::<Be32>()
            .unwrap()
            .write_val(0xa1b2_c3d4.into());
        let le64 = io_project!(words, [build: 8..16])
            .try_cast::<Le64>()
            .unwrap();
        le64.write_val(Le64::new(0x0807_0605_0403_0201));
        assert_eq!(le64.read_val().get(), 0x0807_0605_0403_0201);
        let be = io_project!(words, [build: 4..8])
            .try_cast::<Be32>()
            .unwrap();
        assert_eq!(u32::from(be.read_val()), 0xa1b2_c3d4);
    }
    let want = [
        0x02, 0x01, 0x01, 0x02, 0xa1, 0xb2, 0xc3, 0xd4, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    assert_eq!(a.0, want);
    assert_eq!(b.0, want);
}

#[test]
fn byte_order_types_at_offsets_and_in_their_own_right() {
    let mut words = [0u32; 4];
    let io = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes()).unwrap();
    io.write(4usize, Be32::new(1));
    io.write(8usize, Le32::new(1));
    assert_eq!(io.read::<Be32, _>(4usize).get(), 1);
    assert_eq!(io.try_read::<Le32, _>(6usize), Err(EINVAL));
    assert_eq!(io.try_read::<Le32, _>(14usize), Err(ERANGE));
    assert_eq!(words[1].to_ne_bytes(), [0, 0, 0, 1]);
    assert_eq!(words[2].to_ne_bytes(), [1, 0, 0, 0]);
    assert_eq!(Be64::new(5).to_bits(), 5u64.to_be());
    assert_eq!(Le32::from_bits(7u32.to_le()).get(), 7);
    assert_eq!(format!("{:?}", Be16::new(0x1234)), "Be16(0x1234)");
}

/// The log as (operation, address, value).
fn take_log() -> Vec<(&'static str, usize, u32)> {
    log::take_log()
        .into_iter()
        .map(|a| (a.op, a.addr, u32::try_from(a.value).unwrap()))
        .collect()
}

#[test]
fn split_64_bit_accesses_use_two_32_bit_accesses_in_the_stated_order() {
    let mut reg = 0u64;
    let lo = core::ptr::from_mut(&mut reg).addr();
    let hi = lo + 4;
    let io = logged(&mut reg);
    take_log();
    io.write_lo_hi(0x1111_2222_3333_4444);
    io.write_hi_lo(0x5555_6666_7777_8888);
    assert_eq!(io.read_lo_hi(), 0x5555_6666_7777_8888);
    assert_eq!(io.read_hi_lo(), 0x5555_6666_7777_8888);
    if cfg!(target_endian = "little") {
        assert_eq!(
            take_log(),
            [
                ("write", lo, 0x3333_4444),
                ("write", hi, 0x1111_2222),
                ("write", hi, 0x5555_6666),
                ("write", lo, 0x7777_8888),
                ("read", lo, 0x7777_8888),
                ("read", hi, 0x5555_6666),
                ("read", hi, 0x5555_6666),
                ("read", lo, 0x7777_8888),
            ]
        );
    }
}

#[test]
fn split_halves_on_two_fields_and_on_a_pair_of_u32s() {
    // `lo_hi_readq(&regs->base_lo)`: two fields, here not even adjacent.
    #[repr(C)]
    struct Regs {
        base_hi: u32,
        ctrl: u32,
        base_lo: u32,
        limit: [u32; 2],
    }
    let mut regs = Regs {
        base_hi: 0,
        ctrl: 7,
        base_lo: 0,
        limit: [0; 2],
    };
    let base = core::ptr::from_mut(&mut regs).addr();
    let io = logged(&mut regs);
    let (lo, hi) = (io_project!(io, .base_lo), io_project!(io, .base_hi));
    take_log();
    split::write_lo_hi(lo, hi, 0x1111_2222_3333_4444);
    split::write_hi_lo(lo, hi, 0x5555_6666_7777_8888);
    assert_eq!(split::read_lo_hi(lo, hi), 0x5555_6666_7777_8888);
    assert_eq!(split::read_hi_lo(lo, hi), 0x5555_6666_7777_8888);
    let (lo_at, hi_at) = (base + 8, base);
    assert_eq!(
        take_log(),
        [
            ("write", lo_at, 0x3333_4444),
            ("write", hi_at, 0x1111_2222),
            ("write", hi_at, 0x5555_6666),
            ("write", lo_at, 0x7777_8888),
            ("read", lo_at, 0x7777_8888),
            ("read", hi_at, 0x5555_6666),
            ("read", hi_at, 0x5555_6666),
            ("read", lo_at, 0x7777_8888),
        ]
    );
    // A pair of adjacent `u32`s: the low half at the lower address.
    io_project!(io, .limit).write_lo_hi(0x0123_4567_89ab_cdef);
    assert_eq!(io_project!(io, .limit).read_hi_lo(), 0x0123_4567_89ab_cdef);
    assert_eq!(
        (regs.base_lo, regs.base_hi, regs.ctrl),
        (0x7777_8888, 0x5555_6666, 7)
    );
    assert_eq!(regs.limit, [0x89ab_cdef, 0x0123_4567]);
}

#[test]
fn byte_windows_never_overflow_on_hostile_offsets() {
    let mut buf = Aligned::<64>::patterned();
    let want = buf.0;
    let io = sys_region::<64, Align8>(&mut buf.0);
    for (offset, len) in [
        (usize::MAX, 1),
        (1, usize::MAX),
        (usize::MAX, usize::MAX),
        (65, 0),
        (64, 1),
        (0, 65),
        (usize::MAX - 3, 8),
    ] {
        assert_eq!(
            io.try_byte_window(offset, len).err(),
            Some(ERANGE),
            "{offset} {len}"
        );
    }
    assert_eq!(io.try_byte_window(64, 0).unwrap().len(), 0);
    let mut out = [0u8; 5];
    io.try_byte_window(59, 5).unwrap().copy_to_slice(&mut out);
    assert_eq!(out, want[59..64]);
    io.try_byte_window(3, 2)
        .unwrap()
        .copy_from_slice(&[0xaa, 0xbb]);
    assert_eq!(buf.0[..6], [want[0], want[1], want[2], 0xaa, 0xbb, want[5]]);
}

/// Returns the `u16` at `index`, or 0xffff if there is none: no `?` in a function that
/// returns a plain value.
fn entry_or_ffff(io: SysMem<'_, [u16]>, index: usize) -> u16 {
    io_try_read!(io, [try: index]).unwrap_or(0xffff)
}

#[test]
fn runtime_projection_without_question_mark() {
    let mut entries = [1u16, 2, 3];
    let io = SysMem::from_mut(&mut entries[..]);
    assert_eq!(
        (0..5).map(|i| entry_or_ffff(io, i)).collect::<Vec<_>>(),
        [1, 2, 3, 0xffff, 0xffff]
    );
    assert_eq!(io_try_write!(io, [try: 3], 9), Err(ERANGE));
    assert_eq!(io_try_write!(io, [try: 2], 9), Ok(()));
    assert_eq!(io_try_project!(io, [try: 1..4]).err(), Some(ERANGE));
    assert_eq!(io_try_project!(io, [try: 1..3]).map(|v| v.len()), Ok(2));
    assert_eq!(entries, [1, 2, 9]);
}

#[test]
fn fifo_accessors_repeat_one_location() {
    let mut reg = 9u32;
    let at = core::ptr::from_mut(&mut reg).addr();
    let io = logged(&mut reg);
    take_log();
    io.write_fifo(&[1, 2, 3]);
    let mut out = [0u32; 2];
    io.read_fifo(&mut out);
    assert_eq!(out, [3, 3]);
    assert_eq!(
        take_log(),
        [
            ("write", at, 1),
            ("write", at, 2),
            ("write", at, 3),
            ("read", at, 3),
            ("read", at, 3)
        ]
    );
}

#[test]
fn port_views_access_and_copy_like_the_others() {
    let mut regs = Regs {
        id: 0,
        ctrl: 0,
        status: 0,
        counter: 0,
    };
    let io = port_of(&mut regs);
    io_write!(io, .id, 0xabcd);
    io_write!(io, .status, Le16::new(0x8001).get());
    let mut bytes = [0u8; 16];
    io.as_bytes().copy_to_slice(&mut bytes);
    assert_eq!(&bytes[..4], &0xabcdu32.to_ne_bytes());
    io.as_bytes().fill(0);
    assert_eq!(
        regs,
        Regs {
            id: 0,
            ctrl: 0,
            status: 0,
            counter: 0
        }
    );
}

#[test]
fn debug_shows_the_backend_the_address_and_the_size_only() {
    let mut buf = Aligned::<16>::new();
    let base = buf.0.as_ptr().addr();
    let io = SysMem::from_mut(&mut buf.0);
    // The host prints addresses as the kernel does with `no_hash_pointers`.
    assert_eq!(
        format!("{io:?}"),
        format!("SysMem {{ addr: {base:#018x}, size: 0x10 }}")
    );
    let part = io_project!(io, [build: 4..8]);
    assert_eq!(
        format!("{part:?}"),
        format!("SysMem {{ addr: {:#018x}, size: 0x4 }}", base + 4)
    );
    let map = IoSysMap::from(mmio_of(&mut buf.0));
    assert_eq!(
        format!("{map:?}"),
        format!("IoSysMap::Io(Mmio {{ addr: {base:#018x}, size: 0x10 }})")
    );
    let relaxed = mmio_of(&mut buf.0).relaxed();
    assert_eq!(
        format!("{relaxed:#?}"),
        format!("RelaxedMmio {{\n    addr: {base:#018x},\n    size: 0x10,\n}}")
    );
    assert_eq!(
        format!("{:?}", port_of(&mut buf.0)),
        format!("PortIo {{ addr: {base:#018x}, size: 0x10 }}")
    );
}
