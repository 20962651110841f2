// SPDX-License-Identifier: GPL-2.0

//! Checks of the `Io` accessors that every backend must pass.
//!
//! Each check takes a handle (a view, or a reference to an owner) and exercises one group of
//! accessors on it. What an access did is verified through another path: a value written with a
//! primitive accessor is found with a byte copy of the whole window, compared with a model of
//! what the window must hold, and bytes written with a copy are read back with primitives. The
//! same functions run on system memory under KUnit (`io_sysmem_test.rs`) and on MMIO, iosys_map
//! and DMA memory of a bound device (`io_device_test.rs`).
//!
//! The windows handed to these checks must be aligned to 8 bytes, so that the misaligned offsets
//! they try are misaligned for every width.

use core::hint::black_box;

use kernel::{
    io::{
        io_project,
        io_read,
        io_write,
        Align8,
        Io,
        IoCapable,
        IoCopyable,
        Region,
        RegionAlign, //
    },
    prelude::*,
};

use crate::checks::{
    check,
    check_eq, //
};

/// A backend that accesses every primitive width in one go and copies bytes: all but
/// configuration space.
pub(crate) trait AllWidths:
    IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCapable<u64> + IoCopyable
{
}

impl<B> AllWidths for B where
    B: IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCapable<u64> + IoCopyable
{
}

/// The part of a region that the region checks use.
pub(crate) const REGION_WINDOW: usize = 64;

/// The smallest byte window the slice checks accept.
pub(crate) const SLICE_WINDOW: usize = 4096;

/// Fills `buf` with bytes from a xorshift generator seeded with `seed`.
pub(crate) fn fill(buf: &mut [u8], seed: u32) {
    let mut x = seed | 1;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
}

