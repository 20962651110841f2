// SPDX-License-Identifier: GPL-2.0

//! A driver for QEMU's `ivshmem-plain` device (PCI 1af4:1110) that uses its shared-memory BAR as
//! a byte window.
//!
//! BAR2 is plain RAM behind MMIO, so everything written can be read back. The driver keeps a
//! model of the BAR's contents in system memory and checks every byte of the BAR against it
//! after copies of sizes from one byte to the whole BAR, at odd offsets, into and out of the BAR
//! (`copy_from_slice`, `copy_to_slice` and their `try_` forms), and after moves between two
//! windows of the BAR (`copy_from_view`), overlapping or not, whose model is `memmove()`, and
//! after fills of windows of the BAR (`fill`, C's `memset_io()`). It reports every check as KTAP.
//!
//! The shared memory is also what an observer outside the guest sees: the harness backs it with
//! a file (`memory-backend-file,share=on`), fills the file with [`prefill`]'s pattern before the
//! boot, and compares it after the boot, byte for byte, with a model of its own
//! (`tests/harness/observer.py`). So the driver first checks that the BAR reads as the pattern the
//! host wrote (`host_pattern_seen`), and last, after its copy checks have cleared the BAR, writes
//! the [observer layout](write_layout) at [`LAYOUT`]: fields, arrays, every width, both byte
//! orders, a copy, a fill and overlapping moves, each at a documented place. Any write at a wrong
//! offset shows in the file. The observer checks BAR2 from offset 0x10000 on, which nothing after
//! this driver writes (the device test driver uses the first 16 KiB).
//!
//! With several CPUs, a work item on each writes its own slot of the shared memory at once
//! ([`SMP_AREA`]): counters incremented through the BAR and a stripe of bytes, all exact at the
//! end, in the guest and in the file; and one 64-bit location that one CPU writes with single
//! 64-bit accesses while the others read it, none of them ever seeing half of one value and half
//! of the other (`samples/common/smp.rs`).
//!
//! Loaded with `hotplug=1` (the hotplug stage, `tests/harness/hotplug.sh`), the driver keeps the
//! device: a short check at each probe, then a loop on each CPU that increments its own counter
//! in the shared memory ([`HOTPLUG_AREA`]) through a `Devres`-managed BAR until the device is
//! removed. The remove path stops the increments and checks each counter against its loop's own
//! count, and prints them; the harness then reads the same counters in the file from outside.
//!
//! QEMU must be started with `-object memory-backend-file,id=shm,size=1M,share=on,mem-path=FILE
//! -device ivshmem-plain,memdev=shm` (or `memory-backend-ram` without the observer).

use kernel::{
    device::Core,
    devres::DevresLt,
    io::{
        io_project,
        io_read,
        io_write,
        Align8,
        Be16,
        Be32,
        Be64,
        Io,
        Le16,
        Le32,
        Le64,
        Mmio,
        Region, //
    },
    pci,
    prelude::*,
    revocable::Revocable,
    sizes::SZ_1M,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    }, //
};

#[path = "common/check.rs"]
mod checks;
#[path = "common/ktap.rs"]
mod ktap;
#[path = "common/loops.rs"]
mod loops;
#[path = "common/smp.rs"]
mod smp;

use smp::CONTEXTS;

use checks::{
    check,
    check_eq, //
};
use ktap::Suite;

/// The shared-memory BAR.
const MEM_BAR: u32 = 2;
/// The size of the shared memory the driver expects (`size=1M` on the QEMU command line).
const MEM_SIZE: usize = SZ_1M;

/// The whole shared memory as bytes.
type MemView<'a> = Mmio<'a, [u8]>;

/// The copies into and out of the BAR, as `(case, length)`: lengths around every power of two that
/// a copy routine might treat specially, up to the whole BAR less one byte (the whole BAR is its
/// own case). Each case is named `copy_{length}_bytes`, which the build checks.
const COPIES: [(&str, usize); 26] = [
    ("copy_1_bytes", 1),
    ("copy_2_bytes", 2),
    ("copy_3_bytes", 3),
    ("copy_4_bytes", 4),
    ("copy_5_bytes", 5),
    ("copy_7_bytes", 7),
    ("copy_8_bytes", 8),
    ("copy_9_bytes", 9),
    ("copy_15_bytes", 15),
    ("copy_16_bytes", 16),
    ("copy_17_bytes", 17),
    ("copy_63_bytes", 63),
    ("copy_64_bytes", 64),
    ("copy_65_bytes", 65),
    ("copy_255_bytes", 255),
    ("copy_256_bytes", 256),
    ("copy_257_bytes", 257),
    ("copy_4095_bytes", 4095),
    ("copy_4096_bytes", 4096),
    ("copy_4097_bytes", 4097),
    ("copy_65535_bytes", 65535),
    ("copy_65537_bytes", 65537),
    ("copy_262143_bytes", 262_143),
    ("copy_524289_bytes", 524_289),
    ("copy_1048573_bytes", MEM_SIZE - 3),
    ("copy_1048575_bytes", MEM_SIZE - 1),
];

