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
//!
//! The second half of the file checks what the layer adds beyond 7.3 (regions of 8-byte
//! alignment, windows, byte views, build-time checked casts, fill, byte-order types, split 64-bit
//! accesses, FIFO accessors, offsets and `register!` registers in typed views, `Debug`). Their
//! models of where bytes land assume a little-endian CPU, like those of the first half.
//!
//! A 32-bit kernel (no `CONFIG_64BIT`) has no single 64-bit access: no backend implements
//! `IoCapable<u64>` or the 64-bit byte-order types there, so `read64()` and the other accesses of
//! a whole `u64` do not build. Each check of a 64-bit location therefore has a 32-bit twin, under
//! `cfg(not(CONFIG_64BIT))`, that accesses the same location against the same model as two 32-bit
//! halves: through a `u64` view of it ([`quad`], [`try_quad`]) split by `write_lo_hi()`,
//! `read_hi_lo()` and the others, or as two `Le32` or `Be32` halves for the byte-order types.

use core::hint::black_box;

#[cfg(CONFIG_64BIT)]
use kernel::io::Be64;
#[cfg(not(CONFIG_64BIT))]
use kernel::io::{
    register::Register as _,
    IoBackend, //
};
use kernel::{
    io::{
        io_project,
        io_read,
        io_try_project,
        io_try_read,
        io_try_write,
        io_write,
        register,
        register::Array as _,
        split,
        Align8,
        Be16,
        Be32,
        Io,
        IoCapable,
        IoCopyable,
        Le16,
        Le32,
        Le64,
        Region,
        RegionAlign, //
    },
    prelude::*, //
};

use crate::checks::{
    check,
    check_eq, //
};

/// A backend that accesses every primitive width in one go and copies bytes: all but
/// configuration space.
#[cfg(CONFIG_64BIT)]
pub(crate) trait AllWidths:
    IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCapable<u64> + IoCopyable
{
}

#[cfg(CONFIG_64BIT)]
impl<B> AllWidths for B where
    B: IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCapable<u64> + IoCopyable
{
}

/// A backend that accesses every primitive width a 32-bit kernel has in one go, up to `u32`, and
/// copies bytes: all but configuration space.
#[cfg(not(CONFIG_64BIT))]
pub(crate) trait AllWidths:
    IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCopyable
{
}

#[cfg(not(CONFIG_64BIT))]
impl<B> AllWidths for B where B: IoCapable<u8> + IoCapable<u16> + IoCapable<u32> + IoCopyable {}

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
#[cfg(CONFIG_64BIT)]
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

/// The `u64` location at the runtime `offset` of `io`, with the errors of `try_read64()`: `ERANGE`
/// where it does not fit in the view, `EINVAL` where it is misaligned. A 32-bit kernel accesses it
/// as two halves.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn try_quad<'a, H>(
    io: H,
    offset: usize,
) -> Result<<H::Backend as IoBackend>::View<'a, u64>>
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
{
    Ok(io.try_window::<Region<8, Align8>>(offset, 8)?.cast::<u64>())
}

/// The `u64` location at the constant `OFFSET` of `io`, checked at build time as `read64()` is: it
/// fits, and the location is 8-byte aligned there. A 32-bit kernel accesses it as two halves.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn quad<'a, const OFFSET: usize, H>(io: H) -> <H::Backend as IoBackend>::View<'a, u64>
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
{
    io.window::<Region<8, Align8>, OFFSET>().cast::<u64>()
}

/// Writes `value` to an 8-byte location as a little-endian 64-bit value, in two `Le32` halves: the
/// low one at the lower address, then the high one. The bytes are those of a `Le64`.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn write_le64<'a, H>(io: H, value: u64)
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: ByteOrders,
{
    let halves = io.cast::<[Le32; 2]>();
    io_write!(halves, [build: 0], Le32::new(low_half(value)));
    io_write!(halves, [build: 1], Le32::new(high_half(value)));
}

/// Reads an 8-byte location as a little-endian 64-bit value, in two `Le32` halves.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn read_le64<'a, H>(io: H) -> u64
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: ByteOrders,
{
    let halves = io.cast::<[Le32; 2]>();
    let low = io_read!(halves, [build: 0]).get();
    u64::from(low) | (u64::from(io_read!(halves, [build: 1]).get()) << 32)
}

/// Writes `value` to an 8-byte location as a big-endian 64-bit value, in two `Be32` halves: the
/// high one at the lower address, then the low one. The bytes are those of a `Be64`.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn write_be64<'a, H>(io: H, value: u64)
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: ByteOrders,
{
    let halves = io.cast::<[Be32; 2]>();
    io_write!(halves, [build: 0], Be32::new(high_half(value)));
    io_write!(halves, [build: 1], Be32::new(low_half(value)));
}

/// Reads an 8-byte location as a big-endian 64-bit value, in two `Be32` halves.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn read_be64<'a, H>(io: H) -> u64
where
    H: Io<'a>,
    H::Target: FromBytes + IntoBytes,
    H::Backend: ByteOrders,
{
    let halves = io.cast::<[Be32; 2]>();
    let high = io_read!(halves, [build: 0]).get();
    (u64::from(high) << 32) | u64::from(io_read!(halves, [build: 1]).get())
}

/// The low 32 bits of `value`.
#[cfg(not(CONFIG_64BIT))]
fn low_half(value: u64) -> u32 {
    // CAST: Truncation to the low half is the point.
    value as u32
}

/// The high 32 bits of `value`.
#[cfg(not(CONFIG_64BIT))]
fn high_half(value: u64) -> u32 {
    // CAST: The shifted value fits.
    (value >> 32) as u32
}

