// SPDX-License-Identifier: GPL-2.0

//! KUnit suites for the code the virtio samples share, without a device: the test plays the
//! device in plain memory.
//!
//! - `io_virtqueue_used`: a split virtqueue (`samples/common/virtqueue.rs`) on a `SysMem` view of
//!   a `Ring` in kernel memory. The test reads what the driver made available and writes the
//!   used ring as a device would, well (chains completed in and out of order, the indices
//!   wrapping around) and badly: a used id out of range or not the head of a chain in flight, a
//!   length longer than the chain's writable buffers, a chain whose links loop or leave it, a
//!   used index that runs ahead. Each bad entry must be refused with its own error, break the
//!   queue, and give nothing back.
//! - `io_virtio_caps`: the capability parser and validator (`samples/common/virtio_caps.rs`) on
//!   a `SysMem` view of a crafted 256-byte configuration space: a device like QEMU's, then each
//!   kind of malformed capability (a list that loops or points into the header, a capability
//!   too short for its structure or running off configuration space, a structure outside its
//!   BAR, in a BAR that is not a memory BAR, overlapping another, too short or misaligned for
//!   its structure, a bad notification multiplier), each refused with its own error.

use kernel::prelude::*;

#[path = "../samples/common/check.rs"]
mod checks;
// The samples' code, as they include it; the suites do not use every item.
#[allow(dead_code)]
#[path = "../samples/common/virtio_caps.rs"]
mod virtio_caps;
#[allow(dead_code)]
#[path = "../samples/common/virtqueue.rs"]
mod virtqueue;

/// A zeroed value of a plain-data type.
fn zeroed<T: FromBytes>() -> T {
    T::new_zeroed()
}

#[kunit_tests(io_virtqueue_used)]
mod used {
    use kernel::{
        io::{
            io_project,
            io_read,
            io_write,
            Io,
            Le16,
            Le32,
            SysMem, //
        },
        prelude::*,
    };

    use crate::{
        checks::{
            check,
            check_eq, //
        },
        virtqueue::{
            DeviceError,
            Ring,
            RingFeatures,
            Segment,
            SplitQueue,
            DESC_F_NEXT,
            DESC_F_WRITE,
            USED_F_NO_NOTIFY, //
        },
        zeroed,
    };

    /// The queue size of the tests.
    const N: usize = 8;

    type Queue = SplitQueue<u32, N>;

    /// A ring in kernel memory and the driver's queue on it.
    struct Fixture {
        ring: KBox<Ring<N>>,
        queue: Queue,
    }

    impl Fixture {
        fn new(features: RingFeatures) -> Result<Self> {
            let mut fixture = Fixture {
                ring: KBox::new(zeroed(), GFP_KERNEL)?,
                queue: Queue::new()?,
            };
            let ring = SysMem::from_mut(&mut *fixture.ring);
            fixture.queue.init_ring(ring, features)?;
            Ok(fixture)
        }

        fn view(&mut self) -> SysMem<'_, Ring<N>> {
            SysMem::from_mut(&mut *self.ring)
        }

        /// Adds a chain of `readable` device-readable buffers of 16 bytes, then `writable`
        /// device-writable ones of `len` bytes, with `token`.
        fn add(&mut self, readable: usize, writable: usize, len: u32, token: u32) -> Result {
            let segments = (0..readable + writable).map(|i| Segment {
                addr: 0x1000 * (i as u64 + 1),
                len: if i < readable { 16 } else { len },
                device_writes: i >= readable,
            });
            let ring = SysMem::from_mut(&mut *self.ring);
            self.queue
                .add(ring, readable + writable, segments, token)
                .map_err(|(err, _)| err)
        }

        /// The device's side: the head of the `n`th chain made available (counted from 0).
        fn avail_head(&mut self, n: u16) -> Result<u16> {
            let view = self.view();
            let slot = usize::from(n) % N;
            Ok(io_read!(view, .avail.ring[try: slot]).get())
        }

        /// The device's side: puts `(id, len)` in the used ring at `at`, and publishes the used
        /// index `at + 1`.
        fn complete_at(&mut self, at: u16, id: u32, len: u32) -> Result {
            let view = self.view();
            let slot = usize::from(at) % N;
            io_write!(view, .used.ring[try: slot].id, Le32::new(id));
            io_write!(view, .used.ring[try: slot].len, Le32::new(len));
            io_write!(view, .used.idx, Le16::new(at.wrapping_add(1)));
            Ok(())
        }