/// Compares a window read back with its model, reporting the first difference.
pub(crate) fn compare(what: &str, got: &[u8], want: &[u8]) -> Result {
    check_eq!(got.len(), want.len());
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        pr_err!(
            "    # {}: byte {} is {:#04x}, expected {:#04x}\n",
            what,
            i,
            got[i],
            want[i]
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// What a region window holds before each region check: a different value in every byte.
fn background() -> [u8; REGION_WINDOW] {
    let mut bytes = [0; REGION_WINDOW];
    fill(&mut bytes, 0xb0a7);
    bytes
}

/// Generates the region checks of one primitive width.
macro_rules! region_checks {
    ($ty:ty, $runtime:ident, $build:ident, $errors:ident,
     $read:ident, $write:ident, $try_read:ident, $try_write:ident) => {
        #[doc = concat!("The runtime-checked `", stringify!($ty), "` accessors of a region.")]
        pub(crate) fn $runtime<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
        where
            H: Io<'a, Target = Region<N, A>>,
            H::Backend: AllWidths,
        {
            const W: usize = size_of::<$ty>();
            let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
            let mut model = background();
            bytes.copy_write(model);

            // A value with a different byte in every position, at offsets only known at runtime.
            let value = <$ty>::from_ne_bytes(core::array::from_fn(|i| 0x81 + 0x11 * i as u8));
            let (a, b) = (black_box(8usize), black_box(24usize));
            io.$try_write(value, a)?;
            model[a..a + W].copy_from_slice(&value.to_ne_bytes());
            check_eq!(bytes.copy_read(), model);
            check_eq!(io.$try_read(a)?, value);

            io.try_write(b, !value)?;
            model[b..b + W].copy_from_slice(&(!value).to_ne_bytes());
            check_eq!(io.try_read::<$ty, _>(b)?, !value);
            io.try_update(b, |v: $ty| v.rotate_left(3))?;
            model[b..b + W].copy_from_slice(&(!value).rotate_left(3).to_ne_bytes());
            check_eq!(bytes.copy_read(), model);

            // Every aligned slot of the window, each value told apart by its slot.
            let mut offset = 0;
            while offset < REGION_WINDOW {
                let v = <$ty>::from_ne_bytes(core::array::from_fn(|i| (offset + i) as u8 ^ 0x3c));
                io.$try_write(v, black_box(offset))?;
                model[offset..offset + W].copy_from_slice(&v.to_ne_bytes());
                offset += W;
            }
            check_eq!(bytes.copy_read(), model);
            let mut offset = 0;
            while offset < REGION_WINDOW {
                let want = <$ty>::from_ne_bytes(core::array::from_fn(|i| model[offset + i]));
                check_eq!(io.$try_read(black_box(offset))?, want);
                offset += W;
            }
            Ok(())
        }

        #[doc = concat!("The build-time checked `", stringify!($ty), "` accessors of a region.")]
        ///
        /// Those of `u64` only build for regions that guarantee 8-byte alignment.
        pub(crate) fn $build<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
        where
            H: Io<'a, Target = Region<N, A>>,
            H::Backend: AllWidths,
        {
            const W: usize = size_of::<$ty>();
            let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
            let mut model = background();
            bytes.copy_write(model);

            let value = <$ty>::from_ne_bytes(core::array::from_fn(|i| 0xe1 - 0x0f * i as u8));
            io.$write(value, 16);
            model[16..16 + W].copy_from_slice(&value.to_ne_bytes());
            check_eq!(bytes.copy_read(), model);
            check_eq!(io.$read(16), value);

            io.write(40usize, !value);
            model[40..40 + W].copy_from_slice(&(!value).to_ne_bytes());
            check_eq!(io.read::<$ty, _>(40usize), !value);
            io.update(40usize, |v: $ty| v.swap_bytes());
            model[40..40 + W].copy_from_slice(&(!value).swap_bytes().to_ne_bytes());
            check_eq!(bytes.copy_read(), model);

            // The last slot of the window.
            io.$write(value, REGION_WINDOW - W);
            model[REGION_WINDOW - W..].copy_from_slice(&value.to_ne_bytes());
            check_eq!(bytes.copy_read(), model);
            Ok(())
        }

        #[doc = concat!("Every error of the `", stringify!($ty), "` accessors of a region, and")]
        /// that a failed access touches nothing.
        pub(crate) fn $errors<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
        where
            H: Io<'a, Target = Region<N, A>>,
            H::Backend: AllWidths,
        {
            const W: usize = size_of::<$ty>();
            let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
            let model = background();
            bytes.copy_write(model);
            let size = io.size();
            let value = <$ty>::MAX;

            for offset in [size, size - W + 1, size + W, usize::MAX - W + 1, usize::MAX] {
                let offset = black_box(offset);
                check_eq!(io.$try_read(offset), Err(ERANGE));
                check_eq!(io.try_read::<$ty, _>(offset), Err(ERANGE));
                check_eq!(io.$try_write(value, offset), Err(ERANGE));
                check_eq!(io.try_write(offset, value), Err(ERANGE));
                let mut called = false;
                let result = io.try_update(offset, |v: $ty| {
                    called = true;
                    v
                });
                check_eq!(result, Err(ERANGE));
                check!(!called);
            }
            // The last slot is still in range.
            check!(io.$try_read(black_box(size - W)).is_ok());

            if W > 1 {
                for offset in [1, W / 2, W + 1, size - W - 1] {
                    let offset = black_box(offset);
                    check_eq!(io.$try_read(offset), Err(EINVAL));
                    check_eq!(io.$try_write(value, offset), Err(EINVAL));
                    let mut called = false;
                    let result = io.try_update(offset, |v: $ty| {
                        called = true;
                        v
                    });
                    check_eq!(result, Err(EINVAL));
                    check!(!called);
                }
            }
            check_eq!(bytes.copy_read(), model);
            Ok(())
        }
    };
}

region_checks!(
    u8,
    region_u8,
    region_u8_build,
    region_u8_errors,
    read8,
    write8,
    try_read8,
    try_write8
);
region_checks!(
    u16,
    region_u16,
    region_u16_build,
    region_u16_errors,
    read16,
    write16,
    try_read16,
    try_write16
);
region_checks!(
    u32,
    region_u32,
    region_u32_build,
    region_u32_errors,
    read32,
    write32,
    try_read32,
    try_write32
);
region_checks!(
    u64,
    region_u64,
    region_u64_build,
    region_u64_errors,
    read64,
    write64,
    try_read64,
    try_write64
);

/// All runtime-checked region accessors, of every width.
pub(crate) fn region_runtime<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    region_u8(io)?;
    region_u16(io)?;
    region_u32(io)?;
    region_u64(io)
}

/// The build-time checked region accessors of 8, 16 and 32 bits, which any region has.
pub(crate) fn region_build<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    region_u8_build(io)?;
    region_u16_build(io)?;
    region_u32_build(io)
}