/// The 32-bit twin of the runtime-checked `u64` region accessors: the same locations, written and
/// read as two halves in both orders, each half found at its own address.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn region_u64<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    let mut model = background();
    bytes.copy_write(model);

    let value = u64::from_ne_bytes(core::array::from_fn(|i| 0x81 + 0x11 * i as u8));
    let (a, b) = (black_box(8usize), black_box(24usize));
    try_quad(io, a)?.write_lo_hi(value);
    model[a..a + 8].copy_from_slice(&value.to_ne_bytes());
    check_eq!(bytes.copy_read(), model);
    check_eq!(try_quad(io, a)?.read_lo_hi(), value);
    check_eq!(io.try_read32(a)?, low_half(value));
    check_eq!(io.try_read32(a + 4)?, high_half(value));

    try_quad(io, b)?.write_hi_lo(!value);
    model[b..b + 8].copy_from_slice(&(!value).to_ne_bytes());
    check_eq!(try_quad(io, b)?.read_hi_lo(), !value);
    check_eq!(bytes.copy_read(), model);

    // Every aligned slot of the window, each value told apart by its slot.
    let mut offset = 0;
    while offset < REGION_WINDOW {
        let v = u64::from_ne_bytes(core::array::from_fn(|i| (offset + i) as u8 ^ 0x3c));
        try_quad(io, black_box(offset))?.write_lo_hi(v);
        model[offset..offset + 8].copy_from_slice(&v.to_ne_bytes());
        offset += 8;
    }
    check_eq!(bytes.copy_read(), model);
    let mut offset = 0;
    while offset < REGION_WINDOW {
        let want = u64::from_ne_bytes(core::array::from_fn(|i| model[offset + i]));
        check_eq!(try_quad(io, black_box(offset))?.read_hi_lo(), want);
        offset += 8;
    }
    Ok(())
}

/// The 32-bit twin of the build-time checked `u64` region accessors: `u64` locations at constant
/// offsets, which only build for regions that guarantee 8-byte alignment, as two halves.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn region_u64_build<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    let mut model = background();
    bytes.copy_write(model);

    let value = u64::from_ne_bytes(core::array::from_fn(|i| 0xe1 - 0x0f * i as u8));
    quad::<16, _>(io).write_lo_hi(value);
    model[16..24].copy_from_slice(&value.to_ne_bytes());
    check_eq!(bytes.copy_read(), model);
    check_eq!(quad::<16, _>(io).read_hi_lo(), value);

    quad::<40, _>(io).write_hi_lo(!value);
    model[40..48].copy_from_slice(&(!value).to_ne_bytes());
    check_eq!(quad::<40, _>(io).read_lo_hi(), !value);
    check_eq!(bytes.copy_read(), model);

    // The last slot of the window.
    quad::<{ REGION_WINDOW - 8 }, _>(io).write_lo_hi(value);
    model[REGION_WINDOW - 8..].copy_from_slice(&value.to_ne_bytes());
    check_eq!(bytes.copy_read(), model);
    Ok(())
}

/// The 32-bit twin of the errors of the `u64` region accessors: a `u64` location beyond the view
/// is `ERANGE`, a misaligned one `EINVAL`, and the failures touch nothing.
#[cfg(not(CONFIG_64BIT))]
pub(crate) fn region_u64_errors<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    let model = background();
    bytes.copy_write(model);
    let size = io.size();

    for offset in [size, size - 7, size + 8, usize::MAX - 7, usize::MAX] {
        check_eq!(try_quad(io, black_box(offset)).err(), Some(ERANGE));
    }
    // The last slot is still in range.
    check!(try_quad(io, black_box(size - 8)).is_ok());
    for offset in [1, 4, 9, size - 9] {
        check_eq!(try_quad(io, black_box(offset)).err(), Some(EINVAL));
    }
    check_eq!(bytes.copy_read(), model);
    Ok(())
}

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

// Its views take offsets and registers too (`read32(8)`, `register!` locations), as a region does.
impl kernel::io::RegisterBlock for Mixed {}

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
    // `Mixed` is 64 bytes (asserted where it is defined), not whatever the view computes.
    check_eq!(io.size(), 64);
    let init = Mixed::sample(1);
    io.copy_write(init);
    check_eq!(io.copy_read(), init);
    check_eq!(io_read!(io, .b), init.b);
    check_eq!(io_read!(io, .h), init.h);
    check_eq!(io_read!(io, .w), init.w);
    #[cfg(CONFIG_64BIT)]
    check_eq!(io_read!(io, .q), init.q);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(io_project!(io, .q).read_lo_hi(), init.q);
    check_eq!(io_read!(io, .arr[build: 3]), init.arr[3]);
    check_eq!(io_read!(io, .bytes[build: 31]), init.bytes[31]);

    let mut model = init;
    io_write!(io, .b, 0x5a);
    model.b = 0x5a;
    io_write!(io, .h, 0xbeef);
    model.h = 0xbeef;
    io_write!(io, .w, 0xdead_f00d);
    model.w = 0xdead_f00d;
    #[cfg(CONFIG_64BIT)]
    io_write!(io, .q, 0x0123_4567_89ab_cdef);
    #[cfg(not(CONFIG_64BIT))]
    io_project!(io, .q).write_hi_lo(0x0123_4567_89ab_cdef);
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
    #[cfg(CONFIG_64BIT)]
    check_eq!(window(8, 16)?.try_cast::<u64>()?.read_val(), init.q);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(window(8, 16)?.try_cast::<u64>()?.read_lo_hi(), init.q);

    // None of the failed steps wrote anything.
    check_eq!(io.copy_read(), init);
    Ok(())
}

/// Starts a check on a byte view of at least `SLICE_WINDOW` bytes: fills a model of the view
/// with the pattern of `seed`, writes it to the view, and returns the model and a scratch buffer
/// of the same length to read the view back into.
fn modeled_bytes<'a, H>(io: H, seed: u32) -> Result<(KVec<u8>, KVec<u8>)>
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    let len = io.len();
    check!(len >= SLICE_WINDOW);
    let mut model = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    fill(&mut model, seed);
    io.copy_from_slice(&model);
    Ok((model, KVec::from_elem(0u8, len, GFP_KERNEL)?))
}

/// Copies between slices and windows of a byte view, in sizes from 1 byte to all but one byte
/// of the view, at odd offsets; the whole view is checked against its model after each.
pub(crate) fn slice_copies<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    let (mut model, mut got) = modeled_bytes(io, 7)?;
    let len = model.len();
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
    let (model, _) = modeled_bytes(io, 11)?;
    let len = model.len();

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
/// source and destination), each checked against `memmove()` on a model.
pub(crate) fn moves_exhaustive<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    const SMALL: usize = 24;
    let area = io_project!(io, [try: 0..SMALL]);
    let mut init = [0u8; SMALL];
    fill(&mut init, 5);
    let mut got = [0u8; SMALL];
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
            }
        }
    }
    Ok(())
}

/// Moves of lengths around the 256-byte chunks that a backend may bounce through, by shifts
/// below, at and above the length, in both directions.
pub(crate) fn moves_chunked<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    const SRC: usize = 600;
    let (mut model, mut got) = modeled_bytes(io, 13)?;
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
        }
    }
    Ok(())
}