        fn pop(&mut self) -> core::result::Result<Option<(u32, u32)>, DeviceError> {
            let ring = SysMem::from_mut(&mut *self.ring);
            self.queue.pop_used(ring)
        }

        fn kick(&mut self) -> bool {
            let ring = SysMem::from_mut(&mut *self.ring);
            self.queue.kick_prepare(ring)
        }

        fn enable(&mut self) -> bool {
            let ring = SysMem::from_mut(&mut *self.ring);
            self.queue.enable_interrupts(ring)
        }

        fn disable(&mut self) {
            let ring = SysMem::from_mut(&mut *self.ring);
            self.queue.disable_interrupts(ring)
        }

        /// A device error broke the queue: the same error again, and no more work taken.
        fn check_broken(&mut self, err: DeviceError) -> Result {
            check_eq!(self.pop(), Err(err));
            check_eq!(self.queue.broken(), Some(err));
            check_eq!(self.add(1, 0, 0, 99), Err(EIO));
            Ok(())
        }
    }

    #[test]
    fn chains_complete_in_and_out_of_order() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 1, 512, 10)?;
        f.add(2, 0, 0, 11)?;
        f.add(1, 3, 100, 12)?;
        check_eq!(f.queue.num_free(), 0);
        check_eq!(f.queue.in_flight(), 3);
        let view = f.view();
        check_eq!(io_read!(view, .avail.idx).get(), 3);
        // The first chain: readable then writable, linked.
        let head = usize::from(f.avail_head(0)?);
        let view = f.view();
        let desc = io_project!(view, .desc[try: head]).copy_read();
        check_eq!(desc.flags.get(), DESC_F_NEXT);
        check_eq!(desc.len.get(), 16);
        let second = io_project!(view, .desc[try: usize::from(desc.next.get())]).copy_read();
        check_eq!(second.flags.get(), DESC_F_WRITE);
        check_eq!(second.len.get(), 512);

        // The device finishes the third chain first.
        let third = u32::from(f.avail_head(2)?);
        f.complete_at(0, third, 300)?;
        check_eq!(f.pop(), Ok(Some((12, 300))));
        check_eq!(f.pop(), Ok(None));
        let first = u32::from(f.avail_head(0)?);
        let second = u32::from(f.avail_head(1)?);
        f.complete_at(1, first, 512)?;
        f.complete_at(2, second, 0)?;
        check_eq!(f.pop(), Ok(Some((10, 512))));
        check_eq!(f.pop(), Ok(Some((11, 0))));
        check_eq!(f.pop(), Ok(None));
        check_eq!(f.queue.num_free(), N);
        check_eq!(f.queue.in_flight(), 0);
        check!(f.queue.broken().is_none());
        Ok(())
    }

    #[test]
    fn indices_wrap_around() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        // More than 2^16 chains: both free-running indices wrap.
        for i in 0..65_600u32 {
            // CAST: The indices are modulo 2^16.
            let at = i as u16;
            f.add(0, 1, 64, i)?;
            let head = u32::from(f.avail_head(at)?);
            f.complete_at(at, head, 64)?;
            if f.pop() != Ok(Some((i, 64))) {
                pr_err!("    # chain {} did not come back\n", i);
                return Err(EINVAL);
            }
        }
        let view = f.view();
        check_eq!(
            io_read!(view, .avail.idx).get(),
            (65_600u32 % 65_536) as u16
        );
        check_eq!(f.queue.num_free(), N);
        Ok(())
    }

    #[test]
    fn full_queue_refuses_more() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(4, 4, 8, 1)?;
        check_eq!(f.queue.num_free(), 0);
        check_eq!(f.add(1, 0, 0, 2), Err(ENOSPC));
        check_eq!(f.add(0, 0, 0, 3), Err(ENOSPC));
        let view = f.view();
        check_eq!(io_read!(view, .avail.idx).get(), 1);
        Ok(())
    }

    #[test]
    fn used_id_out_of_range() -> Result {
        for id in [N as u32, 0x1_0000, u32::MAX] {
            let mut f = Fixture::new(RingFeatures::default())?;
            f.add(1, 1, 64, 7)?;
            f.complete_at(0, id, 0)?;
            f.check_broken(DeviceError::IdOutOfRange { id })?;
            check_eq!(f.queue.in_flight(), 1);
        }
        Ok(())
    }

    #[test]
    fn used_id_not_in_flight() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 1, 64, 7)?;
        let head = f.avail_head(0)?;
        // A descriptor that is free, and one that is in the chain but not its head.
        let free = (0..N as u16)
            .find(|&d| d != head && d != head + 1)
            .ok_or(EINVAL)?;
        f.complete_at(0, u32::from(free), 0)?;
        f.check_broken(DeviceError::NotInFlight { id: free.into() })?;

        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 1, 64, 7)?;
        let view = f.view();
        let member = io_read!(view, .desc[try: usize::from(head)].next).get();
        f.complete_at(0, u32::from(member), 0)?;
        f.check_broken(DeviceError::NotInFlight { id: member.into() })?;

        // The same chain twice: the second time it is no longer in flight.
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 1, 64, 7)?;
        f.add(1, 1, 64, 8)?;
        f.complete_at(0, u32::from(head), 64)?;
        check_eq!(f.pop(), Ok(Some((7, 64))));
        f.complete_at(1, u32::from(head), 64)?;
        f.check_broken(DeviceError::NotInFlight { id: head.into() })
    }

    #[test]
    fn used_length_too_long() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 2, 100, 7)?;
        let head = u32::from(f.avail_head(0)?);
        f.complete_at(0, head, 201)?;
        f.check_broken(DeviceError::LengthTooLong {
            id: head,
            len: 201,
            max: 200,
        })?;

        // A chain the device only reads: no length at all is right.
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(3, 0, 0, 8)?;
        let head = u32::from(f.avail_head(0)?);
        f.complete_at(0, head, 1)?;
        f.check_broken(DeviceError::LengthTooLong {
            id: head,
            len: 1,
            max: 0,
        })
    }

    /// Makes a chain of three, lets `corrupt` rewrite the descriptor table as a bad device
    /// would, completes the chain and checks that it is refused where `at` says.
    fn bad_chain(corrupt: impl FnOnce(SysMem<'_, Ring<N>>, [u16; 3]) -> Result<u16>) -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 2, 32, 7)?;
        let head = f.avail_head(0)?;
        let view = f.view();
        let second = io_read!(view, .desc[try: usize::from(head)].next).get();
        let third = io_read!(view, .desc[try: usize::from(second)].next).get();
        let at = corrupt(view, [head, second, third])?;
        f.complete_at(0, u32::from(head), 64)?;
        f.check_broken(DeviceError::BadChain {
            id: head.into(),
            at,
        })
    }

    #[test]
    fn chain_that_loops() -> Result {
        // The last descriptor links back to the head.
        bad_chain(|view, [head, _, third]| {
            io_write!(view, .desc[try: usize::from(third)].flags, Le16::new(DESC_F_WRITE | DESC_F_NEXT));
            io_write!(view, .desc[try: usize::from(third)].next, Le16::new(head));
            Ok(third)
        })?;
        // The head links to itself: met again at the second step.
        bad_chain(|view, [head, _, _]| {
            io_write!(view, .desc[try: usize::from(head)].next, Le16::new(head));
            Ok(head)
        })?;
        // The second links back to the head, ending there.
        bad_chain(|view, [head, second, _]| {
            io_write!(view, .desc[try: usize::from(second)].next, Le16::new(head));
            Ok(head)
        })
    }

    #[test]
    fn chain_that_leaves_or_ends_early() -> Result {
        // A link past the table's end: refused by the projection.
        bad_chain(|view, [head, _, _]| {
            io_write!(view, .desc[try: usize::from(head)].next, Le16::new(0x7fff));
            Ok(0x7fff)
        })?;
        // A link to a free descriptor.
        bad_chain(|view, [head, _, _]| {
            io_write!(view, .desc[try: usize::from(head)].next, Le16::new(7));
            Ok(7)
        })?;
        // The chain ends one descriptor early.
        bad_chain(|view, [_, second, _]| {
            io_write!(view, .desc[try: usize::from(second)].flags, Le16::new(DESC_F_WRITE));
            Ok(second)
        })
    }

    #[test]
    fn used_index_runs_ahead() -> Result {
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(1, 1, 64, 7)?;
        f.add(1, 1, 64, 8)?;
        let view = f.view();
        io_write!(view, .used.idx, Le16::new(3));
        f.check_broken(DeviceError::IndexAhead {
            used_idx: 3,
            last_used: 0,
            in_flight: 2,
        })?;
        // The tokens in flight can be taken back to be failed.
        let mut tokens = KVec::new();
        for token in f.queue.take_all() {
            tokens.push(token, GFP_KERNEL)?;
        }
        tokens.sort_unstable();
        check_eq!(&tokens[..], &[7, 8][..]);
        Ok(())
    }

    #[test]
    fn notifications_and_interrupts_suppressed() -> Result {
        // Flags: the device's NO_NOTIFY is obeyed; the driver asks for no interrupt and again.
        let mut f = Fixture::new(RingFeatures::default())?;
        f.add(0, 1, 8, 1)?;
        check!(f.kick());
        let view = f.view();
        io_write!(view, .used.flags, Le16::new(USED_F_NO_NOTIFY));
        f.add(0, 1, 8, 2)?;
        check!(!f.kick());
        f.disable();
        check_eq!(io_read!(f.view(), .avail.flags).get(), 1);
        check!(!f.enable());
        check_eq!(io_read!(f.view(), .avail.flags).get(), 0);

        // Event index: a notification only when the available index passes avail_event.
        let mut f = Fixture::new(RingFeatures {
            event_idx: true,
            order_platform: false,
        })?;
        io_write!(f.view(), .used.avail_event, Le16::new(1));
        f.add(0, 1, 8, 1)?;
        check!(!f.kick());
        f.add(0, 1, 8, 2)?;
        check!(f.kick());
        f.add(0, 1, 8, 3)?;
        check!(!f.kick());
        // Interrupts: used_event follows the driver; a completion that raced is reported.
        let head = u32::from(f.avail_head(0)?);
        f.complete_at(0, head, 8)?;
        check_eq!(f.pop(), Ok(Some((1, 8))));
        check!(!f.enable());
        check_eq!(io_read!(f.view(), .avail.used_event).get(), 1);
        let head = u32::from(f.avail_head(1)?);
        f.complete_at(1, head, 8)?;
        check!(f.enable());
        Ok(())
    }
}