const _: () = {
    /// Whether `name` is `copy_{len}_bytes`, with `len` in decimal as `{}` prints it.
    const fn is_copy_name(name: &str, len: usize) -> bool {
        const PREFIX: &[u8] = b"copy_";
        const SUFFIX: &[u8] = b"_bytes";
        let name = name.as_bytes();
        if name.len() <= PREFIX.len() + SUFFIX.len() {
            return false;
        }
        let digits_end = name.len() - SUFFIX.len();
        let mut i = 0;
        while i < PREFIX.len() {
            if name[i] != PREFIX[i] {
                return false;
            }
            i += 1;
        }
        i = 0;
        while i < SUFFIX.len() {
            if name[digits_end + i] != SUFFIX[i] {
                return false;
            }
            i += 1;
        }
        // The digits, from the last: each must be the next of `len`'s, with none left over and no
        // leading zero.
        let (mut at, mut rest) = (digits_end, len);
        while at > PREFIX.len() {
            at -= 1;
            // CAST: A decimal digit fits in a byte.
            if name[at] != b'0' + (rest % 10) as u8 {
                return false;
            }
            rest /= 10;
        }
        rest == 0 && (name[PREFIX.len()] != b'0' || digits_end == PREFIX.len() + 1)
    }

    let mut i = 0;
    while i < COPIES.len() {
        assert!(is_copy_name(COPIES[i].0, COPIES[i].1));
        i += 1;
    }
};

/// The cases of the suite, in the order [`exercise`] reports them: the BAR and the host's bytes,
/// the copy of the whole BAR and those of [`COPIES`], then errors, moves and fills.
const CASES: [&str; 36] = ktap::join(&[
    &[
        "byte_view_of_whole_bar",
        "host_pattern_seen",
        "copy_whole_bar",
    ],
    &copy_cases(),
    &[
        "length_mismatch_einval",
        "out_of_range_erange",
        "copy_from_view_memmove",
        "fill_windows",
        "fill_whole_bar",
        "counters_from_every_cpu",
        "single_access_64bit_never_torn",
    ],
]);

/// The names of the cases of [`COPIES`].
const fn copy_cases() -> [&'static str; COPIES.len()] {
    let mut cases = [""; COPIES.len()];
    let mut i = 0;
    while i < COPIES.len() {
        cases[i] = COPIES[i].0;
        i += 1;
    }
    cases
}

/// Moves between two windows of the BAR, as `(source, destination, length)`: disjoint, the same
/// window, and overlapping in both directions by less than, exactly and more than the 256 bytes
/// that the MMIO backend moves at a time.
const MOVES: [(usize, usize, usize); 12] = [
    (0x1, 0x8_0001, 0x1_0001),
    (0x9_0003, 0x3, 0x7ffd),
    (0x4_0005, 0x4_0005, 0x1001),
    (0x1001, 0x1002, 0x3fff),
    (0x2003, 0x2002, 0x4001),
    (0x3005, 0x3104, 0x3e9),
    (0x3105, 0x3005, 0x3e9),
    (0x5001, 0x5101, 0x3e9),
    (0x5101, 0x5000, 0x3e9),
    (0x11, 0x2_0013, 0x8_0001),
    (0x4_0001, 0x3, 0x7_ffff),
    (0x7_7777, 0x7_7777, 0),
];

/// Fills of windows of the BAR, as `(start, length, byte)`: single bytes at both ends, odd
/// offsets and lengths around the sizes a `memset_io()` may treat specially, and the whole BAR
/// less its first and last byte.
const FILLS: [(usize, usize, u8); 9] = [
    (0, 1, 0x01),
    (MEM_SIZE - 1, 1, 0x02),
    (0x3, 0x7, 0x03),
    (0x101, 0xff, 0x04),
    (0x1001, 0x1001, 0x05),
    (0x2_0003, 0x1_0000, 0x06),
    (0x8_0001, 0x7_fffd, 0x07),
    (0x4_0000, 0, 0x08),
    (1, MEM_SIZE - 2, 0xff),
];

/// Fills `buf` with bytes from a xorshift generator seeded with `seed`: no period that a copy to
/// the wrong place could hide behind.
fn fill(buf: &mut [u8], seed: u32) {
    let mut x = seed | 1;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
}