// What the layer adds beyond 7.3.

/// A backend that accesses every byte-order type: all but configuration space and port I/O, which
/// have no 64-bit accesses.
#[cfg(CONFIG_64BIT)]
pub(crate) trait ByteOrders:
    IoCapable<Le16>
    + IoCapable<Le32>
    + IoCapable<Le64>
    + IoCapable<Be16>
    + IoCapable<Be32>
    + IoCapable<Be64>
{
}

#[cfg(CONFIG_64BIT)]
impl<B> ByteOrders for B where
    B: IoCapable<Le16>
        + IoCapable<Le32>
        + IoCapable<Le64>
        + IoCapable<Be16>
        + IoCapable<Be32>
        + IoCapable<Be64>
{
}

/// A backend that accesses every byte-order type a 32-bit kernel has, up to 32 bits.
#[cfg(not(CONFIG_64BIT))]
pub(crate) trait ByteOrders:
    IoCapable<Le16> + IoCapable<Le32> + IoCapable<Be16> + IoCapable<Be32>
{
}

#[cfg(not(CONFIG_64BIT))]
impl<B> ByteOrders for B where
    B: IoCapable<Le16> + IoCapable<Le32> + IoCapable<Be16> + IoCapable<Be32>
{
}

/// The part of a region the checks below use, as an 8-byte aligned region.
type Wide = Region<REGION_WINDOW, Align8>;

/// An 8-byte aligned region obtained at runtime from any region: build-time checked 64-bit
/// accesses on it, the same bytes seen through both regions, and the errors of the conversion.
pub(crate) fn region_align8<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let wide = io.try_as_region::<Wide>()?;
    check_eq!(wide.size(), io.size());
    region_u64_build(wide)?;

    // The two regions are views of the same bytes.
    #[cfg(CONFIG_64BIT)]
    {
        wide.write64(0x0123_4567_89ab_cdef, 8);
        check_eq!(io.try_read64(black_box(8))?, 0x0123_4567_89ab_cdef);
        io.write32(0x5555_aaaa, 12);
        check_eq!(wide.read64(8), 0x5555_aaaa_89ab_cdef);
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        quad::<8, _>(wide).write_lo_hi(0x0123_4567_89ab_cdef);
        check_eq!(
            try_quad(io, black_box(8))?.read_hi_lo(),
            0x0123_4567_89ab_cdef
        );
        io.write32(0x5555_aaaa, 12);
        check_eq!(quad::<8, _>(wide).read_lo_hi(), 0x5555_aaaa_89ab_cdef);
    }
    check_eq!(wide.read32(8), 0x89ab_cdef);

    // Too small for the region's build-time size, or breaking its alignment: not a valid region.
    let part = |offset: usize, len: usize| io.try_window::<Region<0>>(offset, len);
    check_eq!(part(0, 56)?.try_as_region::<Wide>().err(), Some(EINVAL));
    check_eq!(
        part(0, 60)?.try_as_region::<Region<0, Align8>>().err(),
        Some(EINVAL)
    );
    check_eq!(
        part(4, 56)?.try_as_region::<Region<0, Align8>>().err(),
        Some(EINVAL)
    );
    check_eq!(part(4, 56)?.try_as_region::<Region<56>>()?.size(), 56);
    check_eq!(
        part(8, 48)?.try_as_region::<Region<48, Align8>>()?.size(),
        48
    );
    Ok(())
}

/// Windows of a region, checked at runtime and at build time, windows of windows, and every
/// error of a window; a failed window touches nothing.
pub(crate) fn region_windows<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    let mut model = background();
    bytes.copy_write(model);

    // A window's offsets are relative to the window, and its size is what was asked for.
    let w = io.try_window::<Region<8>>(black_box(24), black_box(16))?;
    check_eq!(w.size(), 16);
    w.try_write32(0x1122_3344, black_box(12))?;
    model[36..40].copy_from_slice(&0x1122_3344u32.to_ne_bytes());
    w.write16(0xa55a, 6);
    model[30..32].copy_from_slice(&0xa55au16.to_ne_bytes());
    check_eq!(w.try_read32(black_box(12))?, 0x1122_3344);
    // The end of the window is the end, even where the region goes on.
    check_eq!(w.try_write32(0, black_box(16)), Err(ERANGE));
    check_eq!(w.try_read8(black_box(16)), Err(ERANGE));
    check_eq!(bytes.copy_read(), model);

    // Build-time checked windows, and a window of a window.
    let fixed = io.window::<Region<16>, 48>();
    check_eq!(fixed.size(), 16);
    fixed.write32(0x0bad_f00d, 12);
    model[60..64].copy_from_slice(&0x0bad_f00du32.to_ne_bytes());
    let inner = w.try_window::<Region<4>>(4, 4)?;
    inner.write32(0xfeed_beef, 0);
    model[28..32].copy_from_slice(&0xfeed_beefu32.to_ne_bytes());
    let wide = io
        .try_as_region::<Wide>()?
        .window::<Region<8, Align8>, 40>();
    #[cfg(CONFIG_64BIT)]
    wide.write64(0x0102_0304_0506_0708, 0);
    #[cfg(not(CONFIG_64BIT))]
    quad::<0, _>(wide).write_lo_hi(0x0102_0304_0506_0708);
    model[40..48].copy_from_slice(&0x0102_0304_0506_0708u64.to_ne_bytes());
    check_eq!(bytes.copy_read(), model);

    let size = io.size();
    let window = |offset: usize, len: usize| io.try_window::<Region<0>>(offset, len);
    check!(window(black_box(size - 4), 4).is_ok());
    check!(window(black_box(size), 0).is_ok());
    for (offset, len) in [
        (size - 4, 8),
        (size, 4),
        (size + 4, 0),
        (usize::MAX - 3, 4),
        (4, usize::MAX - 3),
    ] {
        check_eq!(
            window(black_box(offset), black_box(len)).err(),
            Some(ERANGE)
        );
    }
    // Smaller than the window type's build-time size: within the view, but not a valid region.
    check_eq!(
        io.try_window::<Region<16>>(black_box(0), 12).err(),
        Some(EINVAL)
    );
    check_eq!(w.try_window::<Region<0>>(12, 8).err(), Some(ERANGE));
    for (offset, len) in [(2, 8), (4, 6), (1, 0)] {
        check_eq!(
            window(black_box(offset), black_box(len)).err(),
            Some(EINVAL)
        );
    }
    check_eq!(
        io.try_window::<Region<0, Align8>>(black_box(4), 8).err(),
        Some(EINVAL)
    );
    check_eq!(
        io.try_window::<Region<0, Align8>>(black_box(8), 12).err(),
        Some(EINVAL)
    );
    check_eq!(bytes.copy_read(), model);
    Ok(())
}

