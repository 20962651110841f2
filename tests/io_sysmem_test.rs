// SPDX-License-Identifier: GPL-2.0

//! KUnit suites for the system-memory views: `SysMem` over the stack, `KBox` and `KVec`, and the
//! system-memory side of `IoSysMap` and `EitherView`. They need no device.
//!
//! - `io_sysmem_access`: every width through every accessor form, verified through another
//!   path and, where the memory can be looked at directly, in the memory itself.
//! - `io_sysmem_errors`: every error path with its error code, and that it writes nothing.
//! - `io_sysmem_copy`: slice copies in every size, and view-to-view moves checked against a
//!   `memmove()` model, overlapping in both directions.
//! - `io_sysmap_sys`: the same on `IoSysMap::Sys` and on an `EitherView`.

use kernel::prelude::*;

#[path = "../samples/common/check.rs"]
mod checks;
#[path = "common/io_checks.rs"]
mod io_checks;

/// Kernel memory for the views: a region-sized block of words, and a byte buffer.
#[cfg(CONFIG_KUNIT = "y")]
mod buffers {
    use kernel::prelude::*;

    use crate::io_checks::{
        REGION_WINDOW,
        SLICE_WINDOW, //
    };

    /// A region of `REGION_WINDOW` bytes, aligned to 8.
    pub(crate) type Words = [u64; REGION_WINDOW / 8];

    /// A zeroed byte buffer for the slice checks.
    pub(crate) fn bytes() -> Result<KVec<u8>> {
        Ok(KVec::from_elem(0u8, SLICE_WINDOW, GFP_KERNEL)?)
    }
}

#[kunit_tests(io_sysmem_access)]
mod access {
    use kernel::{
        io::{
            io_project,
            io_read,
            io_write,
            Align8,
            Io,
            Region,
            SysMem, //
        },
        prelude::*,
    };

    use crate::{
        buffers::Words,
        checks::check_eq,
        io_checks::*, //
    };

    type Region8 = Region<REGION_WINDOW, Align8>;

    #[test]
    fn stack_region_every_width() -> Result {
        let mut words: Words = [0; 8];
        let io = SysMem::<Region8>::try_from_bytes(words.as_mut_bytes())?;
        region_runtime(io)?;
        region_build(io)?;
        region_build64(io)
    }

    #[test]
    fn kbox_region_every_width() -> Result {
        let mut words = KBox::new([0u64; 8], GFP_KERNEL)?;
        let io = SysMem::<Region8>::try_from_bytes(words.as_mut_bytes())?;
        region_runtime(io)?;
        region_build(io)?;
        region_build64(io)
    }

    #[test]
    fn kvec_region_every_width() -> Result {
        // A byte vector only makes a 4-byte aligned region: no build-time 64-bit accesses.
        let mut bytes = KVec::from_elem(0u8, REGION_WINDOW, GFP_KERNEL)?;
        let io = SysMem::<Region<REGION_WINDOW>>::try_from_bytes(&mut bytes)?;
        region_runtime(io)?;
        region_build(io)
    }

    #[test]
    fn stack_typed_fields() -> Result {
        let mut value = Mixed::sample(0);
        typed_fields(SysMem::from_mut(&mut value))
    }

    #[test]
    fn kbox_typed_fields() -> Result {
        let mut value = KBox::new(Mixed::sample(0), GFP_KERNEL)?;
        typed_fields(SysMem::from_mut(&mut *value))
    }

    #[test]
    fn kvec_typed_element_fields() -> Result {
        let mut values = KVec::new();
        for seed in 0..3 {
            values.push(Mixed::sample(seed), GFP_KERNEL)?;
        }
        let third = values[2];
        let io = SysMem::from_mut(&mut values[..]);
        typed_fields(io_project!(io, [try: 1]))?;
        // The neighbours of the element were left alone.
        check_eq!(io_project!(io, [try: 2]).copy_read(), third);
        check_eq!(io.len(), 3);
        Ok(())
    }

    /// Writes of every width land in memory at their offsets, in the CPU's byte order.
    #[test]
    fn writes_reach_memory() -> Result {
        let mut words = [0u64; 2];
        let io = SysMem::<Region<16, Align8>>::try_from_bytes(words.as_mut_bytes())?;
        io.write8(0x11, 0);
        io.write16(0x2233, 2);
        io.write32(0x4455_6677, 4);
        io.write64(0x8899_aabb_ccdd_eeff, 8);
        let mut low = [0u8; 8];
        low[0] = 0x11;
        low[2..4].copy_from_slice(&0x2233u16.to_ne_bytes());
        low[4..8].copy_from_slice(&0x4455_6677u32.to_ne_bytes());
        check_eq!(words, [u64::from_ne_bytes(low), 0x8899_aabb_ccdd_eeff]);
        Ok(())
    }