/// Compares `got` with `want`, reporting the first difference at BAR offset `base + i`.
fn compare(got: &[u8], want: &[u8], base: usize) -> Result {
    check_eq!(got.len(), want.len());
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        let wrong = (i..got.len()).filter(|&j| got[j] != want[j]).count();
        pr_err!(
            "    # offset {:#x}: {:#04x}, expected {:#04x} ({} bytes differ from there on)\n",
            base + i,
            got[i],
            want[i],
            wrong
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// A zeroed buffer as large as the BAR.
fn bar_sized() -> Result<VVec<u8>> {
    Ok(VVec::from_elem(0, MEM_SIZE, GFP_KERNEL)?)
}

/// The state of a run: the BAR, a model of what it holds, and a buffer to read it into.
struct Run<'a> {
    mem: MemView<'a>,
    model: VVec<u8>,
    scratch: VVec<u8>,
}

impl<'a> Run<'a> {
    /// The `len` bytes at `start`, checked at runtime.
    fn window(&self, start: usize, len: usize) -> Result<Mmio<'a, [u8]>> {
        let end = start.checked_add(len).ok_or(ERANGE)?;
        Ok(io_project!(self.mem, [try: start..end]))
    }

    /// Reads the whole BAR and checks every byte against the model.
    fn verify_all(&mut self) -> Result {
        self.window(0, MEM_SIZE)?
            .try_copy_to_slice(&mut self.scratch)?;
        compare(&self.scratch, &self.model, 0)
    }

    /// Fills the whole BAR from the model in one copy.
    fn whole_bar(&mut self) -> Result {
        fill(&mut self.model, 0x1234_5678);
        self.window(0, MEM_SIZE)?.copy_from_slice(&self.model);
        self.verify_all()
    }

    /// Copies `len` fresh bytes to `start` and back, checking the window byte by byte and then
    /// the whole BAR.
    fn copy_in_out(&mut self, start: usize, len: usize, try_forms: bool) -> Result {
        let window = self.window(start, len)?;
        let data = &mut self.scratch[..len];
        fill(data, (start ^ (len << 8)) as u32);
        if try_forms {
            window.try_copy_from_slice(data)?;
        } else {
            window.copy_from_slice(data);
        }
        self.model[start..start + len].copy_from_slice(data);

        data.fill(0);
        if try_forms {
            window.try_copy_to_slice(data)?;
        } else {
            window.copy_to_slice(data);
        }
        compare(data, &self.model[start..start + len], start)?;

        // Single-byte reads at the edges of the window, and of its neighbours, take another
        // path than the copies.
        for i in [start.wrapping_sub(1), start, start + len - 1, start + len] {
            if i < MEM_SIZE {
                check_eq!(io_read!(self.mem, [try: i]), self.model[i]);
            }
        }
        self.verify_all()
    }

    /// The copies of one length: at offset 1, and at the last odd offset where they fit.
    fn copies_of(&mut self, len: usize) -> Result {
        let last = (MEM_SIZE - len - 1) | 1;
        self.copy_in_out(1, len, false)?;
        self.copy_in_out(last, len, true)
    }

    /// A length mismatch fails with `EINVAL` and leaves both sides alone.
    fn length_mismatch(&mut self) -> Result {
        let window = self.window(0x101, 64)?;
        let mut data = [0xa5u8; 65];
        check_eq!(window.try_copy_from_slice(&data), Err(EINVAL));
        check_eq!(window.try_copy_from_slice(&data[..63]), Err(EINVAL));
        check_eq!(window.try_copy_to_slice(&mut data), Err(EINVAL));
        check_eq!(window.try_copy_to_slice(&mut data[..63]), Err(EINVAL));
        check!(data.iter().all(|&b| b == 0xa5));
        check_eq!(
            window.try_copy_from_view(self.window(0x2001, 63)?),
            Err(EINVAL)
        );
        self.verify_all()
    }

    /// Windows past the end of the BAR are refused with `ERANGE`.
    fn out_of_range(&self) -> Result {
        check_eq!(self.window(MEM_SIZE - 3, 4).err(), Some(ERANGE));
        check_eq!(self.window(MEM_SIZE + 1, 0).err(), Some(ERANGE));
        let project = |start: usize, end: usize| -> Result<Mmio<'a, [u8]>> {
            Ok(io_project!(self.mem, [try: start..end]))
        };
        check_eq!(project(9, 8).err(), Some(ERANGE));
        check_eq!(project(usize::MAX - 1, usize::MAX).err(), Some(ERANGE));
        check_eq!(project(0, MEM_SIZE + 1).err(), Some(ERANGE));
        check!(self.window(MEM_SIZE, 0).is_ok());
        Ok(())
    }

    /// Moves between windows of the BAR, each checked against `memmove()` on the model.
    fn moves(&mut self) -> Result {
        for (src, dst, len) in MOVES {
            let from = self.window(src, len)?;
            self.window(dst, len)?.copy_from_view(from);
            self.model.copy_within(src..src + len, dst);
            self.verify_all()?;
        }
        Ok(())
    }

    /// Fills of windows of the BAR: every byte of the window takes the value, and every byte
    /// outside it keeps its own, which the whole BAR checked against the model shows.
    fn fills(&mut self) -> Result {
        for (start, len, byte) in FILLS {
            self.window(start, len)?.fill(byte);
            self.model[start..start + len].fill(byte);
            self.verify_all()?;
        }
        Ok(())
    }

    /// Clears the whole BAR with one fill, leaving it as QEMU created it.
    fn clear(&mut self) -> Result {
        self.mem.fill(0);
        self.model.fill(0);
        self.verify_all()
    }
}