/// The byte view of a region and of a typed location: the same bytes as the location, in both
/// directions, with runtime-checked offsets.
pub(crate) fn byte_views<'a, 'b, const N: usize, A: RegionAlign, H, T>(io: H, typed: T) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
    T: Io<'b, Target = Mixed>,
    T::Backend: AllWidths,
{
    let all = io.as_bytes();
    check_eq!(all.len(), io.size());
    let bytes = io_project!(all, [try: 0..REGION_WINDOW]);
    let mut model = background();
    bytes.copy_from_slice(&model);

    // What the region writes, the byte view reads...
    io.write32(0x1234_5678, 20);
    model[20..24].copy_from_slice(&0x1234_5678u32.to_ne_bytes());
    let mut got = [0u8; REGION_WINDOW];
    bytes.copy_to_slice(&mut got);
    check_eq!(got, model);
    // ... and the other way round.
    io_project!(all, [try: 40..48]).copy_from_slice(&0x0102_0304_0506_0708u64.to_ne_bytes());
    model[40..48].copy_from_slice(&0x0102_0304_0506_0708u64.to_ne_bytes());
    #[cfg(CONFIG_64BIT)]
    check_eq!(io.try_read64(black_box(40))?, 0x0102_0304_0506_0708);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(
        try_quad(io, black_box(40))?.read_lo_hi(),
        0x0102_0304_0506_0708
    );

    // Offsets on a byte view are checked at runtime against its length.
    check_eq!(bytes.try_read32(black_box(20))?, 0x1234_5678);
    check_eq!(
        bytes.try_read16(black_box(62))?,
        u16::from_ne_bytes([model[62], model[63]])
    );
    bytes.try_write8(0x99, black_box(63))?;
    model[63] = 0x99;
    check_eq!(bytes.try_read32(black_box(22)), Err(EINVAL));
    check_eq!(bytes.try_read8(black_box(REGION_WINDOW)), Err(ERANGE));
    check_eq!(
        bytes.try_write32(0, black_box(REGION_WINDOW - 2)),
        Err(ERANGE)
    );
    bytes.copy_to_slice(&mut got);
    check_eq!(got, model);

    // A typed location's bytes are its type's bytes.
    let mut value = Mixed::sample(17);
    typed.copy_write(value);
    let tb = typed.as_bytes();
    check_eq!(tb.len(), 64);
    let mut raw = [0u8; 64];
    tb.copy_to_slice(&mut raw);
    check_eq!(&raw[..], &*value.as_mut_bytes());
    io_project!(tb, [build: 8..16]).copy_from_slice(&u64::MAX.to_ne_bytes());
    #[cfg(CONFIG_64BIT)]
    check_eq!(io_read!(typed, .q), u64::MAX);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(io_project!(typed, .q).read_hi_lo(), u64::MAX);
    check_eq!(tb.try_read32(black_box(4))?, value.w);
    check_eq!(tb.try_read8(black_box(64)), Err(ERANGE));
    Ok(())
}

/// Casts checked at build time: from a region to a 4-byte aligned type, from an 8-byte aligned
/// region to [`Mixed`], and from a typed location to another type it covers; and the errors of
/// the runtime form.
pub(crate) fn build_checked_casts<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let words = io.cast::<[u32; 16]>();
    check_eq!(words.size(), 64);
    words.copy_write(core::array::from_fn(|i| 0x0101_0101 * i as u32));
    check_eq!(io.read32(60), 0x0f0f_0f0f);
    check_eq!(io_read!(words, [build: 3]), 0x0303_0303);

    // A `Mixed` needs 8-byte alignment, which an 8-byte aligned region proves.
    let mixed = io.try_as_region::<Wide>()?.cast::<Mixed>();
    let mut value = Mixed::sample(23);
    mixed.copy_write(value);
    #[cfg(CONFIG_64BIT)]
    {
        check_eq!(io_read!(mixed, .q), value.q);
        check_eq!(io.try_read64(black_box(8))?, value.q);
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        check_eq!(io_project!(mixed, .q).read_lo_hi(), value.q);
        check_eq!(try_quad(io, black_box(8))?.read_hi_lo(), value.q);
    }
    check_eq!(mixed.copy_read(), value);
    let mut quads = mixed.cast::<[u64; 8]>().copy_read();
    check_eq!(quads.as_mut_bytes(), value.as_mut_bytes());
    check_eq!(
        mixed.cast::<u16>().read_val(),
        u16::from_ne_bytes([value.b, value._pad])
    );

    // The runtime form: too small is ERANGE, misaligned EINVAL.
    let part = |offset: usize, len: usize| io.try_window::<Region<0>>(offset, len);
    check_eq!(part(0, 56)?.try_cast::<Mixed>().err(), Some(ERANGE));
    check_eq!(part(4, 16)?.try_cast::<u64>().err(), Some(EINVAL));
    #[cfg(CONFIG_64BIT)]
    check_eq!(part(8, 56)?.try_cast::<u64>()?.read_val(), value.q);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(part(8, 56)?.try_cast::<u64>()?.read_lo_hi(), value.q);
    Ok(())
}

/// Fills of parts of a region, of a window and of a typed part; every byte of the region's
/// window is checked each time, so bytes outside the part must not have changed.
pub(crate) fn fill_region<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    let mut model = background();
    bytes.copy_write(model);
    let all = io.as_bytes();
    for (start, len, byte) in [
        (16, 16, 0xee),
        (1, 3, 0x00),
        (37, 1, 0xff),
        (41, 23, 0x5a),
        (9, 0, 0x11),
    ] {
        io_project!(all, [try: start..start + len]).fill(byte);
        model[start..start + len].fill(byte);
        check_eq!(bytes.copy_read(), model);
    }
    io.try_window::<Region<8>>(24, 8)?.fill(0x77);
    model[24..32].fill(0x77);
    io.window::<Region<4>, 4>().fill(0x44);
    model[4..8].fill(0x44);
    io_project!(io.cast::<[u16; 32]>(), [build: 20..24]).fill(0x3c);
    model[40..48].fill(0x3c);
    check_eq!(bytes.copy_read(), model);
    bytes.fill(0xc3);
    check_eq!(bytes.copy_read(), [0xc3; REGION_WINDOW]);
    Ok(())
}