#[kunit_tests(io_virtio_caps)]
mod caps {
    use kernel::{
        io::{
            io_project,
            Io,
            Region,
            SysMem, //
        },
        prelude::*,
    };

    use crate::{
        checks::check_eq,
        virtio_caps::{
            find,
            BarInfo,
            Caps,
            Layout,
            Malformed,
            PciNotifyCap,
            Window,
            CAP_COMMON_CFG,
            CAP_DEVICE_CFG,
            CAP_ISR_CFG,
            CAP_NOTIFY_CFG,
            PCI_CAP_ID_VNDR, //
        },
    };

    /// What the driver accesses in the common configuration.
    const COMMON_LEN: u32 = 0x38;
    /// The BARs of the test device: a 16 KiB memory BAR 4, an I/O port BAR 0.
    const BARS: [BarInfo; 6] = {
        let mut bars = [BarInfo {
            len: 0,
            memory: false,
        }; 6];
        bars[0] = BarInfo {
            len: 0x40,
            memory: false,
        };
        bars[4] = BarInfo {
            len: 0x4000,
            memory: true,
        };
        bars
    };

    /// A crafted configuration space.
    struct Config {
        words: [u32; 64],
    }

    /// A capability to put in it: `(offset, cap_len, cfg_type, bar, offset in BAR, length)`,
    /// linked in the order given; a notify capability gets `multiplier`.
    type Spec = (u8, u8, u8, u8, u32, u32);