/// The build-time checked 64-bit region accessors, which need an 8-byte aligned region.
pub(crate) fn region_build64<'a, const N: usize, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, Align8>>,
    H::Backend: AllWidths,
{
    region_u64_build(io)
}

/// The errors of the region accessors, of every width.
pub(crate) fn region_errors<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    region_u8_errors(io)?;
    region_u16_errors(io)?;
    region_u32_errors(io)?;
    region_u64_errors(io)
}

/// A plain-data structure with a field of every width.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Debug, FromBytes, IntoBytes, Zeroable)]
pub(crate) struct Mixed {
    pub(crate) b: u8,
    pub(crate) _pad: u8,
    pub(crate) h: u16,
    pub(crate) w: u32,
    pub(crate) q: u64,
    pub(crate) arr: [u32; 4],
    pub(crate) bytes: [u8; 32],
}

const _: () = assert!(size_of::<Mixed>() == 64);

impl Mixed {
    /// A value whose every byte depends on `seed`.
    pub(crate) fn sample(seed: u32) -> Self {
        let mut value: Self = pin_init::zeroed();
        fill(value.as_mut_bytes(), seed);
        value
    }
}

/// Whole-value copies, and primitive reads and writes of every width through projections.
pub(crate) fn typed_fields<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    check_eq!(io.size(), size_of::<Mixed>());
    let init = Mixed::sample(1);
    io.copy_write(init);
    check_eq!(io.copy_read(), init);
    check_eq!(io_read!(io, .b), init.b);
    check_eq!(io_read!(io, .h), init.h);
    check_eq!(io_read!(io, .w), init.w);
    check_eq!(io_read!(io, .q), init.q);
    check_eq!(io_read!(io, .arr[build: 3]), init.arr[3]);
    check_eq!(io_read!(io, .bytes[build: 31]), init.bytes[31]);

    let mut model = init;
    io_write!(io, .b, 0x5a);
    model.b = 0x5a;
    io_write!(io, .h, 0xbeef);
    model.h = 0xbeef;
    io_write!(io, .w, 0xdead_f00d);
    model.w = 0xdead_f00d;
    io_write!(io, .q, 0x0123_4567_89ab_cdef);
    model.q = 0x0123_4567_89ab_cdef;
    for i in 0..4 {
        let i = black_box(i);
        io_write!(io, .arr[try: i], 0x1111_1111 * (i as u32 + 1));
        model.arr[i] = 0x1111_1111 * (i as u32 + 1);
    }
    io_project!(io, .bytes[build: 5]).write_val(0x77);
    model.bytes[5] = 0x77;
    io_project!(io, .q).copy_write(!model.q);
    model.q = !model.q;
    check_eq!(io.copy_read(), model);
    check_eq!(io_project!(io, .w).read_val(), model.w);
    check_eq!(io_project!(io, .arr).copy_read(), model.arr);

    // The layout seen through the view is the layout of the type.
    let bytes = io.try_cast::<[u8; 64]>()?.copy_read();
    check_eq!(&bytes[..], &*model.as_mut_bytes());
    Ok(())
}