/// Fills of a typed location and of its fields.
pub(crate) fn fill_typed<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    io.copy_write(Mixed::sample(29));
    io.fill(0xa5);
    let mut model: Mixed = pin_init::zeroed();
    model.as_mut_bytes().fill(0xa5);
    check_eq!(io.copy_read(), model);
    io_project!(io, .arr).fill(0);
    model.arr = [0; 4];
    io_project!(io, .q).fill(0x01);
    model.q = 0x0101_0101_0101_0101;
    io_project!(io, .bytes[build: 30..]).fill(0xfe);
    model.bytes[30..].fill(0xfe);
    check_eq!(io.copy_read(), model);
    check_eq!(io_read!(io, .w), 0xa5a5_a5a5);
    Ok(())
}

/// Fills of windows of a byte view, from 1 byte to the whole view, at odd offsets and at its
/// ends; the whole view is checked against its model after each.
pub(crate) fn fill_slice<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = [u8]>,
    H::Backend: IoCopyable,
{
    let (mut model, mut got) = modeled_bytes(io, 23)?;
    let len = model.len();
    for (start, size, byte) in [
        (0, 1, 0x01),
        (1, 2, 0x02),
        (3, 5, 0x03),
        (7, 9, 0x04),
        (255, 257, 0x05),
        (1001, 1023, 0x06),
        (len - 1, 1, 0x07),
        (1, len - 2, 0x08),
        (0, len, 0x00),
        (len / 2, 0, 0x09),
        (13, 3000, 0xff),
    ] {
        io_project!(io, [try: start..start + size]).fill(byte);
        model[start..start + size].fill(byte);
        io.copy_to_slice(&mut got);
        if let Err(err) = compare("after a fill", &got, &model) {
            pr_err!(
                "    # filling {} bytes at {} with {:#04x}\n",
                size,
                start,
                byte
            );
            return Err(err);
        }
    }
    Ok(())
}

/// 64-bit locations accessed as two 32-bit halves, in both orders: the value, and the low half
/// at the lower address.
pub(crate) fn split_halves<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let mut model = Mixed::sample(31);
    io.copy_write(model);
    let q = io_project!(io, .q);
    for value in [
        0x0123_4567_89ab_cdef_u64,
        0xffff_ffff_0000_0000,
        0x0000_0000_ffff_ffff,
        0x8000_0001_7fff_fffe,
    ] {
        q.write_lo_hi(value);
        model.q = value;
        check_eq!(io.copy_read(), model);
        check_eq!(io.read32(8), value as u32);
        check_eq!(io.read32(12), (value >> 32) as u32);
        check_eq!(q.read_lo_hi(), value);
        check_eq!(q.read_hi_lo(), value);

        q.write_hi_lo(!value);
        model.q = !value;
        check_eq!(io.copy_read(), model);
        check_eq!(io.read32(8), !value as u32);
        check_eq!(io.read32(12), (!value >> 32) as u32);
        check_eq!(q.read_lo_hi(), !value);
        check_eq!(q.read_hi_lo(), !value);
    }
    // Halves written one by one read as one value, split or not.
    io.write32(0xdead_beef, 8);
    io.write32(0x0bad_f00d, 12);
    check_eq!(q.read_lo_hi(), 0x0bad_f00d_dead_beef);
    check_eq!(q.read_hi_lo(), 0x0bad_f00d_dead_beef);
    // And as one access where there is one; a 32-bit kernel has none, and the bytes agree.
    #[cfg(CONFIG_64BIT)]
    check_eq!(q.read_val(), 0x0bad_f00d_dead_beef);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(q.copy_read(), 0x0bad_f00d_dead_beef);
    Ok(())
}

/// Split 64-bit accesses on two `u32` locations anywhere (`split::*`, as C's
/// `lo_hi_readq(&regs->base_lo)` takes a register block's `base_lo` and `base_hi`) and on a pair
/// of adjacent `u32`s (`[u32; 2]`): each half lands in its own location, the low half in `lo`,
/// and reads back whole in either order.
pub(crate) fn split_halves_anywhere<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let mut model = Mixed::sample(37);
    io.copy_write(model);
    // Two locations that are not even adjacent, the high half first in memory.
    let (lo, hi) = (
        io_project!(io, .arr[build: 3]),
        io_project!(io, .arr[build: 0]),
    );
    for value in [0x0123_4567_89ab_cdef_u64, 0xffff_ffff_0000_0001] {
        split::write_lo_hi(lo, hi, value);
        (model.arr[3], model.arr[0]) = (value as u32, (value >> 32) as u32);
        check_eq!(io.copy_read(), model);
        check_eq!(split::read_lo_hi(lo, hi), value);
        split::write_hi_lo(lo, hi, !value);
        (model.arr[3], model.arr[0]) = (!value as u32, (!value >> 32) as u32);
        check_eq!(io.copy_read(), model);
        check_eq!(split::read_hi_lo(lo, hi), !value);
    }
    // A pair of adjacent `u32`s, as a `[u32; 2]` view of `arr[1..3]`.
    let pair = io_project!(io, .arr[build: 1..3]).try_cast::<[u32; 2]>()?;
    pair.write_hi_lo(0x1111_2222_3333_4444);
    (model.arr[1], model.arr[2]) = (0x3333_4444, 0x1111_2222);
    check_eq!(io.copy_read(), model);
    check_eq!(pair.read_lo_hi(), 0x1111_2222_3333_4444);
    Ok(())
}

/// Byte windows at offsets and lengths a device might report, hostile ones included: a window
/// is given only if it lies within the location, the check never overflows, and a write
/// through a window lands exactly there.
pub(crate) fn byte_window_hostile<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let mut model = Mixed::sample(41);
    io.copy_write(model);
    for (offset, len) in [
        (usize::MAX, 1),
        (1, usize::MAX),
        (usize::MAX, usize::MAX),
        (65, 0),
        (64, 1),
        (0, 65),
        (63, 2),
    ] {
        check_eq!(
            io.try_byte_window(black_box(offset), black_box(len)).err(),
            Some(ERANGE)
        );
    }
    check_eq!(io.try_byte_window(64, 0)?.len(), 0);
    let window = io.try_byte_window(black_box(29), black_box(6))?;
    check_eq!(window.len(), 6);
    window.copy_from_slice(&[1, 2, 3, 4, 5, 6]);
    model.as_mut_bytes()[29..35].copy_from_slice(&[1, 2, 3, 4, 5, 6]);
    check_eq!(io.copy_read(), model);
    Ok(())
}