    impl Config {
        /// A capability list of `specs`, the notification capability with `multiplier`.
        fn new(specs: &[Spec], multiplier: u32) -> Result<Self> {
            let mut config = Config { words: [0; 64] };
            let io = config.view()?;
            io.try_write16(0x10, 0x06)?;
            io.try_write8(specs.first().map_or(0, |s| s.0), 0x34)?;
            for (i, &(at, len, cfg_type, bar, offset, length)) in specs.iter().enumerate() {
                let next = specs.get(i + 1).map_or(0, |s| s.0);
                // `struct virtio_pci_notify_cap`, byte by byte, as the specification lays it out.
                let mut bytes = [0u8; size_of::<PciNotifyCap>()];
                bytes[..6].copy_from_slice(&[PCI_CAP_ID_VNDR, next, len, cfg_type, bar, 0]);
                bytes[8..12].copy_from_slice(&offset.to_le_bytes());
                bytes[12..16].copy_from_slice(&length.to_le_bytes());
                bytes[16..].copy_from_slice(&multiplier.to_le_bytes());
                let at = usize::from(at);
                // Only its own bytes; near the end of configuration space, what fits.
                let room = (256 - at).min(bytes.len()).min(usize::from(len));
                io_project!(io.as_bytes(), [try: at..at + room])
                    .try_copy_from_slice(&bytes[..room])?;
            }
            Ok(config)
        }