/// Byte `i` of the pattern the harness writes into the whole shared memory before the boot.
fn prefill(i: usize) -> u8 {
    // CAST: Truncation to the low byte is the pattern.
    ((i * 7 + 3) ^ (i >> 8)) as u8
}

/// Where the observer layout starts.
const LAYOUT: usize = 0x8_0000;

/// The fields of the observer layout, at [`LAYOUT`], each written with one access of its width.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Fields {
    byte: u8,
    _pad0: u8,
    half: u16,
    word: u32,
    quad: u64,
    words: [u32; 4],
    le16: Le16,
    be16: Be16,
    le32: Le32,
    be32: Be32,
    _pad1: u32,
    le64: Le64,
    be64: Be64,
}

const _: () = assert!(size_of::<Fields>() == 64);

/// Byte `i` of the copied run of the layout.
fn layout_copy(i: usize) -> u8 {
    // CAST: Truncation to the low byte is the pattern.
    (i * 13 + 7) as u8
}

/// Byte `i` of the large copy of the layout.
fn layout_big(i: usize) -> u8 {
    // CAST: As above.
    (i * 7 + (i >> 8)) as u8
}

/// Writes the observer layout at [`LAYOUT`] of the (cleared) BAR. `tests/harness/observer.py`
/// models the same writes, from this description:
///
/// - `+0x000`: [`Fields`], field by field: `byte` 0x11, `half` 0x2233, `word` 0x44556677, `quad`
///   0x8899aabbccddeeff, `words` 0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10, `le16` and
///   `be16` 0x1234, `le32` and `be32` 0xdeadbeef, `le64` and `be64` 0x0102030405060708; the
///   padding is not written;
/// - `+0x100`: on the region view, `write8(0xa1)` at +0x100, `write16(0xb2c3)` at +0x102,
///   `write32(0xd4e5f607)` at +0x104, `write64(0x18293a4b5c6d7e8f)` at +0x108, a relaxed
///   `write32(0x0badcafe)` at +0x110, `write_lo_hi(0x1122334455667788)` at +0x118 and
///   `write_hi_lo(0x99aabbccddeeff00)` at +0x120;
/// - `+0x201`: 300 bytes copied in, byte `i` being `(13 * i + 7) & 0xff`;
/// - `+0x403`: 100 bytes filled with 0xa5;
/// - `+0x600`: 256 bytes copied in, byte `i` being `i`, then the 0xe0 bytes at +0x600 moved to
///   +0x610 (overlapping, destination above);
/// - `+0x800`: 256 bytes copied in, byte `i` being `i ^ 0x5a`, then the 0xe0 bytes at +0x820
///   moved to +0x800 (overlapping, destination below);
/// - `+0x1003`: 5000 bytes copied in, byte `i` being `(7 * i + (i >> 8)) & 0xff`.
///
/// A 32-bit kernel has no 64-bit access: there, `quad`, `le64`, `be64` and the `write64` at
/// +0x108 are each written as two 32-bit halves, the one at the lower address first (the low half
/// of `quad`, `le64` and the `write64`, the high half of `be64`). The bytes are the same, and so
/// is the layout the observer checks.
fn write_layout(mem: MemView<'_>) -> Result {
    let at = |offset: usize, len: usize| -> Result<MemView<'_>> {
        Ok(io_project!(mem, [try: LAYOUT + offset..LAYOUT + offset + len]))
    };

    // The base of the layout is 8-byte aligned in the BAR, which is checked at runtime here.
    let fields = at(0, size_of::<Fields>())?.try_cast::<Fields>()?;
    io_write!(fields, .byte, 0x11);
    io_write!(fields, .half, 0x2233);
    io_write!(fields, .word, 0x4455_6677);
    #[cfg(CONFIG_64BIT)]
    io_write!(fields, .quad, 0x8899_aabb_ccdd_eeff);
    #[cfg(not(CONFIG_64BIT))]
    io_project!(fields, .quad).write_lo_hi(0x8899_aabb_ccdd_eeff);
    let words = [0x0102_0304, 0x0506_0708, 0x090a_0b0c, 0x0d0e_0f10];
    for (i, word) in words.into_iter().enumerate() {
        io_write!(fields, .words[try: i], word);
    }
    io_write!(fields, .le16, Le16::new(0x1234));
    io_write!(fields, .be16, Be16::new(0x1234));
    io_write!(fields, .le32, Le32::new(0xdead_beef));
    io_write!(fields, .be32, Be32::new(0xdead_beef));
    #[cfg(CONFIG_64BIT)]
    {
        io_write!(fields, .le64, Le64::new(0x0102_0304_0506_0708));
        io_write!(fields, .be64, Be64::new(0x0102_0304_0506_0708));
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        let le64 = io_project!(fields, .le64).cast::<[Le32; 2]>();
        io_write!(le64, [build: 0], Le32::new(0x0506_0708));
        io_write!(le64, [build: 1], Le32::new(0x0102_0304));
        let be64 = io_project!(fields, .be64).cast::<[Be32; 2]>();
        io_write!(be64, [build: 0], Be32::new(0x0102_0304));
        io_write!(be64, [build: 1], Be32::new(0x0506_0708));
    }

    // Every width at a constant offset, checked at build time against the region's size.
    let region = at(0, 0x200)?.try_as_region::<Region<0x200, Align8>>()?;
    region.write8(0xa1, 0x100);
    region.write16(0xb2c3, 0x102);
    region.write32(0xd4e5_f607, 0x104);
    #[cfg(CONFIG_64BIT)]
    region.write64(0x1829_3a4b_5c6d_7e8f, 0x108);
    #[cfg(not(CONFIG_64BIT))]
    region
        .window::<Region<8, Align8>, 0x108>()
        .cast::<u64>()
        .write_lo_hi(0x1829_3a4b_5c6d_7e8f);
    region.relaxed().write32(0x0bad_cafe, 0x110);
    region
        .window::<Region<8, Align8>, 0x118>()
        .cast::<u64>()
        .write_lo_hi(0x1122_3344_5566_7788);
    region
        .window::<Region<8, Align8>, 0x120>()
        .cast::<u64>()
        .write_hi_lo(0x99aa_bbcc_ddee_ff00);

    let bytes = |len: usize, byte: fn(usize) -> u8| -> Result<KVec<u8>> {
        let mut v = KVec::with_capacity(len, GFP_KERNEL)?;
        for i in 0..len {
            v.push(byte(i), GFP_KERNEL)?;
        }
        Ok(v)
    };
    at(0x201, 300)?.try_copy_from_slice(&bytes(300, layout_copy)?)?;
    at(0x403, 100)?.fill(0xa5);
    // CAST: The index of a 256-byte run fits in a byte.
    at(0x600, 256)?.try_copy_from_slice(&bytes(256, |i| i as u8)?)?;
    at(0x610, 0xe0)?.try_copy_from_view(at(0x600, 0xe0)?)?;
    // CAST: As above.
    at(0x800, 256)?.try_copy_from_slice(&bytes(256, |i| i as u8 ^ 0x5a)?)?;
    at(0x800, 0xe0)?.try_copy_from_view(at(0x820, 0xe0)?)?;
    at(0x1003, 5000)?.try_copy_from_slice(&bytes(5000, layout_big)?)?;
    Ok(())
}