    /// Reads of every width see what is in memory, including after it changed under a view.
    #[test]
    fn reads_see_memory() -> Result {
        let mut words = [0x0123_4567_89ab_cdefu64, 0];
        let bytes = words[0].to_ne_bytes();
        {
            let io = SysMem::<Region<16, Align8>>::try_from_bytes(words.as_mut_bytes())?;
            check_eq!(io.read8(1), bytes[1]);
            check_eq!(io.read16(6), u16::from_ne_bytes([bytes[6], bytes[7]]));
            check_eq!(
                io.read32(4),
                u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
            );
            check_eq!(io.read64(0), 0x0123_4567_89ab_cdef);
            check_eq!(io.try_read64(8), Ok(0));
        }
        words[1] = u64::MAX;
        let io = SysMem::<Region<16, Align8>>::try_from_bytes(words.as_mut_bytes())?;
        check_eq!(io.read64(8), u64::MAX);
        Ok(())
    }

    /// Field writes through projections land in the fields of the value itself.
    #[test]
    fn projected_writes_reach_the_value() -> Result {
        let mut value = Mixed::sample(9);
        let mut want = value;
        let io = SysMem::from_mut(&mut value);
        io_write!(io, .b, 1);
        io_write!(io, .h, 2);
        io_write!(io, .w, 3);
        io_write!(io, .q, 4);
        io_write!(io, .arr[build: 1], 5);
        io_project!(io, .bytes[build: 8..12]).copy_from_slice(&[6; 4]);
        check_eq!(io_read!(io, .arr[build: 0]), want.arr[0]);
        (want.b, want.h, want.w, want.q, want.arr[1]) = (1, 2, 3, 4, 5);
        want.bytes[8..12].fill(6);
        check_eq!(value, want);
        Ok(())
    }
}

#[kunit_tests(io_sysmem_errors)]
mod errors {
    use kernel::{
        io::{
            Align8,
            MmioRaw,
            Region,
            SysMem, //
        },
        prelude::*,
    };

    use crate::{
        buffers::{
            bytes,
            Words, //
        },
        checks::{
            check,
            check_eq, //
        },
        io_checks::*,
    };

    #[test]
    fn stack_region_errors() -> Result {
        let mut words: Words = [0; 8];
        region_errors(SysMem::<Region<REGION_WINDOW, Align8>>::try_from_bytes(
            words.as_mut_bytes(),
        )?)
    }

    #[test]
    fn kvec_region_errors() -> Result {
        let mut bytes = KVec::from_elem(0u8, REGION_WINDOW, GFP_KERNEL)?;
        region_errors(SysMem::<Region<REGION_WINDOW>>::try_from_bytes(&mut bytes)?)
    }

    #[test]
    fn typed_projection_and_cast_errors() -> Result {
        let mut value = KBox::new(Mixed::sample(3), GFP_KERNEL)?;
        typed_errors(SysMem::from_mut(&mut *value))
    }

    #[test]
    fn slice_length_and_range_errors() -> Result {
        let mut buf = bytes()?;
        slice_errors(SysMem::from_mut(&mut buf[..]))
    }

    /// A region view is only made of memory that satisfies the region's invariants.
    #[test]
    fn region_construction_errors() -> Result {
        let mut words = [0u64; 4];
        let all = words.as_mut_bytes();
        check_eq!(
            SysMem::<Region<32>>::try_from_bytes(&mut all[..28]).err(),
            Some(EINVAL)
        );
        check_eq!(
            SysMem::<Region<0>>::try_from_bytes(&mut all[1..29]).err(),
            Some(EINVAL)
        );
        check_eq!(
            SysMem::<Region<0>>::try_from_bytes(&mut all[..30]).err(),
            Some(EINVAL)
        );
        check_eq!(
            SysMem::<Region<0, Align8>>::try_from_bytes(&mut all[4..20]).err(),
            Some(EINVAL)
        );
        check_eq!(
            SysMem::<Region<0, Align8>>::try_from_bytes(&mut all[..12]).err(),
            Some(EINVAL)
        );
        check!(SysMem::<Region<16, Align8>>::try_from_bytes(&mut all[8..24]).is_ok());
        check!(SysMem::<Region<0>>::try_from_bytes(&mut all[4..8]).is_ok());

        check_eq!(
            MmioRaw::<Region<16>>::new_region(0x1000, 12).err(),
            Some(EINVAL)
        );
        check_eq!(
            MmioRaw::<Region<16>>::new_region(0x1002, 16).err(),
            Some(EINVAL)
        );
        check_eq!(
            MmioRaw::<Region<0, Align8>>::new_region(0x1004, 16).err(),
            Some(EINVAL)
        );
        let raw = MmioRaw::<Region<16>>::new_region(0x1000, 32)?;
        check_eq!((raw.addr(), raw.size()), (0x1000, 32));
        Ok(())
    }
}

#[kunit_tests(io_sysmem_copy)]
mod copy {
    use kernel::{
        io::{
            io_project,
            Io,
            SysMem, //
        },
        prelude::*,
    };

    use crate::{
        buffers::bytes,
        checks::check_eq,
        io_checks::*, //
    };

    #[test]
    fn kvec_slice_copies() -> Result {
        let mut buf = bytes()?;
        slice_copies(SysMem::from_mut(&mut buf[..]))
    }