        fn view(&mut self) -> Result<SysMem<'_, Region<256>>> {
            SysMem::try_from_bytes(self.words.as_mut_bytes())
        }

        fn find(&mut self) -> core::result::Result<Caps, Malformed> {
            find(self.view().map_err(|err| Malformed::Read { at: 0, err })?)
        }

        fn layout(&mut self, device_len: u32) -> core::result::Result<Layout, Malformed> {
            self.find()?.validate(&BARS, COMMON_LEN, device_len)
        }
    }

    /// QEMU's layout: common, ISR, device and notification structures in BAR 4, at 0x0, 0x1000,
    /// 0x2000 and 0x3000, 4 KiB each, multiplier 4, and a PCI configuration access capability.
    fn qemu() -> [Spec; 5] {
        [
            (0x40, 16, CAP_COMMON_CFG, 4, 0x0, 0x1000),
            (0x58, 16, CAP_ISR_CFG, 4, 0x1000, 0x1000),
            (0x70, 16, CAP_DEVICE_CFG, 4, 0x2000, 0x1000),
            (0x88, 20, CAP_NOTIFY_CFG, 4, 0x3000, 0x1000),
            (0xa0, 20, 5, 0, 0, 0),
        ]
    }

    #[test]
    fn well_formed_like_qemu() -> Result {
        let layout = Config::new(&qemu(), 4)?.layout(8);
        check_eq!(
            layout,
            Ok(Layout {
                common: Window {
                    bar: 4,
                    offset: 0,
                    length: 0x1000
                },
                notify: Window {
                    bar: 4,
                    offset: 0x3000,
                    length: 0x1000
                },
                notify_multiplier: 4,
                isr: Window {
                    bar: 4,
                    offset: 0x1000,
                    length: 0x1000
                },
                device: Some(Window {
                    bar: 4,
                    offset: 0x2000,
                    length: 0x1000
                }),
            })
        );
        // The first capability of a type wins; one with a reserved BAR number is ignored.
        let mut specs = qemu();
        specs[4] = (0xa0, 16, CAP_COMMON_CFG, 4, 0x800, 0x100);
        let mut config = Config::new(&specs, 4)?;
        check_eq!(config.layout(8).map(|l| l.common.offset), Ok(0));
        specs[0].3 = 7;
        let mut config = Config::new(&specs, 4)?;
        check_eq!(config.layout(8).map(|l| l.common.offset), Ok(0x800));
        Ok(())
    }

    #[test]
    fn list_that_loops_or_points_into_the_header() -> Result {
        let mut specs = qemu();
        // The last capability links back to the first.
        let mut config = Config::new(&specs, 4)?;
        config.view()?.try_write8(0x40, 0xa1)?;
        check_eq!(config.find(), Err(Malformed::Loop));
        // A capability links to itself.
        let mut config = Config::new(&specs, 4)?;
        config.view()?.try_write8(0x88, 0x89)?;
        check_eq!(config.find(), Err(Malformed::Loop));
        // A pointer into the standard header.
        specs[1].0 = 0x20;
        let mut config = Config::new(&specs, 4)?;
        check_eq!(
            config.find(),
            Err(Malformed::BadPointer { at: 0x41, to: 0x20 })
        );
        // No capability list at all.
        let mut config = Config::new(&[], 4)?;
        config.view()?.try_write16(0, 0x06)?;
        check_eq!(config.find(), Err(Malformed::NoCapabilities));
        Ok(())
    }

    #[test]
    fn capability_too_short() -> Result {
        let mut specs = qemu();
        specs[0].1 = 12;
        check_eq!(
            Config::new(&specs, 4)?.find(),
            Err(Malformed::TooShort { at: 0x40, len: 12 })
        );
        // A notification capability without its multiplier.
        let mut specs = qemu();
        specs[3].1 = 16;
        check_eq!(
            Config::new(&specs, 4)?.find(),
            Err(Malformed::TooShort { at: 0x88, len: 16 })
        );
        // A capability that runs off the end of configuration space.
        let mut specs = qemu();
        specs[0].0 = 0xf8;
        check_eq!(
            Config::new(&specs, 4)?.find(),
            Err(Malformed::TooShort { at: 0xf8, len: 16 })
        );
        Ok(())
    }

    #[test]
    fn structure_out_of_its_bar() -> Result {
        let mut specs = qemu();
        specs[2].5 = 0x2001;
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::OutOfBar {
                cfg_type: CAP_DEVICE_CFG,
                window: Window {
                    bar: 4,
                    offset: 0x2000,
                    length: 0x2001
                },
                bar_len: 0x4000
            })
        );
        // An offset and length that overflow 32 bits.
        let mut specs = qemu();
        specs[1].4 = 0xffff_f000;
        specs[1].5 = 0x2000;
        check_eq!(
            Config::new(&specs, 4)?.layout(8).map(|_| ()),
            Err(Malformed::OutOfBar {
                cfg_type: CAP_ISR_CFG,
                window: Window {
                    bar: 4,
                    offset: 0xffff_f000,
                    length: 0x2000
                },
                bar_len: 0x4000
            })
        );
        Ok(())
    }

    #[test]
    fn structure_in_a_wrong_bar() -> Result {
        // A BAR the device does not have.
        let mut specs = qemu();
        specs[3].3 = 2;
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::NotMemoryBar {
                cfg_type: CAP_NOTIFY_CFG,
                bar: 2
            })
        );
        // An I/O port BAR.
        let mut specs = qemu();
        specs[1].3 = 0;
        specs[1].4 = 0;
        specs[1].5 = 1;
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::NotMemoryBar {
                cfg_type: CAP_ISR_CFG,
                bar: 0
            })
        );
        // A reserved BAR number: the capability does not count, so the structure is missing.
        let mut specs = qemu();
        specs[0].3 = 6;
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::Missing {
                cfg_type: CAP_COMMON_CFG
            })
        );
        Ok(())
    }

    #[test]
    fn structures_that_overlap() -> Result {
        let mut specs = qemu();
        specs[3].4 = 0x0800;
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::Overlap {
                first: CAP_COMMON_CFG,
                second: CAP_NOTIFY_CFG
            })
        );
        Ok(())
    }

    #[test]
    fn structure_too_short_or_misaligned() -> Result {
        let mut specs = qemu();
        specs[0].5 = 0x30;
        let common = Window {
            bar: 4,
            offset: 0,
            length: 0x30,
        };
        check_eq!(
            Config::new(&specs, 4)?.layout(8),
            Err(Malformed::BadLength {
                cfg_type: CAP_COMMON_CFG,
                window: common,
                need: COMMON_LEN
            })
        );
        // The device configuration shorter than what the driver reads in it.
        check_eq!(
            Config::new(&qemu(), 4)?.layout(0x1001),
            Err(Malformed::BadLength {
                cfg_type: CAP_DEVICE_CFG,
                window: Window {
                    bar: 4,
                    offset: 0x2000,
                    length: 0x1000
                },
                need: 0x1001
            })
        );
        let mut specs = qemu();
        specs[0].4 = 2;
        check_eq!(
            Config::new(&specs, 4)?.layout(8).map(|_| ()),
            Err(Malformed::BadLength {
                cfg_type: CAP_COMMON_CFG,
                window: Window {
                    bar: 4,
                    offset: 2,
                    length: 0x1000
                },
                need: COMMON_LEN
            })
        );
        Ok(())
    }

    #[test]
    fn bad_notify_multiplier() -> Result {
        for multiplier in [1, 3, 6, 0x8000_0001] {
            check_eq!(
                Config::new(&qemu(), multiplier)?.layout(8),
                Err(Malformed::BadMultiplier { multiplier })
            );
        }
        check_eq!(
            Config::new(&qemu(), 0)?
                .layout(8)
                .map(|l| l.notify_multiplier),
            Ok(0)
        );
        Ok(())
    }
}

struct IoVirtioTest;

impl kernel::Module for IoVirtioTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoVirtioTest)
    }
}

module! {
    type: IoVirtioTest,
    name: "io_virtio_test",
    authors: ["The typed I/O project"],
    description: "KUnit suites for the virtio samples' queue and capability code",
    license: "GPL v2",
}