/// Checks that the BAR holds what the harness wrote into the file behind it before the boot.
fn host_pattern_seen(mem: MemView<'_>, scratch: &mut [u8]) -> Result {
    mem.try_copy_to_slice(scratch)?;
    if let Some(i) = (0..scratch.len()).find(|&i| scratch[i] != prefill(i)) {
        pr_err!(
            "    # offset {:#x}: {:#04x}, the host wrote {:#04x}\n",
            i,
            scratch[i],
            prefill(i)
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// Where the checks from several CPUs write, in the part of the BAR that the observer checks:
/// one [`SmpSlot`] per context, then the 64-bit location of [`single_access_64bit`] at
/// [`SINGLE_AT`]. `tests/harness/observer.py` models what they leave:
///
/// - slot `c` at `SMP_AREA + 64 * c`: `count32` [`SMP_ROUNDS`], `ctx` `c + 1`, `count64`
///   [`SMP_ROUNDS`] times 0x1_0000_0001, and `stripe[i]` = [`stripe`]`(c, i)`;
/// - at [`SINGLE_AT`]: [`smp::SINGLE_B`], the last value written there.
const SMP_AREA: usize = 0xc_0000;
const SINGLE_AT: usize = SMP_AREA + 0x100;
/// How many times each context increments its counters.
const SMP_ROUNDS: u32 = 500;

/// A context's slot of [`SMP_AREA`].
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct SmpSlot {
    count32: u32,
    ctx: u32,
    count64: u64,
    stripe: [u8; 48],
}

const _: () = assert!(size_of::<SmpSlot>() == 64);

/// Byte `i` of context `ctx`'s stripe.
fn stripe(ctx: usize, i: usize) -> u8 {
    // CAST: Truncation to the low byte is the pattern.
    (ctx * 0x40 + i * 3 + 1) as u8
}

/// Context `ctx`'s slot.
fn smp_slot(mem: MemView<'_>, ctx: usize) -> Result<Mmio<'_, SmpSlot>> {
    let at = SMP_AREA + ctx * size_of::<SmpSlot>();
    io_project!(mem, [try: at..at + size_of::<SmpSlot>()]).try_cast::<SmpSlot>()
}

/// Reads a 64-bit counter that only the calling context writes: one access on a 64-bit kernel;
/// on a 32-bit kernel, which has none, two 32-bit ones, the low half first.
fn read_count(at: Mmio<'_, u64>) -> u64 {
    #[cfg(CONFIG_64BIT)]
    let value = at.read_val();
    #[cfg(not(CONFIG_64BIT))]
    let value = at.read_lo_hi();
    value
}

/// Writes a 64-bit counter that only the calling context writes, as [`read_count`] reads it.
fn write_count(at: Mmio<'_, u64>, value: u64) {
    #[cfg(CONFIG_64BIT)]
    at.write_val(value);
    #[cfg(not(CONFIG_64BIT))]
    at.write_lo_hi(value);
}

/// A context of [`counters_from_every_cpu`]: its counters, incremented through the BAR (each
/// increment a read and a write), and its stripe, a byte at a time, next to the slots the other
/// CPUs write at the same time.
fn count_in_slot(mem: MemView<'_>, ctx: usize) -> Result {
    let slot = smp_slot(mem, ctx)?;
    // CAST: A context number is tiny.
    io_write!(slot, .ctx, ctx as u32 + 1);
    for round in 0..SMP_ROUNDS {
        let count = io_read!(slot, .count32);
        io_write!(slot, .count32, count + 1);
        let count64 = io_project!(slot, .count64);
        write_count(count64, read_count(count64) + 0x1_0000_0001);
        let i = round as usize % 48;
        io_write!(slot, .stripe[try: i], stripe(ctx, i));
    }
    Ok(())
}

/// Every context increments its own counters in the BAR at once; each must end exact.
fn counters_from_every_cpu(suite: &Suite<'_>, mem: MemView<'_>) -> Result {
    let scope = smp::scope(&|ctx| count_in_slot(mem, ctx))?;
    suite.note(fmt!(
        "summary: {} contexts on CPUs {:?} each incremented its counters {} times",
        CONTEXTS,
        scope.ran_on,
        SMP_ROUNDS
    ));
    scope.result()?;
    check!(scope.spread());
    for ctx in 0..CONTEXTS {
        let slot = smp_slot(mem, ctx)?.copy_read();
        check_eq!(slot.count32, SMP_ROUNDS);
        // CAST: As above.
        check_eq!(slot.ctx, ctx as u32 + 1);
        check_eq!(slot.count64, u64::from(SMP_ROUNDS) * 0x1_0000_0001);
        for (i, &byte) in slot.stripe.iter().enumerate() {
            check_eq!(byte, stripe(ctx, i));
        }
    }
    Ok(())
}

/// One context writes [`smp::SINGLE_A`] and [`smp::SINGLE_B`] in turn to one 64-bit location
/// of the BAR, with single 64-bit writes, while the others read it with single 64-bit reads, all
/// at once: none may see anything but the two values (or the zero it held first).
#[cfg(CONFIG_64BIT)]
fn single_access_64bit(suite: &Suite<'_>, mem: MemView<'_>) -> Result {
    let at = io_project!(mem, [try: SINGLE_AT..SINGLE_AT + 8]).try_cast::<u64>()?;
    at.write_val(0);
    let seen = smp::single_access(|| at.read_val(), |value| at.write_val(value))?;
    seen.report(suite, "64-bit location")?;
    check_eq!(at.read_val(), smp::SINGLE_B);
    Ok(())
}

fn exercise(pdev: &pci::Device<Core<'_>>, suite: &mut Suite<'_>) -> Result {
    let bar = suite.step(
        "map_bar2",
        pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, c"io_ivshmem"),
    )?;
    suite.note(fmt!("BAR2: {} bytes of shared memory", (&bar).size()));

    // The byte view of the whole BAR; the model has the size the BAR is expected to have.
    let mem = (&bar).as_bytes();
    suite.run("byte_view_of_whole_bar", || {
        check_eq!(mem.len(), MEM_SIZE);
        Ok(())
    });
    let mut run = Run {
        mem,
        model: suite.step("alloc_model", bar_sized())?,
        scratch: suite.step("alloc_scratch", bar_sized())?,
    };

    // Before anything here writes the BAR: the host's bytes, as the harness wrote them. The
    // fault walk binds the driver again after the boot's first probe wrote over them.
    if ktap::walking() {
        suite.skip(
            "host_pattern_seen",
            "the fault walk: the first probe wrote over them",
        );
    } else {
        suite.run("host_pattern_seen", || {
            host_pattern_seen(mem, &mut run.scratch)
        });
    }
    suite.run("copy_whole_bar", || run.whole_bar());
    for (case, len) in COPIES {
        let result = run.copies_of(len);
        suite.case(case, result);
    }
    suite.run("length_mismatch_einval", || run.length_mismatch());
    suite.run("out_of_range_erange", || run.out_of_range());
    suite.run("copy_from_view_memmove", || run.moves());
    suite.run("fill_windows", || run.fills());
    suite.run("fill_whole_bar", || run.clear());
    let result = counters_from_every_cpu(suite, mem);
    suite.case("counters_from_every_cpu", result);
    #[cfg(CONFIG_64BIT)]
    {
        let result = single_access_64bit(suite, mem);
        suite.case("single_access_64bit_never_torn", result);
    }
    #[cfg(not(CONFIG_64BIT))]
    {
        suite.skip(
            "single_access_64bit_never_torn",
            "a 32-bit kernel has no single 64-bit access",
        );
        // The value the observer expects there, in two halves.
        io_project!(mem, [try: SINGLE_AT..SINGLE_AT + 8])
            .try_cast::<u64>()?
            .write_lo_hi(smp::SINGLE_B);
    }
    // Checked from outside the guest, after the boot: not a case here.
    suite.step("observer_layout", write_layout(mem))?;
    suite.note(fmt!(
        "summary: the observer layout is written at BAR2 offset {:#x} for the host to check",
        LAYOUT
    ));
    suite.note(fmt!(
        "summary: {} copies, {} moves and {} fills of up to 1 MiB checked against the model",
        2 * COPIES.len() + 1,
        MOVES.len(),
        FILLS.len() + 1
    ));
    Ok(())
}

// ---- Hot-unplug under load (`hotplug=1`) ----

/// Where the loops count, one [`HotSlot`] per context, 64 bytes apart. The harness reads the
/// same bytes in the file behind the memory (`tests/harness/hotplug.py`): slot `c` at
/// `HOTPLUG_AREA + 64 * c`, little-endian.
const HOTPLUG_AREA: usize = 0xd_0000;
/// A window that each probe writes and reads back.
const SCRATCH: usize = 0xe_0000;
const SCRATCH_LEN: usize = 4096;

/// A loop's slot of [`HOTPLUG_AREA`].
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct HotSlot {
    /// Increments by the loop; the remove path compares it with the loop's own count.
    count: u64,
    /// The probe that set the slot up, and the context, for the harness.
    instance: u32,
    ctx: u32,
}

/// The memory BAR, managed by devres: revoked when the device goes.
type MemDevres = DevresLt<pci::Bar<'static, MEM_SIZE>>;

/// What the loops share with the driver: the BAR through devres, the gate of the increments, and
/// each loop's count of them.
struct Loads {
    bar: MemDevres,
    /// Open while the loops may write; the remove path revokes it, which waits until no increment
    /// is in flight.
    writes: Pin<KBox<Revocable<()>>>,
    counts: [Atomic<u64>; CONTEXTS],
}

/// Context `ctx`'s slot of [`HOTPLUG_AREA`].
fn hot_slot<'a>(bar: &'a pci::Bar<'_, MEM_SIZE>, ctx: usize) -> Result<Mmio<'a, HotSlot>> {
    bar.try_byte_window(HOTPLUG_AREA + ctx * 64, size_of::<HotSlot>())?
        .try_cast::<HotSlot>()
}

impl loops::LoopBody for Loads {
    const HANDLES: u32 = 1;

    fn round(&self, ctx: usize) -> Result {
        let bar = self.bar.try_access().ok_or(ENXIO)?;
        let slot = hot_slot(&bar, ctx)?;
        // Only this loop writes its slot: it holds what the loop counted.
        let at = io_project!(slot, .count);
        let count = read_count(at);
        check_eq!(count, self.counts[ctx].load(Relaxed));
        if let Some(_open) = self.writes.try_access() {
            write_count(at, count + 1);
            self.counts[ctx].add(1, Relaxed);
        }
        Ok(())
    }

    fn granted(&self) -> u32 {
        u32::from(self.bar.try_access().is_some() | self.bar.try_access_with(|_| ()).is_some())
    }
}

/// What a device bound in hot-plug mode keeps: its loops, stopped at release.
struct Hotplug {
    loops: Arc<loops::LoopsAtRelease<Loads>>,
    instance: u32,
}

/// The probe's checks in hot-plug mode, on a device just added: a window of the shared memory
/// written and read back, then the loops' slots set up for this probe.
fn hotplug_checks(bar: &pci::Bar<'_, MEM_SIZE>, instance: u32) -> Result {
    let window = bar.try_byte_window(SCRATCH, SCRATCH_LEN)?;
    let mut data = KVec::from_elem(0u8, SCRATCH_LEN, GFP_KERNEL)?;
    fill(&mut data, instance);
    window.try_copy_from_slice(&data)?;
    let mut back = KVec::from_elem(0u8, SCRATCH_LEN, GFP_KERNEL)?;
    window.try_copy_to_slice(&mut back)?;
    compare(&back, &data, SCRATCH)?;
    for ctx in 0..CONTEXTS {
        let slot = hot_slot(bar, ctx)?;
        // CAST: A context number is tiny.
        let want = HotSlot {
            count: 0,
            instance,
            ctx: ctx as u32,
        };
        slot.copy_write(HotSlot { ..want });
        let got = slot.copy_read();
        check!(got.count == want.count && got.instance == want.instance && got.ctx == want.ctx);
    }
    Ok(())
}

/// Probes in hot-plug mode: checks the device, hands the BAR to devres and starts a loop on each
/// CPU.
fn hotplug_probe(pdev: &pci::Device<Core<'_>>, instance: u32) -> Result<Hotplug> {
    // Registered before the BAR, so released after it: the loops meet the revocation.
    let loops = loops::LoopsAtRelease::register(pdev.as_ref(), instance)?;
    let bar = pdev.iomap_region_sized::<MEM_SIZE>(MEM_BAR, c"io_ivshmem")?;
    hotplug_checks(&bar, instance)?;
    loops.start(Loads {
        bar: bar.into_devres()?,
        writes: KBox::pin_init(Revocable::new(()), GFP_KERNEL)?,
        counts: [const { Atomic::new(0) }; CONTEXTS],
    })?;
    Ok(Hotplug { loops, instance })
}

impl Hotplug {
    /// The remove path, with the device still bound: stops the increments, then checks every
    /// slot against its loop's count and prints the counts, which the harness finds in the file
    /// too. The loops go on reading until devres revokes the BAR.
    fn unbind(&self, pdev: &pci::Device<Core<'_>>) {
        let name = pdev.as_ref().name();
        let Some(loads) = self.loops.running(pdev.as_ref()) else {
            return;
        };
        // Waits for every increment in flight: none starts after it.
        loads.writes.revoke();
        let counts: [u64; CONTEXTS] = core::array::from_fn(|ctx| loads.counts[ctx].load(Relaxed));
        let agrees = loads.bar.access(pdev.as_ref()).is_ok_and(|bar| {
            (0..CONTEXTS).all(|ctx| {
                hot_slot(bar, ctx).is_ok_and(|slot| {
                    let got = slot.copy_read();
                    // CAST: As above.
                    got.count == counts[ctx]
                        && got.instance == self.instance
                        && got.ctx == ctx as u32
                })
            })
        });
        pr_info!(
            "hotplug: unbind {} #{}: {}: counters {:?}\n",
            name,
            self.instance,
            if agrees && counts.iter().all(|&c| c > 0) {
                "agrees"
            } else {
                "DISAGREES"
            },
            counts
        );
    }
}

struct IvshmemDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <IvshmemDriver as pci::Driver>::IdInfo,
    [(
        pci::DeviceId::from_id(pci::Vendor::REDHAT_QUMRANET, 0x1110),
        ()
    )]
);

impl pci::Driver for IvshmemDriver {
    type IdInfo = ();
    /// In hot-plug mode, what the device keeps while bound.
    type Data<'bound> = Option<Hotplug>;
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pdev.enable_device_mem()?;

        if module_parameters::hotplug.value() {
            return loops::probe(pdev.as_ref(), |instance| {
                hotplug_probe(pdev, instance).map(Some)
            });
        }
        ktap::probe_suite("io_ivshmem", pdev.as_ref(), &CASES, |suite| {
            exercise(pdev, suite)
        })?;
        Ok(None)
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        if let Some(hotplug) = &*this {
            hotplug.unbind(pdev);
        }
    }
}

kernel::module_pci_driver! {
    type: IvshmemDriver,
    name: "io_ivshmem",
    authors: ["The typed I/O project"],
    description: "Typed I/O sample for QEMU's ivshmem-plain device",
    license: "GPL v2",
    params: {
        fault_walk: bool {
            default: false,
            description: "No KTAP, and any failed check fails the probe: the fault walk",
        },
        hotplug: bool {
            default: false,
            description: "Keep the device, with I/O loops on every CPU, for hot-unplug tests",
        },
    },
}
