// SPDX-License-Identifier: GPL-2.0

//! Copies: slices in and out, the `try_` forms, and view-to-view copies checked against a
//! `memmove()` model on every backend.

mod common;

use common::{iterations, mmio_of, Aligned, Rng};
use kernel::io::{io_project, Io, IoCopyable, IoSysMap, SysMem};
use kernel::prelude::*;

#[test]
fn slices_copy_in_and_out() {
    let mut buf = [0u8; 16];
    {
        let io = SysMem::from_mut(&mut buf[..]);
        io_project!(io, [build: 4..8]).copy_from_slice(b"abcd");
        let mut out = [0u8; 6];
        io_project!(io, [build: 3..9]).copy_to_slice(&mut out);
        assert_eq!(&out, b"\0abcd\0");
    }
    {
        let io = mmio_of(&mut buf[..]);
        io_project!(io, [build: 10..12]).copy_from_slice(b"xy");
        let mut out = [0u8; 16];
        io.copy_to_slice(&mut out);
        assert_eq!(&out[4..12], b"abcd\0\0xy");
    }
}

#[test]
fn try_slice_copies_report_length_mismatch_and_touch_nothing() {
    let mut buf = [7u8; 8];
    let io = SysMem::from_mut(&mut buf[..]);
    assert_eq!(io.try_copy_from_slice(&[1; 7]), Err(EINVAL));
    assert_eq!(io.try_copy_from_slice(&[1; 9]), Err(EINVAL));
    let mut out = [0u8; 9];
    assert_eq!(io.try_copy_to_slice(&mut out), Err(EINVAL));
    assert_eq!(out, [0; 9]);
    assert_eq!(io.try_copy_to_slice(&mut out[..8]), Ok(()));
    assert_eq!(out[..8], [7; 8]);
    assert_eq!(io.try_copy_from_slice(&[2; 8]), Ok(()));
    assert_eq!(buf, [2; 8]);
}

#[test]
#[should_panic(expected = "copy_from_slice: length mismatch")]
fn copy_from_slice_panics_on_mismatch() {
    let mut buf = [0u8; 4];
    SysMem::from_mut(&mut buf[..]).copy_from_slice(&[0; 3]);
}

#[test]
#[should_panic(expected = "copy_to_slice: length mismatch")]
fn copy_to_slice_panics_on_mismatch() {
    let mut buf = [0u8; 4];
    let mut out = [0u8; 5];
    mmio_of(&mut buf[..]).copy_to_slice(&mut out);
}

#[test]
#[should_panic(expected = "copy_from_view: length mismatch")]
fn copy_from_view_panics_on_mismatch() {
    let mut buf = [0u8; 8];
    let io = SysMem::from_mut(&mut buf[..]);
    io_project!(io, [build: ..4]).copy_from_view(io_project!(io, [build: 4..7]));
}

#[test]
fn try_copy_from_view_reports_mismatch() {
    let mut buf = *b"01234567";
    let io = mmio_of(&mut buf[..]);
    let dst = io_project!(io, [build: ..4]);
    assert_eq!(
        dst.try_copy_from_view(io_project!(io, [build: 4..])),
        Ok(())
    );
    assert_eq!(
        dst.try_copy_from_view(io_project!(io, [build: 5..])),
        Err(EINVAL)
    );
    assert_eq!(&buf, b"45674567");
}

/// Copies `len` bytes from `src` to `dst` within a buffer of `N` bytes through `copy`, and
/// checks the result against `<[u8]>::copy_within`, the `memmove()` model.
fn check_against_model<const N: usize>(
    rng: &mut Rng,
    copy: impl Fn(&mut [u8; N], usize, usize, usize),
) {
    let mut buf = [0u8; N];
    for b in buf.iter_mut() {
        *b = rng.next() as u8;
    }
    let len = rng.below(N + 1);
    let src = rng.below(N - len + 1);
    let dst = rng.below(N - len + 1);
    let mut model = buf;
    model.copy_within(src..src + len, dst);
    copy(&mut buf, dst, src, len);
    assert_eq!(buf, model, "dst {dst} src {src} len {len}");
}