/// Returns `arr[index]`, or `u32::MAX` if there is no such element: runtime-checked projection
/// in a function that returns a plain value, where `?` is not available.
fn element_or_max<'a, H>(io: H, index: usize) -> u32
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    io_try_read!(io, .arr[try: index]).unwrap_or(u32::MAX)
}

/// Runtime-checked projection without `?`: `io_try_project!`, `io_try_read!` and
/// `io_try_write!` return their result, an out-of-bounds index as `ERANGE`, and write nothing
/// on an error.
pub(crate) fn projection_without_question_mark<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let mut model = Mixed::sample(43);
    io.copy_write(model);
    for index in 0..4 {
        check_eq!(element_or_max(io, black_box(index)), model.arr[index]);
    }
    check_eq!(element_or_max(io, black_box(4)), u32::MAX);
    check_eq!(element_or_max(io, black_box(usize::MAX)), u32::MAX);
    check_eq!(
        io_try_write!(io, .arr[try: black_box(4)], 7).err(),
        Some(ERANGE)
    );
    check_eq!(
        io_try_project!(io, .bytes[try: black_box(2)..black_box(40)]).err(),
        Some(ERANGE)
    );
    check_eq!(io.copy_read(), model);
    io_try_write!(io, .arr[try: black_box(2)], 0x5a5a_5a5a)?;
    model.arr[2] = 0x5a5a_5a5a;
    match io_try_project!(io, .bytes[try: black_box(30)..black_box(33)]) {
        Ok(_) => return Err(EINVAL),
        Err(err) => check_eq!(err, ERANGE),
    }
    let tail = io_try_project!(io, .bytes[try: black_box(30)..black_box(32)])?;
    tail.copy_from_slice(&[9, 8]);
    model.bytes[30..32].copy_from_slice(&[9, 8]);
    check_eq!(io.copy_read(), model);
    Ok(())
}

/// FIFO accessors on memory: a FIFO write leaves the last value, a FIFO read returns the same
/// value every time, and nothing beside the register changes. A 32-bit kernel has no 64-bit FIFO
/// accesses, as it has no 64-bit accesses.
pub(crate) fn fifos<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let mut model = Mixed::sample(41);
    io.copy_write(model);
    io_project!(io, .w).write_fifo(&[1, 2, 3, 0xcafe_f00d]);
    model.w = 0xcafe_f00d;
    io_project!(io, .b).write_fifo(&[9, 8, 7]);
    model.b = 7;
    io_project!(io, .h).write_fifo(&[0x1111, 0x2222]);
    model.h = 0x2222;
    #[cfg(CONFIG_64BIT)]
    {
        io_project!(io, .q).write_fifo(&[u64::MAX, 5]);
        model.q = 5;
    }
    io_project!(io, .arr[build: 2]).write_fifo(&[]);
    check_eq!(io.copy_read(), model);

    let mut words = [0u32; 5];
    io_project!(io, .w).read_fifo(&mut words);
    check_eq!(words, [0xcafe_f00d; 5]);
    #[cfg(CONFIG_64BIT)]
    {
        let mut quads = [0u64; 3];
        io_project!(io, .q).read_fifo(&mut quads);
        check_eq!(quads, [5; 3]);
    }
    let mut halves = [0u16; 2];
    io_project!(io, .h).read_fifo(&mut halves);
    check_eq!(halves, [0x2222; 2]);
    let mut bytes = [0u8; 7];
    io_project!(io, .bytes[build: 31]).read_fifo(&mut bytes);
    check_eq!(bytes, [model.bytes[31]; 7]);
    io_project!(io, .arr[build: 0]).read_fifo(&mut []);
    check_eq!(io.copy_read(), model);
    Ok(())
}

/// A descriptor with fields in both byte orders.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Debug, FromBytes, IntoBytes)]
pub(crate) struct Descriptor {
    pub(crate) addr: Le64,
    pub(crate) len: Le32,
    pub(crate) tag: Be32,
    pub(crate) flags: Le16,
    pub(crate) id: Be16,
    pub(crate) status: u32,
}

const _: () = assert!(size_of::<Descriptor>() == 24);