/// The errors of projections and casts of a typed location.
pub(crate) fn typed_errors<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let init = Mixed::sample(2);
    io.copy_write(init);

    let read_arr = |i: usize| -> Result<u32> { Ok(io_read!(io, .arr[try: i])) };
    check_eq!(read_arr(black_box(3)), Ok(init.arr[3]));
    check_eq!(read_arr(black_box(4)), Err(ERANGE));
    check_eq!(read_arr(black_box(usize::MAX)), Err(ERANGE));
    let write_arr = |i: usize| -> Result {
        io_write!(io, .arr[try: i], 0);
        Ok(())
    };
    check_eq!(write_arr(black_box(4)), Err(ERANGE));

    check_eq!(io.try_cast::<[u8; 65]>().err(), Some(ERANGE));
    check_eq!(io.try_cast::<[u64; 9]>().err(), Some(ERANGE));
    let bytes = io.try_cast::<[u8; 64]>()?;
    let window = |a: usize, b: usize| -> Result<_> { Ok(io_project!(bytes, [try: a..b])) };
    check_eq!(window(1, 9)?.try_cast::<u64>().err(), Some(EINVAL));
    check_eq!(window(2, 6)?.try_cast::<u32>().err(), Some(EINVAL));
    check_eq!(window(3, 5)?.try_cast::<u16>().err(), Some(EINVAL));
    check_eq!(window(8, 12)?.try_cast::<u64>().err(), Some(ERANGE));
    check_eq!(window(60, 65).err(), Some(ERANGE));
    check_eq!(window(9, 8).err(), Some(ERANGE));
    check_eq!(window(3, 10)?.len(), 7);
    check!(window(5, 5)?.is_empty());
    // A cast that fits reads the right bytes.
    check_eq!(window(8, 16)?.try_cast::<u64>()?.read_val(), init.q);

    // None of the failed steps wrote anything.
    check_eq!(io.copy_read(), init);
    Ok(())
}

/// Copies between slices and windows of a byte view, in sizes from 1 byte to all but one byte
/// of the view, at odd offsets; the whole view is checked against its model after each.
pub(crate) fn slice_copies<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    let len = io.len();
    check!(len >= SLICE_WINDOW);
    let mut model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    let mut got = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    fill(&mut model, 7);
    io.copy_from_slice(&model);
    io.copy_to_slice(&mut got);
    compare("whole view", &got, &model)?;

    let sizes = [
        1,
        2,
        3,
        4,
        7,
        8,
        9,
        15,
        16,
        17,
        255,
        256,
        257,
        1023,
        len - 1,
    ];
    for (k, size) in sizes.into_iter().enumerate() {
        let start = (2 * k + 1) % (len - size + 1);
        let start = if start % 2 == 0 {
            start.saturating_sub(1)
        } else {
            start
        };
        let window = io_project!(io, [try: start..start + size]);
        let data = &mut got[..size];
        fill(data, (size * 31 + start) as u32);
        if k % 2 == 0 {
            window.copy_from_slice(data);
        } else {
            window.try_copy_from_slice(data)?;
        }
        model[start..start + size].copy_from_slice(data);
        data.fill(0);
        if k % 2 == 0 {
            window.try_copy_to_slice(data)?;
        } else {
            window.copy_to_slice(data);
        }
        compare("window", data, &model[start..start + size])?;
        io.copy_to_slice(&mut got);
        compare("whole view", &got, &model)?;
    }
    Ok(())
}

