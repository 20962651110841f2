// SPDX-License-Identifier: GPL-2.0

//! The guide's examples that need no device, as the KUnit suite `io_guide`.
//!
//! `Documentation/io/*.rst` shows the code between the `[guide:NAME]` and `[end guide:NAME]`
//! markers of this file, so every line of them is built and run by `make test`. Each case runs
//! one example on system memory and then checks, in the memory itself, what the example did.
//! The examples that need a device are the cookbook's (`samples/io_cookbook.rs`).

use kernel::prelude::*;

#[path = "../samples/common/check.rs"]
mod checks;

#[kunit_tests(io_guide)]
mod guide {
    use kernel::{
        io::{
            io_project,
            io_read,
            io_write,
            Io,
            IoSysMap,
            Le16,
            Le32,
            Region,
            SysMem, //
        },
        prelude::*,
    };

    use crate::checks::check_eq;

    #[test]
    fn views_over_memory_the_driver_owns() -> Result {
        // [guide:sysmem-views]
        let mut ring = [0u32; 8];
        let io = SysMem::from_mut(&mut ring); // SysMem<'_, [u32; 8]>
        io_write!(io, [build: 3], 0xfeed);

        let mut words = [0u32; 64];
        let regs = SysMem::<Region<256>>::try_from_bytes(words.as_mut_bytes())?;
        regs.write32(0xbeef, 0x10);
        // [end guide:sysmem-views]
        check_eq!(ring[3], 0xfeed);
        check_eq!(words[4], 0xbeef);
        Ok(())
    }

    #[test]
    fn build_and_runtime_checked_accessors() -> Result {
        // [guide:io-methods]
        let mut words = [0u32; 4];
        let io = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes())?;

        io.write32(0x1234_5678, 4); // offset proven in bounds at build time
        let value = io.read32(4); // 0x1234_5678
        let past_end = io.try_read32(16); // Err(ERANGE)
        let misaligned = io.try_read32(2); // Err(EINVAL)
        io.update(8usize, |v: u16| v | 0x8001); // read-modify-write of a u16
                                                // [end guide:io-methods]
        check_eq!(value, 0x1234_5678);
        check_eq!(past_end, Err(ERANGE));
        check_eq!(misaligned, Err(EINVAL));
        let bytes = words.as_bytes();
        check_eq!(u16::from_ne_bytes([bytes[8], bytes[9]]), 0x8001);
        check_eq!(words[1], 0x1234_5678);
        Ok(())
    }

    // [guide:iosysmap-bump]
    /// Increments the second of two counters that a buffer holds in I/O memory or in system
    /// memory, whichever the buffer's allocator chose.
    fn bump(counters: IoSysMap<'_, [u32; 2]>) {
        io_write!(counters, [build: 1], io_read!(counters, [build: 1]) + 1);
    }
    // [end guide:iosysmap-bump]

    #[test]
    fn iosysmap_either_side() -> Result {
        let mut counters = [5u32, 7];
        bump(IoSysMap::Sys(SysMem::from_mut(&mut counters)));
        bump(IoSysMap::Sys(SysMem::from_mut(&mut counters)));
        check_eq!(counters, [5, 9]);
        Ok(())
    }

    // [guide:sysmem-ring]
    /// A descriptor as a device reads it from memory: little-endian fields.
    #[repr(C)]
    #[derive(Clone, Copy, FromBytes, IntoBytes)]
    struct Desc {
        addr: Le32,
        len: Le16,
        flags: Le16,
    }

    /// Stores `desc` in slot `head` of a ring that a device reads (`head` came from elsewhere:
    /// checked at runtime), with one copy of the whole descriptor.
    fn store(ring: &mut [Desc; 16], head: usize, desc: Desc) -> Result {
        let io = SysMem::from_mut(ring);
        io_project!(io, [try: head]).copy_write(desc);
        Ok(())
    }
    // [end guide:sysmem-ring]

    #[test]
    fn descriptor_ring_in_memory() -> Result {
        let zero = Desc {
            addr: Le32::new(0),
            len: Le16::new(0),
            flags: Le16::new(0),
        };
        let mut ring = [zero; 16];
        let desc = Desc {
            addr: Le32::new(0x1000),
            len: Le16::new(512),
            flags: Le16::new(1),
        };
        store(&mut ring, 15, desc)?;
        check_eq!(store(&mut ring, 16, desc), Err(ERANGE));
        check_eq!(ring[15].addr.get(), 0x1000);
        check_eq!(ring[15].len.get(), 512);
        // The bytes the device reads, whatever the CPU's byte order.
        check_eq!(ring[15].addr.to_bits().to_ne_bytes(), [0x00, 0x10, 0, 0]);
        check_eq!(ring[15].len.to_bits().to_ne_bytes(), [0x00, 0x02]);
        check_eq!(ring[14].addr.get(), 0);
        Ok(())
    }

    // [guide:iosysmap-clear]
    /// Clears a frame buffer of any length, one pixel at a time.
    fn clear_fb(fb: IoSysMap<'_, [u32]>) -> Result {
        for i in 0..fb.len() {
            io_write!(fb, [try: i], 0);
        }
        Ok(())
    }
    // [end guide:iosysmap-clear]

    #[test]
    fn frame_buffer_cleared() -> Result {
        let mut pixels = KVec::from_elem(0xffff_ffffu32, 300, GFP_KERNEL)?;
        clear_fb(IoSysMap::Sys(SysMem::from_mut(&mut pixels[..])))?;
        check_eq!(pixels.iter().filter(|&&p| p != 0).count(), 0);
        Ok(())
    }

    #[test]
    fn fill_and_fifo() -> Result {
        let mut buf = [0x11u8; 64];
        let mut fifo = 0u32;
        let mut received = [0u32; 4];
        // [guide:fill-fifo]
        // memset_io(), on any byte range of a location.
        let io = SysMem::from_mut(&mut buf);
        io_project!(io, [try: 16..48]).fill(0);

        // readsl(): one register, read `received.len()` times.
        let data = SysMem::from_mut(&mut fifo);
        data.write_val(0xc0ff_ee00);
        data.read_fifo(&mut received);
        // [end guide:fill-fifo]
        check_eq!(buf[15], 0x11);
        check_eq!(buf[16..48].iter().filter(|&&b| b != 0).count(), 0);
        check_eq!(buf[48], 0x11);
        check_eq!(received, [0xc0ff_ee00; 4]);
        Ok(())
    }
}

struct IoGuideTest;

impl kernel::Module for IoGuideTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoGuideTest)
    }
}

module! {
    type: IoGuideTest,
    name: "io_guide_test",
    authors: ["The typed I/O project"],
    description: "KUnit suite of the guide's examples that need no device",
    license: "GPL v2",
}