/// Byte-order types at offsets of a region and as the fields of a typed view: the bytes they
/// leave in memory, the values they read from given bytes, and their errors.
pub(crate) fn byte_order<'a, const N: usize, A: RegionAlign, H>(io: H) -> Result
where
    H: Io<'a, Target = Region<N, A>>,
    H::Backend: AllWidths + ByteOrders,
{
    let bytes = io.try_cast::<[u8; REGION_WINDOW]>()?;
    bytes.copy_write([0; REGION_WINDOW]);
    let mut want = [0u8; REGION_WINDOW];

    io.write(0usize, Le16::new(0x0102));
    want[0..2].copy_from_slice(&[0x02, 0x01]);
    io.write(2usize, Be16::new(0x0102));
    want[2..4].copy_from_slice(&[0x01, 0x02]);
    io.write(4usize, Le32::new(0x1122_3344));
    want[4..8].copy_from_slice(&[0x44, 0x33, 0x22, 0x11]);
    io.write(8usize, Be32::new(0x1122_3344));
    want[8..12].copy_from_slice(&[0x11, 0x22, 0x33, 0x44]);
    // 64 bits at runtime-checked offsets on any region: two halves on a 32-bit kernel.
    #[cfg(CONFIG_64BIT)]
    {
        io.try_write(black_box(16usize), Le64::new(0x0102_0304_0506_0708))?;
        io.try_write(black_box(24usize), Be64::new(0x0102_0304_0506_0708))?;
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        write_le64(try_quad(io, black_box(16))?, 0x0102_0304_0506_0708);
        write_be64(try_quad(io, black_box(24))?, 0x0102_0304_0506_0708);
    }
    want[16..24].copy_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    want[24..32].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    check_eq!(bytes.copy_read(), want);

    check_eq!(io.read::<Le16, _>(0usize).get(), 0x0102);
    check_eq!(io.read::<Be16, _>(0usize).get(), 0x0201);
    check_eq!(io.read::<Le32, _>(8usize).get(), 0x4433_2211);
    check_eq!(io.read::<Be32, _>(8usize), Be32::new(0x1122_3344));
    #[cfg(CONFIG_64BIT)]
    {
        check_eq!(
            io.try_read::<Le64, _>(black_box(24usize))?.get(),
            0x0807_0605_0403_0201
        );
        check_eq!(
            io.try_read::<Be64, _>(black_box(16usize))?.get(),
            0x0807_0605_0403_0201
        );
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        check_eq!(
            read_le64(try_quad(io, black_box(24))?),
            0x0807_0605_0403_0201
        );
        check_eq!(
            read_be64(try_quad(io, black_box(16))?),
            0x0807_0605_0403_0201
        );
    }
    check_eq!(
        io.read::<Be32, _>(8usize).to_bits(),
        u32::from_ne_bytes([0x11, 0x22, 0x33, 0x44])
    );

    // Bytes put there raw read as the value their order says.
    io_project!(io.as_bytes(), [try: 32..36]).copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    check_eq!(io.read::<Be32, _>(32usize).get(), 0xdead_beef);
    check_eq!(io.read::<Le32, _>(32usize).get(), 0xefbe_adde);
    io.update(32usize, |v: Be32| Be32::new(v.get() + 1));
    want[32..36].copy_from_slice(&[0xde, 0xad, 0xbe, 0xf0]);

    // 64-bit at build-time checked offsets on an 8-byte aligned region.
    let wide = io.try_as_region::<Wide>()?;
    #[cfg(CONFIG_64BIT)]
    {
        wide.write(40usize, Be64::new(0x1020_3040_5060_7080));
        check_eq!(wide.read::<Le64, _>(40usize).get(), 0x8070_6050_4030_2010);
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        write_be64(quad::<40, _>(wide), 0x1020_3040_5060_7080);
        check_eq!(read_le64(quad::<40, _>(wide)), 0x8070_6050_4030_2010);
    }
    want[40..48].copy_from_slice(&[0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80]);

    // A FIFO of a byte-order type.
    let le = io_project!(io.as_bytes(), [try: 48..52]).try_cast::<Le32>()?;
    le.write_fifo(&[Le32::new(1), Le32::new(0x0a0b_0c0d)]);
    want[48..52].copy_from_slice(&[0x0d, 0x0c, 0x0b, 0x0a]);
    let mut got = [Le32::new(0); 3];
    le.read_fifo(&mut got);
    check_eq!(got, [Le32::new(0x0a0b_0c0d); 3]);

    check_eq!(io.try_read::<Le32, _>(black_box(6usize)), Err(EINVAL));
    #[cfg(CONFIG_64BIT)]
    check_eq!(io.try_read::<Be64, _>(black_box(12usize)), Err(EINVAL));
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(try_quad(io, black_box(12)).err(), Some(EINVAL));
    check_eq!(io.try_read::<Be16, _>(black_box(1usize)), Err(EINVAL));
    check_eq!(
        io.try_write(black_box(io.size() - 2), Le32::new(0)),
        Err(ERANGE)
    );
    #[cfg(CONFIG_64BIT)]
    check_eq!(
        io.try_read::<Le64, _>(black_box(usize::MAX - 7)),
        Err(ERANGE)
    );
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(try_quad(io, black_box(usize::MAX - 7)).err(), Some(ERANGE));
    check_eq!(bytes.copy_read(), want);

    // The same types as the fields of a typed view.
    let desc = wide.cast::<Descriptor>();
    desc.fill(0);
    #[cfg(CONFIG_64BIT)]
    io_write!(desc, .addr, Le64::new(0x1122_3344_5566_7788));
    #[cfg(not(CONFIG_64BIT))]
    write_le64(io_project!(desc, .addr), 0x1122_3344_5566_7788);
    io_write!(desc, .len, Le32::new(0x200));
    io_write!(desc, .tag, Be32::new(0xcafe_0001));
    io_write!(desc, .flags, Le16::new(0x8001));
    io_write!(desc, .id, Be16::new(0x0102));
    let mut raw = [0u8; 24];
    desc.as_bytes().copy_to_slice(&mut raw);
    check_eq!(
        raw,
        [
            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // addr
            0x00, 0x02, 0x00, 0x00, // len
            0xca, 0xfe, 0x00, 0x01, // tag
            0x01, 0x80, // flags
            0x01, 0x02, // id
            0x00, 0x00, 0x00, 0x00, // status
        ]
    );
    check_eq!(io_read!(desc, .tag).get(), 0xcafe_0001);
    check_eq!(io_read!(desc, .id).get(), 0x0102);
    let value = desc.copy_read();
    check_eq!(value.addr.get(), 0x1122_3344_5566_7788);
    check_eq!(value.flags.get(), 0x8001);
    check_eq!(value.len, Le32::new(0x200));
    desc.copy_write(Descriptor {
        addr: Le64::new(1),
        len: Le32::new(2),
        tag: Be32::new(3),
        flags: Le16::new(4),
        id: Be16::new(5),
        status: 6,
    });
    desc.as_bytes().copy_to_slice(&mut raw);
    check_eq!(raw[..8], [1, 0, 0, 0, 0, 0, 0, 0]);
    check_eq!(raw[12..16], [0, 0, 0, 3]);
    check_eq!(raw[18..20], [0, 5]);
    check_eq!(io_read!(desc, .len).get(), 2);
    Ok(())
}