    #[test]
    fn kbox_slice_copies() -> Result {
        let mut buf = KBox::<[u8; SLICE_WINDOW]>::init(pin_init::init_zeroed(), GFP_KERNEL)?;
        slice_copies(SysMem::from_mut(&mut buf[..]))
    }

    #[test]
    fn stack_moves_every_overlap() -> Result {
        let mut buf = [0u8; 32];
        check_eq!(moves_exhaustive(SysMem::from_mut(&mut buf[..]))?, 5525);
        Ok(())
    }

    #[test]
    fn kvec_moves_in_chunks() -> Result {
        let mut buf = bytes()?;
        check_eq!(moves_chunked(SysMem::from_mut(&mut buf[..]))?, 77);
        Ok(())
    }

    /// A move between overlapping views leaves the memory as `memmove()` does.
    #[test]
    fn overlapping_move_in_memory() -> Result {
        let mut buf = *b"0123456789abcdef";
        let io = SysMem::from_mut(&mut buf[..]);
        io_project!(io, [try: 3..13]).copy_from_view(io_project!(io, [try: 1..11]));
        check_eq!(&buf, b"012123456789adef");
        let io = SysMem::from_mut(&mut buf[..]);
        io_project!(io, [try: 0..12]).try_copy_from_view(io_project!(io, [try: 4..16]))?;
        check_eq!(&buf, b"23456789adefadef");
        Ok(())
    }

    /// Whole values copied in and out of a typed view.
    #[test]
    fn value_copies() -> Result {
        let mut value = Mixed::sample(4);
        let io = SysMem::from_mut(&mut value);
        let other = Mixed::sample(5);
        check_eq!(io.copy_read(), Mixed::sample(4));
        io.copy_write(other);
        check_eq!(value, other);
        Ok(())
    }
}

#[kunit_tests(io_sysmap_sys)]
mod sysmap {
    use kernel::io::{
        io_read,
        io_write,
        Align8,
        EitherView,
        IoSysMap,
        MmioBackend,
        Region,
        SysMem,
        SysMemBackend, //
    };
    use kernel::prelude::*;

    use crate::{
        buffers::{
            bytes,
            Words, //
        },
        checks::{
            check,
            check_eq, //
        },
        io_checks::*,
    };

    #[test]
    fn region_every_width() -> Result {
        let mut words: Words = [0; 8];
        let map = IoSysMap::from(SysMem::<Region<REGION_WINDOW, Align8>>::try_from_bytes(
            words.as_mut_bytes(),
        )?);
        check!(!map.is_iomem());
        region_runtime(map)?;
        region_build(map)?;
        region_build64(map)?;
        region_errors(map)
    }

    #[test]
    fn typed_fields_and_errors() -> Result {
        let mut value = Mixed::sample(6);
        let map = IoSysMap::from(SysMem::from_mut(&mut value));
        typed_fields(map)?;
        typed_errors(map)
    }

    #[test]
    fn slice_copies_and_moves() -> Result {
        let mut buf = bytes()?;
        let map = IoSysMap::from(SysMem::from_mut(&mut buf[..]));
        slice_copies(map)?;
        slice_errors(map)?;
        check_eq!(moves_exhaustive(map)?, 5525);
        check_eq!(moves_chunked(map)?, 77);
        Ok(())
    }

    /// An `IoSysMap` converts to the generic either-view and back, keeping its side.
    #[test]
    fn either_view_conversions() -> Result {
        let mut value = [0u32; 4];
        let map = IoSysMap::from(SysMem::from_mut(&mut value));
        let either: EitherView<'_, MmioBackend, SysMemBackend, [u32; 4]> = map.into();
        check!(matches!(either, EitherView::Right(_)));
        io_write!(either, [build: 2], 0x1234_5678);
        let back = IoSysMap::from(either);
        check!(!back.is_iomem());
        check_eq!(io_read!(back, [build: 2]), 0x1234_5678);
        check_eq!(value, [0, 0, 0x1234_5678, 0]);
        Ok(())
    }

    #[test]
    fn either_view_every_form() -> Result {
        let mut value = Mixed::sample(7);
        let either: EitherView<'_, MmioBackend, SysMemBackend, Mixed> =
            IoSysMap::from(SysMem::from_mut(&mut value)).into();
        typed_fields(either)?;
        typed_errors(either)?;
        let mut buf = bytes()?;
        let either: EitherView<'_, MmioBackend, SysMemBackend, [u8]> =
            IoSysMap::from(SysMem::from_mut(&mut buf[..])).into();
        slice_copies(either)?;
        check_eq!(moves_chunked(either)?, 77);
        Ok(())
    }
}

struct IoSysmemTest;

impl kernel::Module for IoSysmemTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoSysmemTest)
    }
}

module! {
    type: IoSysmemTest,
    name: "io_sysmem_test",
    authors: ["The typed I/O project"],
    description: "KUnit suites for the system-memory I/O views",
    license: "GPL v2",
}