/// The errors of slice copies and of byte windows, and that they touch nothing.
pub(crate) fn slice_errors<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    let len = io.len();
    check!(len >= SLICE_WINDOW);
    let mut model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    fill(&mut model, 11);
    io.copy_from_slice(&model);

    let window = io_project!(io, [try: 33..97]);
    let mut data = [0xa5u8; 65];
    check_eq!(window.try_copy_from_slice(&data), Err(EINVAL));
    check_eq!(window.try_copy_from_slice(&data[..63]), Err(EINVAL));
    check_eq!(window.try_copy_from_slice(&[]), Err(EINVAL));
    check_eq!(window.try_copy_to_slice(&mut data), Err(EINVAL));
    check_eq!(window.try_copy_to_slice(&mut data[..63]), Err(EINVAL));
    check!(data.iter().all(|&b| b == 0xa5));
    check_eq!(
        window.try_copy_from_view(io_project!(io, [try: 200..263])),
        Err(EINVAL)
    );
    check_eq!(
        window.try_copy_from_view(io_project!(io, [try: 200..265])),
        Err(EINVAL)
    );
    check_eq!(io.try_copy_from_view(window), Err(EINVAL));

    let project = |a: usize, b: usize| -> Result<_> { Ok(io_project!(io, [try: a..b])) };
    check_eq!(project(black_box(len - 1), len + 1).err(), Some(ERANGE));
    check_eq!(project(black_box(len + 1), len + 1).err(), Some(ERANGE));
    check_eq!(project(black_box(10), 9).err(), Some(ERANGE));
    check_eq!(
        project(usize::MAX - 1, black_box(usize::MAX)).err(),
        Some(ERANGE)
    );
    check!(project(black_box(len), len)?.is_empty());
    let byte = |i: usize| -> Result<u8> { Ok(io_project!(io, [try: i]).copy_read()) };
    check_eq!(byte(black_box(len)), Err(ERANGE));
    check_eq!(byte(black_box(len - 1)), Ok(model[len - 1]));

    let mut got = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    io.copy_to_slice(&mut got);
    compare("whole view", &got, &model)
}

/// Every move between two windows of the first `SMALL` bytes of a byte view (every length,
/// source and destination), each checked against `memmove()` on a model. Returns the number of
/// moves.
pub(crate) fn moves_exhaustive<'a, H>(io: H) -> Result<usize>
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    const SMALL: usize = 24;
    let area = io_project!(io, [try: 0..SMALL]);
    let mut init = [0u8; SMALL];
    fill(&mut init, 5);
    let mut got = [0u8; SMALL];
    let mut moves = 0;
    for len in 0..=SMALL {
        for src in 0..=SMALL - len {
            for dst in 0..=SMALL - len {
                area.copy_from_slice(&init);
                io_project!(area, [try: dst..dst + len])
                    .copy_from_view(io_project!(area, [try: src..src + len]));
                let mut model = init;
                model.copy_within(src..src + len, dst);
                area.copy_to_slice(&mut got);
                if got != model {
                    pr_err!(
                        "    # moving {} bytes from {} to {} gave {:?}, expected {:?}\n",
                        len,
                        src,
                        dst,
                        &got[..],
                        &model[..]
                    );
                    return Err(EINVAL);
                }
                moves += 1;
            }
        }
    }
    Ok(moves)
}

/// Moves of lengths around the 256-byte chunks that a backend may bounce through, by shifts
/// below, at and above the length, in both directions. Returns the number of moves.
pub(crate) fn moves_chunked<'a, H>(io: H) -> Result<usize>
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    const SRC: usize = 600;
    let len = io.len();
    check!(len >= SLICE_WINDOW);
    let mut model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    let mut got = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    fill(&mut model, 13);
    io.copy_from_slice(&model);
    let mut moves = 0;
    for size in [255, 256, 257, 511, 512, 513, 1000] {
        for shift in [-513isize, -257, -256, -255, -1, 0, 1, 255, 256, 257, 513] {
            let dst = SRC.checked_add_signed(shift).ok_or(EINVAL)?;
            let src_view = io_project!(io, [try: SRC..SRC + size]);
            io_project!(io, [try: dst..dst + size]).copy_from_view(src_view);
            model.copy_within(SRC..SRC + size, dst);
            io.copy_to_slice(&mut got);
            if let Err(err) = compare("after a move", &got, &model) {
                pr_err!("    # moving {} bytes from {} to {}\n", size, SRC, dst);
                return Err(err);
            }
            moves += 1;
        }
    }
    Ok(moves)
}