/// Plain offsets in a typed view: offsets into its type, checked at build time against its size
/// and alignment, or at runtime; the same on its byte view.
pub(crate) fn typed_offsets<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let init = Mixed::sample(51);
    io.copy_write(init);
    let mut model = init;
    check_eq!(io.read8(0), init.b);
    check_eq!(io.read16(2), init.h);
    check_eq!(io.read32(4), init.w);
    #[cfg(CONFIG_64BIT)]
    check_eq!(io.read64(8), init.q);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(quad::<8, _>(io).read_lo_hi(), init.q);
    check_eq!(io.read32(28), init.arr[3]);
    check_eq!(io.read8(63), init.bytes[31]);
    io.write32(0x600d_cafe, 4);
    model.w = 0x600d_cafe;
    #[cfg(CONFIG_64BIT)]
    io.write64(7, 8);
    #[cfg(not(CONFIG_64BIT))]
    quad::<8, _>(io).write_hi_lo(7);
    model.q = 7;
    io.update(2usize, |v: u16| !v);
    model.h = !init.h;
    io.write8(0x42, 40);
    model.bytes[8] = 0x42;
    for i in 0..4 {
        check_eq!(io.try_read32(black_box(16 + 4 * i))?, init.arr[i]);
        io.try_write32(0x1000 + i as u32, black_box(16 + 4 * i))?;
        model.arr[i] = 0x1000 + i as u32;
    }
    io.try_write16(0x1234, black_box(2))?;
    model.h = 0x1234;
    check_eq!(io.copy_read(), model);
    check_eq!(io_read!(io, .arr[build: 3]), 0x1003);

    for offset in [64, 61, usize::MAX] {
        check_eq!(io.try_read32(black_box(offset)), Err(ERANGE));
    }
    check_eq!(io.try_read8(black_box(64)), Err(ERANGE));
    check_eq!(io.try_read32(black_box(2)), Err(EINVAL));
    check_eq!(io.try_write16(0, black_box(1)), Err(EINVAL));
    #[cfg(CONFIG_64BIT)]
    {
        check_eq!(io.try_read64(black_box(60)), Err(ERANGE));
        check_eq!(io.try_write64(0, black_box(64)), Err(ERANGE));
        check_eq!(io.try_read64(black_box(4)), Err(EINVAL));
    }
    #[cfg(not(CONFIG_64BIT))]
    for (offset, err) in [(60, ERANGE), (64, ERANGE), (4, EINVAL)] {
        check_eq!(try_quad(io, black_box(offset)).err(), Some(err));
    }

    let bytes = io.as_bytes();
    check_eq!(bytes.try_read32(black_box(4))?, 0x600d_cafe);
    #[cfg(CONFIG_64BIT)]
    check_eq!(bytes.try_read64(black_box(8))?, 7);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(try_quad(bytes, black_box(8))?.read_lo_hi(), 7);
    check_eq!(bytes.try_read16(black_box(64)), Err(ERANGE));
    check_eq!(io.copy_read(), model);
    Ok(())
}

register! {
    /// `Mixed::w`, as two halves.
    MIXED_W(u32) @ 0x4 {
        31:16 high;
        15:0 low;
    }

    /// `Mixed::q`.
    MIXED_Q(u64) @ 0x8 {
        63:32 high;
        31:0 low;
    }

    /// `Mixed::arr`.
    MIXED_ARR(u32)[4] @ 0x10 {
        31:0 value;
    }

    /// The last byte of `Mixed::bytes`.
    MIXED_LAST(u8) @ 0x3f {
        7:4 high;
        3:0 low;
    }
}

/// Registers defined with offsets into [`Mixed`], used on a typed view of it: read, written,
/// updated, in arrays, and through its byte view with the runtime checks.
pub(crate) fn typed_registers<'a, H>(io: H) -> Result
where
    H: Io<'a, Target = Mixed>,
    H::Backend: AllWidths,
{
    let init = Mixed::sample(61);
    io.copy_write(init);
    let mut model = init;

    let w = io.read(MIXED_W);
    check_eq!(w.into_raw(), init.w);
    check_eq!(w.high().get(), init.w >> 16);
    check_eq!(w.low().get(), init.w & 0xffff);
    io.write_reg(
        MIXED_W::zeroed()
            .with_const_high::<0xbeef>()
            .with_const_low::<0x1234>(),
    );
    model.w = 0xbeef_1234;
    io.update(MIXED_W, |r| r.with_const_low::<0x5678>());
    model.w = 0xbeef_5678;
    // A 64-bit register is one access on a 64-bit kernel, two halves on a 32-bit one.
    #[cfg(CONFIG_64BIT)]
    {
        io.write(MIXED_Q, MIXED_Q::from_raw(0x0102_0304_0506_0708));
        check_eq!(io.read(MIXED_Q).high().get(), 0x0102_0304);
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        let q = quad::<{ MIXED_Q::OFFSET }, _>(io);
        q.write_lo_hi(MIXED_Q::from_raw(0x0102_0304_0506_0708).into_raw());
        check_eq!(MIXED_Q::from_raw(q.read_lo_hi()).high().get(), 0x0102_0304);
    }
    model.q = 0x0102_0304_0506_0708;
    check_eq!(io.read(MIXED_LAST).high().get(), init.bytes[31] >> 4);
    io.write_reg(MIXED_LAST::zeroed().with_const_low::<0xa>());
    model.bytes[31] = 0x0a;

    check_eq!(io.read(MIXED_ARR::at(3)).into_raw(), init.arr[3]);
    for i in 0..4 {
        let at = MIXED_ARR::try_at(black_box(i)).ok_or(ERANGE)?;
        io.try_write(at, MIXED_ARR::from_raw(0xa000 + i as u32))?;
        model.arr[i] = 0xa000 + i as u32;
    }
    check!(MIXED_ARR::try_at(black_box(4)).is_none());
    check_eq!(io.copy_read(), model);
    check_eq!(io.read(MIXED_ARR::at(1)).value().get(), 0xa001);

    // On the byte view of the same location, the registers are checked at runtime. A byte view
    // takes the register locations (`MIXED_W` is a `FixedRegisterLoc`), not a register value as
    // its own location (`write_reg`): see `io/locations.rs`.
    let bytes = io.as_bytes();
    check_eq!(bytes.try_read(MIXED_W)?.into_raw(), 0xbeef_5678);
    bytes.try_write(MIXED_W, MIXED_W::from_raw(0x0101_0202))?;
    model.w = 0x0101_0202;
    let short = io_project!(bytes, [try: 0..16]);
    #[cfg(CONFIG_64BIT)]
    check_eq!(short.try_read(MIXED_Q)?.into_raw(), model.q);
    #[cfg(not(CONFIG_64BIT))]
    check_eq!(
        MIXED_Q::from_raw(try_quad(short, MIXED_Q::OFFSET)?.read_hi_lo()).into_raw(),
        model.q
    );
    check_eq!(
        short.try_read(MIXED_ARR::at(0)).map(|r| r.into_raw()),
        Err(ERANGE)
    );
    check_eq!(
        io_project!(bytes, [try: 2..64])
            .try_read(MIXED_W)
            .map(|r| r.into_raw()),
        Err(EINVAL)
    );
    check_eq!(io.copy_read(), model);
    Ok(())
}