/// Runs the model check for a backend, biased towards overlapping copies and lengths around
/// the bounce buffer's chunk size.
macro_rules! memmove_model_test {
    ($name:ident, $make:expr) => {
        #[test]
        fn $name() {
            let mut rng = Rng::new(0x5eed_0000 ^ line!() as u64);
            for _ in 0..iterations(400) {
                check_against_model::<1100>(&mut rng, |buf, dst, src, len| {
                    let io = $make(&mut buf[..]);
                    let to = io_project!(io, [panic: dst..dst + len]);
                    to.copy_from_view(io_project!(io, [panic: src..src + len]));
                });
            }
            // Overlaps by one byte in both directions, across several chunks.
            for (dst, src, len) in [(1, 0, 1000), (0, 1, 1000), (256, 0, 513), (0, 255, 600)] {
                let mut buf = [0u8; 1100];
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = (i % 251) as u8;
                }
                let mut model = buf;
                model.copy_within(src..src + len, dst);
                let io = $make(&mut buf[..]);
                io_project!(io, [panic: dst..dst + len])
                    .copy_from_view(io_project!(io, [panic: src..src + len]));
                assert_eq!(buf, model, "dst {dst} src {src} len {len}");
            }
        }
    };
}

memmove_model_test!(sysmem_view_copies_behave_like_memmove, SysMem::from_mut);
memmove_model_test!(mmio_view_copies_behave_like_memmove, mmio_of);
memmove_model_test!(relaxed_mmio_view_copies_behave_like_memmove, |b| mmio_of(b)
    .relaxed());
memmove_model_test!(iosysmap_sys_view_copies_behave_like_memmove, |b| {
    IoSysMap::from(SysMem::from_mut(b))
});
memmove_model_test!(iosysmap_io_view_copies_behave_like_memmove, |b| {
    IoSysMap::from(mmio_of(b))
});

#[test]
fn copies_between_the_two_sides_of_an_iosysmap() {
    let mut io_mem = *b"io memory!";
    let mut sys_mem = *b"sys memory";
    let a = IoSysMap::from(mmio_of(&mut io_mem[..]));
    let b = IoSysMap::from(SysMem::from_mut(&mut sys_mem[..]));
    io_project!(a, [build: ..3]).copy_from_view(io_project!(b, [build: ..3]));
    io_project!(b, [build: 7..]).copy_from_view(io_project!(a, [build: 7..]));
    assert_eq!(&io_mem, b"sysmemory!");
    assert_eq!(&sys_mem, b"sys memry!");
}

#[test]
fn backend_copy_read_and_write_round_trip_every_backend() {
    #[repr(C)]
    #[derive(Debug, PartialEq, FromBytes, IntoBytes)]
    struct Pair {
        a: u32,
        b: [u8; 4],
    }
    let mut raw = Aligned::<8>::new();
    let value = Pair {
        a: 0xabcd_ef01,
        b: *b"wxyz",
    };
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&0xabcd_ef01u32.to_ne_bytes());
    bytes[4..].copy_from_slice(b"wxyz");
    {
        let io = SysMem::from_mut(&mut raw.0[..]).try_cast::<Pair>().unwrap();
        kernel::io::SysMemBackend::copy_write(io, Pair { ..value });
        assert_eq!(io.copy_read(), value);
    }
    let mut back = Aligned::<8>::new();
    {
        let io = mmio_of(&mut back.0[..]).try_cast::<Pair>().unwrap();
        io.copy_write(Pair { ..value });
        assert_eq!(kernel::io::MmioBackend::copy_read(io), value);
    }
    assert_eq!(raw.0, bytes);
    assert_eq!(back.0, bytes);
}
