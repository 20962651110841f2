// SPDX-License-Identifier: GPL-2.0

//! Split virtqueues (virtio 1.x, section 2.7), written on typed I/O views.
//!
//! A queue of `N` entries lives in one [`Ring<N>`]: its descriptor table, its driver area (the
//! available ring) and its device area (the used ring), each a `#[repr(C)]` struct of
//! little-endian fields. The code here never holds a reference into that memory: every access
//! goes through an I/O handle whose target is the `Ring<N>`, projected with `io_project!` to the
//! field or the element it touches. The handle's backend is a type parameter, so the same code
//! runs on coherent DMA memory in a driver (`&Coherent<Ring<N>>`, whose projections carry the
//! device's addresses) and on a plain `Ring<N>` in memory in a KUnit test (a `SysMem` view), where
//! the test plays the device.
//!
//! # Ordering
//!
//! As the specification and Linux's `virtio_ring.c` require:
//!
//! - a chain's descriptors and its entry in the available ring are written before the available
//!   index that publishes them, with a write barrier in between;
//! - the index is written before the driver reads whether the device wants a notification (the
//!   used ring's flags, or its `avail_event`), with a full barrier in between;
//! - the used index is read before the entries it covers, with a read barrier in between;
//! - `used_event` (or the flags) is written before the used index is read again, with a full
//!   barrier in between, so that an entry the device adds meanwhile is either seen or
//!   interrupts.
//!
//! The barriers are the SMP ones for a device that is another CPU (a hypervisor), and the DMA
//! ones when the transport says the device needs the platform's ordering
//! (`VIRTIO_F_ORDER_PLATFORM`) or the kernel is uniprocessor.
//!
//! # What the device returns is checked
//!
//! The used ring is written by the device and read as untrusted input. Before a completion is
//! handed back, [`SplitQueue::pop_used`] checks that the used index moved by no more than the
//! chains in flight, that the entry's id is a descriptor of the ring (a runtime-checked
//! projection: an id past the end is refused with `ERANGE` before anything is read there) and
//! the head of a chain in flight, that the length it reports fits in what the device may write,
//! and that the chain, walked through the descriptor table the device sees, has exactly the
//! descriptors it was made of: a link that leaves the chain, revisits a descriptor or runs past
//! its end is refused. Each of these is a [`DeviceError`]; the queue then counts as broken and
//! refuses further work, and nothing is read or freed on the device's word.

use kernel::{
    fmt,
    io::{
        io_project,
        io_read,
        io_write,
        Io,
        IoCapable,
        IoCopyable,
        Le16,
        Le32,
        Le64, //
    },
    prelude::*,
    sync::barrier::{
        self,
        Full,
        Read,
        Write, //
    },
};

/// Descriptor flag: the chain continues with the descriptor in `next`.
pub(crate) const DESC_F_NEXT: u16 = 0x1;
/// Descriptor flag: the device writes the buffer (otherwise it reads it).
pub(crate) const DESC_F_WRITE: u16 = 0x2;
/// Available ring flag: the driver needs no interrupt (without `VIRTIO_F_EVENT_IDX`).
pub(crate) const AVAIL_F_NO_INTERRUPT: u16 = 0x1;
/// Used ring flag: the device needs no notification (without `VIRTIO_F_EVENT_IDX`).
pub(crate) const USED_F_NO_NOTIFY: u16 = 0x1;

// [guide:ring]
/// One entry of the descriptor table: a buffer, and the link to the next one of its chain.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, FromBytes, IntoBytes)]
pub(crate) struct Desc {
    /// The buffer's address, as the device sees it.
    pub(crate) addr: Le64,
    /// The buffer's length in bytes.
    pub(crate) len: Le32,
    /// [`DESC_F_NEXT`], [`DESC_F_WRITE`].
    pub(crate) flags: Le16,
    /// The next descriptor of the chain, if [`DESC_F_NEXT`] is set.
    pub(crate) next: Le16,
}

/// One entry of the used ring: a chain the device is done with.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, FromBytes, IntoBytes)]
pub(crate) struct UsedElem {
    /// The head of the chain.
    pub(crate) id: Le32,
    /// How many bytes the device wrote into the chain's writable buffers.
    pub(crate) len: Le32,
}

/// The driver area of a queue of `N` entries: the available ring.
#[repr(C)]
#[derive(FromBytes)]
pub(crate) struct Avail<const N: usize> {
    /// [`AVAIL_F_NO_INTERRUPT`].
    pub(crate) flags: Le16,
    /// Where the driver will put its next entry (free-running, modulo 2^16).
    pub(crate) idx: Le16,
    /// The heads of the chains made available, in order.
    pub(crate) ring: [Le16; N],
    /// With `VIRTIO_F_EVENT_IDX`: interrupt once the used index passes this value.
    pub(crate) used_event: Le16,
    /// Keeps the device area that follows 4-byte aligned, without implicit padding.
    pub(crate) _pad: Le16,
}

/// The device area of a queue of `N` entries: the used ring.
#[repr(C)]
#[derive(FromBytes)]
pub(crate) struct Used<const N: usize> {
    /// [`USED_F_NO_NOTIFY`].
    pub(crate) flags: Le16,
    /// Where the device will put its next entry (free-running, modulo 2^16).
    pub(crate) idx: Le16,
    /// The chains the device is done with, in order.
    pub(crate) ring: [UsedElem; N],
    /// With `VIRTIO_F_EVENT_IDX`: notify once the available index passes this value.
    pub(crate) avail_event: Le16,
    /// Ends the structure on a multiple of its alignment, without implicit padding.
    pub(crate) _pad: Le16,
}

/// The memory of a split virtqueue of `N` entries: descriptor table, driver area and device area,
/// in one allocation.
///
/// The device is given the address of each part (`queue_desc`, `queue_driver`,
/// `queue_device`): with a `CoherentView`, the `dma_address()` of its projection. The table is
/// at offset 0 (16-byte alignment, as required, for an allocation of at least that alignment),
/// and the other two parts follow at 2- and 4-byte aligned offsets. For the sizes a
/// [`QueueSize`] names the structure has no implicit padding: every byte is a field.
#[repr(C)]
#[derive(FromBytes)]
pub(crate) struct Ring<const N: usize> {
    /// The descriptor table.
    pub(crate) desc: [Desc; N],
    /// The driver area.
    pub(crate) avail: Avail<N>,
    /// The device area.
    pub(crate) used: Used<N>,
}
// [end guide:ring]

/// The queue sizes this module supports: `QueueSize` is implemented for `Size<N>` for each.
pub(crate) struct Size<const N: usize>;

/// Implemented for [`Size<N>`](Size) when `N` is a queue size that [`Ring<N>`] supports: a power
/// of two from 4 to 32768, for which the ring has no padding.
pub(crate) trait QueueSize {}

/// Implements [`QueueSize`] for the listed sizes, and checks at build time that their rings have
/// no padding and put each part where the specification's alignment wants it.
macro_rules! queue_sizes {
    ($($n:literal)*) => {$(
        impl QueueSize for Size<$n> {}

        const _: () = {
            use core::mem::{offset_of, size_of};
            assert!(size_of::<Avail<$n>>() == 2 * 4 + 2 * $n);
            assert!(size_of::<Used<$n>>() == 2 * 4 + 8 * $n);
            assert!(size_of::<Ring<$n>>() == 16 * $n + (8 + 2 * $n) + (8 + 8 * $n));
            assert!(offset_of!(Ring<$n>, avail) % 2 == 0);
            assert!(offset_of!(Ring<$n>, used) % 4 == 0);
            assert!(offset_of!(Used<$n>, avail_event) == 4 + 8 * $n);
            assert!(offset_of!(Avail<$n>, used_event) == 4 + 2 * $n);
        };
    )*};
}

queue_sizes!(4 8 16 32 64 128 256 512 1024 2048 4096 8192 16384 32768);

// SAFETY: Every field of a `Ring<N>` is a little-endian integer, for which every bit pattern is a
// valid value, and it has no interior mutability.
unsafe impl<const N: usize> kernel::transmute::FromBytes for Ring<N> where Size<N>: QueueSize {}

// SAFETY: For the sizes of `QueueSize`, the build checks above prove that the fields of a
// `Ring<N>` cover all of its bytes (no padding), and every field is an integer: no byte is
// uninitialized. It has no interior mutability.
unsafe impl<const N: usize> kernel::transmute::AsBytes for Ring<N> where Size<N>: QueueSize {}

/// A buffer of a chain: its device address, length, and whether the device writes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    /// The buffer's address as the device sees it (a DMA address).
    pub(crate) addr: u64,
    /// Its length in bytes.
    pub(crate) len: u32,
    /// The device writes the buffer (it reads it otherwise).
    pub(crate) device_writes: bool,
}

/// How the driver and the device agreed to use the ring.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RingFeatures {
    /// `VIRTIO_F_EVENT_IDX`: notifications and interrupts are suppressed with `avail_event` and
    /// `used_event` instead of the flags.
    pub(crate) event_idx: bool,
    /// `VIRTIO_F_ORDER_PLATFORM`: the device needs the platform's ordering for DMA (the DMA
    /// barriers), not just that of another CPU.
    pub(crate) order_platform: bool,
}

/// Something the device wrote into the used ring that cannot be right. The queue is broken once
/// one is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceError {
    /// The used index moved past more entries than there are chains in flight.
    IndexAhead {
        /// The used index the device published.
        used_idx: u16,
        /// The driver's last seen used index.
        last_used: u16,
        /// How many chains were in flight.
        in_flight: u16,
    },
    /// A used id that names no descriptor of the ring.
    IdOutOfRange {
        /// The id.
        id: u32,
    },
    /// A used id that is not the head of a chain in flight.
    NotInFlight {
        /// The id.
        id: u32,
    },
    /// A used length longer than what the chain lets the device write.
    LengthTooLong {
        /// The head of the chain.
        id: u32,
        /// The length reported.
        len: u32,
        /// What the chain's writable buffers hold.
        max: u32,
    },
    /// The chain, as the descriptor table links it, is not the chain that was made: a link that
    /// leads out of it, back into it (a loop) or past its end.
    BadChain {
        /// The head of the chain.
        id: u32,
        /// The descriptor at which the walk went wrong.
        at: u16,
    },
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DeviceError::IndexAhead {
                used_idx,
                last_used,
                in_flight,
            } => write!(
                f,
                "used index {} is more than {} entries past {}",
                used_idx, in_flight, last_used
            ),
            DeviceError::IdOutOfRange { id } => write!(f, "used id {} is not a descriptor", id),
            DeviceError::NotInFlight { id } => write!(f, "used id {} is not a chain in flight", id),
            DeviceError::LengthTooLong { id, len, max } => write!(
                f,
                "used length {} of chain {} is longer than its {} writable bytes",
                len, id, max
            ),
            DeviceError::BadChain { id, at } => write!(
                f,
                "chain {} is not linked as it was made (at descriptor {})",
                id, at
            ),
        }
    }
}

impl From<DeviceError> for Error {
    fn from(_: DeviceError) -> Error {
        EIO
    }
}

/// A chain in flight: what the driver remembers of it.
struct Chain<T> {
    /// The driver's token for it, handed back when the device is done.
    token: T,
    /// How many descriptors it is made of.
    count: u16,
    /// How many bytes its device-writable buffers hold.
    writable: u32,
}

/// `owner` of a descriptor that is in no chain.
const FREE: u16 = u16::MAX;

/// The driver's side of a split virtqueue of `N` entries: which descriptors are free, the chains
/// in flight with their tokens, and the indices. The ring memory itself is passed to each method
/// as an I/O handle (see the module's documentation); the caller serializes the calls (a lock).
pub(crate) struct SplitQueue<T, const N: usize> {
    /// Links of the free list, by descriptor (driver-private: the device never sees them).
    next: KVec<u16>,
    /// The head of the chain each descriptor belongs to, or [`FREE`].
    owner: KVec<u16>,
    /// The chains in flight, by head.
    chains: KVec<Option<Chain<T>>>,
    /// First free descriptor (meaningful while `num_free > 0`).
    free_head: u16,
    /// How many descriptors are free.
    num_free: u16,
    /// How many chains are in flight.
    in_flight: u16,
    /// The available index the driver has published.
    avail_idx: u16,
    /// Chains made available since the last [`kick_prepare`](Self::kick_prepare).
    added: u16,
    /// The used index up to which completions were taken.
    last_used: u16,
    features: RingFeatures,
    /// The first error the device made, after which the queue is not used any more.
    broken: Option<DeviceError>,
}

/// Whether an index that moved from `old` to `new` passed `event`: the specification's rule for
/// `used_event` and `avail_event`, in wrapping 16-bit arithmetic.
pub(crate) fn passed_event(event: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event).wrapping_sub(1) < new.wrapping_sub(old)
}

impl<T, const N: usize> SplitQueue<T, N>
where
    Size<N>: QueueSize,
{
    /// The queue size as the device is told it, and as descriptor indices are bounded.
    // CAST: `QueueSize` sizes are at most 32768.
    pub(crate) const SIZE: u16 = N as u16;

    /// Creates the driver's state of an empty queue; [`init_ring`](Self::init_ring) prepares its
    /// memory and says how the ring is used.
    pub(crate) fn new() -> Result<Self> {
        let mut next = KVec::with_capacity(N, GFP_KERNEL)?;
        let mut owner = KVec::with_capacity(N, GFP_KERNEL)?;
        let mut chains = KVec::with_capacity(N, GFP_KERNEL)?;
        for i in 0..Self::SIZE {
            // The last link is never followed: `num_free` says when the list ends.
            next.push(i.wrapping_add(1), GFP_KERNEL)?;
            owner.push(FREE, GFP_KERNEL)?;
            chains.push(None, GFP_KERNEL)?;
        }
        Ok(SplitQueue {
            next,
            owner,
            chains,
            free_head: 0,
            num_free: Self::SIZE,
            in_flight: 0,
            avail_idx: 0,
            added: 0,
            last_used: 0,
            features: RingFeatures::default(),
            broken: None,
        })
    }

    /// Clears the ring, as a device expects it when the queue is enabled (nothing available or
    /// used, interrupts wanted), and the driver's state to match: every descriptor free, and the
    /// ring used as `features` says.
    ///
    /// Fails with `EBUSY` while chains are in flight: [`take_all`](Self::take_all) takes them
    /// back once the device cannot use them any more.
    pub(crate) fn init_ring<'a, R>(&mut self, ring: R, features: RingFeatures) -> Result
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCopyable,
    {
        if self.chains.iter().any(Option::is_some) {
            return Err(EBUSY);
        }
        ring.fill(0);
        for i in 0..Self::SIZE {
            self.next[usize::from(i)] = i.wrapping_add(1);
            self.owner[usize::from(i)] = FREE;
        }
        self.free_head = 0;
        self.num_free = Self::SIZE;
        self.in_flight = 0;
        self.avail_idx = 0;
        self.added = 0;
        self.last_used = 0;
        self.features = features;
        self.broken = None;
        Ok(())
    }

    /// How many descriptors are free: a chain of that many can be added.
    pub(crate) fn num_free(&self) -> usize {
        usize::from(self.num_free)
    }

    /// How many chains are in flight.
    pub(crate) fn in_flight(&self) -> usize {
        usize::from(self.in_flight)
    }

    /// The error that broke the queue, if the device made one.
    pub(crate) fn broken(&self) -> Option<DeviceError> {
        self.broken
    }

    /// A write barrier between the ring's contents and the index that publishes them.
    fn write_barrier(&self) {
        if self.features.order_platform || !cfg!(CONFIG_SMP) {
            barrier::dma_mb(Write);
        } else {
            barrier::smp_mb(Write);
        }
    }

    /// A read barrier between an index the device published and the entries it covers.
    fn read_barrier(&self) {
        if self.features.order_platform || !cfg!(CONFIG_SMP) {
            barrier::dma_mb(Read);
        } else {
            barrier::smp_mb(Read);
        }
    }

    /// A full barrier between a write of the driver and a read of what the device wrote.
    fn full_barrier(&self) {
        if self.features.order_platform || !cfg!(CONFIG_SMP) {
            barrier::mb(Full);
        } else {
            barrier::smp_mb(Full);
        }
    }

    /// Makes a chain of `count` buffers, `segments`, available to the device, with `token` to be
    /// handed back when the device is done with it.
    ///
    /// Fails, giving the token back, with `ENOSPC` if fewer than `count` descriptors are free,
    /// with `EINVAL` if `segments` does not hold exactly `count` buffers or their writable
    /// lengths overflow 32 bits, and with `EIO` if the queue is broken. The device is not told:
    /// see [`kick_prepare`](Self::kick_prepare).
    ///
    /// Descriptor and ring indices here come from the driver's own free list and counters, never
    /// from the device, so they are in bounds unless this code is wrong: they are projected with
    /// `[panic: ...]`, which checks and panics, where the device's values get `[try: ...]`.
    pub(crate) fn add<'a, R, I>(
        &mut self,
        ring: R,
        count: usize,
        segments: I,
        token: T,
    ) -> core::result::Result<(), (Error, T)>
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16> + IoCopyable,
        I: IntoIterator<Item = Segment>,
    {
        if self.broken.is_some() {
            return Err((EIO, token));
        }
        if count == 0 || count > self.num_free() {
            return Err((ENOSPC, token));
        }
        // CAST: `count <= num_free <= N <= 32768`.
        let count16 = count as u16;
        let head = self.free_head;
        let mut segments = segments.into_iter();
        let mut at = head;
        let mut writable = 0u32;
        for k in 0..count {
            let last = k + 1 == count;
            let segment = segments.next();
            let total =
                segment.and_then(|s| writable.checked_add(if s.device_writes { s.len } else { 0 }));
            let (Some(segment), Some(total)) = (segment, total) else {
                // Nothing was published: the descriptors written so far are just free again.
                return Err((EINVAL, token));
            };
            writable = total;
            let next = self.next[usize::from(at)];
            let mut flags = 0;
            if segment.device_writes {
                flags |= DESC_F_WRITE;
            }
            if !last {
                flags |= DESC_F_NEXT;
            }
            io_project!(ring, .desc[panic: usize::from(at)]).copy_write(Desc {
                addr: Le64::new(segment.addr),
                len: Le32::new(segment.len),
                flags: Le16::new(flags),
                next: Le16::new(if last { 0 } else { next }),
            });
            if !last {
                at = next;
            }
        }
        if segments.next().is_some() {
            return Err((EINVAL, token));
        }

        // The chain is made: take its descriptors off the free list.
        let mut member = head;
        for _ in 0..count {
            self.owner[usize::from(member)] = head;
            member = self.next[usize::from(member)];
        }
        self.free_head = member;
        self.num_free -= count16;
        self.in_flight += 1;
        self.chains[usize::from(head)] = Some(Chain {
            token,
            count: count16,
            writable,
        });

        // [guide:publish]
        // The entry, then (after the barrier) the index that makes it visible.
        let slot = usize::from(self.avail_idx) % N;
        io_write!(ring, .avail.ring[panic: slot], Le16::new(head));
        self.write_barrier();
        self.avail_idx = self.avail_idx.wrapping_add(1);
        io_write!(ring, .avail.idx, Le16::new(self.avail_idx));
        self.added = self.added.wrapping_add(1);
        // [end guide:publish]
        Ok(())
    }

    // [guide:kick]
    /// Says whether the device must be notified of the chains added since the last call: with
    /// `VIRTIO_F_EVENT_IDX`, whether the available index passed the device's `avail_event`;
    /// without it, whether the device left [`USED_F_NO_NOTIFY`] clear.
    pub(crate) fn kick_prepare<'a, R>(&mut self, ring: R) -> bool
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16>,
    {
        if self.added == 0 {
            return false;
        }
        // The index the device reads is published before what it asks for is read.
        self.full_barrier();
        let new = self.avail_idx;
        let old = new.wrapping_sub(self.added);
        self.added = 0;
        if self.features.event_idx {
            passed_event(io_read!(ring, .used.avail_event).get(), new, old)
        } else {
            io_read!(ring, .used.flags).get() & USED_F_NO_NOTIFY == 0
        }
    }
    // [end guide:kick]

    // [guide:pop-used]
    /// Takes the next chain the device is done with: its token and the length the device says
    /// it wrote, or `None` if there is none yet.
    ///
    /// Everything the device wrote is checked first (see the module's documentation); a
    /// [`DeviceError`] breaks the queue, and every later call returns it again.
    pub(crate) fn pop_used<'a, R>(
        &mut self,
        ring: R,
    ) -> core::result::Result<Option<(T, u32)>, DeviceError>
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16> + IoCapable<Le32> + IoCopyable,
    {
        if let Some(err) = self.broken {
            return Err(err);
        }
        let used_idx = io_read!(ring, .used.idx).get();
        if used_idx == self.last_used {
            return Ok(None);
        }
        // The entries the index covers are read after it.
        self.read_barrier();
        match self.take_used(ring, used_idx) {
            Ok(done) => {
                self.last_used = self.last_used.wrapping_add(1);
                Ok(Some(done))
            }
            Err(err) => {
                self.broken = Some(err);
                Err(err)
            }
        }
    }

    /// Checks and takes the used entry at `last_used`, `used_idx` being the device's index.
    fn take_used<'a, R>(
        &mut self,
        ring: R,
        used_idx: u16,
    ) -> core::result::Result<(T, u32), DeviceError>
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16> + IoCapable<Le32> + IoCopyable,
    {
        if used_idx.wrapping_sub(self.last_used) > self.in_flight {
            return Err(DeviceError::IndexAhead {
                used_idx,
                last_used: self.last_used,
                in_flight: self.in_flight,
            });
        }
        let slot = usize::from(self.last_used) % N;
        let entry = io_project!(ring, .used.ring[panic: slot]).copy_read();
        let (id, len) = (entry.id.get(), entry.len.get());

        // The device's id selects a descriptor only through a checked projection: an id past
        // the table's end is refused before anything is read at it.
        let head = usize::try_from(id).unwrap_or(usize::MAX);
        let in_table = (|| -> Result {
            let _ = io_project!(ring, .desc[try: head]);
            Ok(())
        })();
        if in_table.is_err() {
            return Err(DeviceError::IdOutOfRange { id });
        }
        let Some(chain) = self.chains[head].take() else {
            return Err(DeviceError::NotInFlight { id });
        };
        if len > chain.writable {
            let max = chain.writable;
            self.chains[head] = Some(chain);
            return Err(DeviceError::LengthTooLong { id, len, max });
        }
        // CAST: `head < N <= 32768`, checked above.
        if let Err(at) = self.walk_and_free(ring, head as u16, chain.count) {
            self.chains[head] = Some(chain);
            return Err(DeviceError::BadChain { id, at });
        }
        self.in_flight -= 1;
        Ok((chain.token, len))
    }

    /// Walks the chain at `head` of `count` descriptors as the descriptor table links it, and
    /// frees each descriptor met; fails with the descriptor where the walk leaves the chain.
    ///
    /// The table is device-readable memory: its links are checked, not trusted. Each step must
    /// name a descriptor of the table (a runtime-checked projection) that belongs to this chain
    /// and was not met before (freeing it marks it), and the walk must end exactly at its
    /// `count`th descriptor. A loop, a link out of the chain or past its end fails the walk
    /// after at most `count` steps.
    fn walk_and_free<'a, R>(
        &mut self,
        ring: R,
        head: u16,
        count: u16,
    ) -> core::result::Result<(), u16>
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16> + IoCopyable,
    {
        let mut at = head;
        for step in 0..count {
            let desc = (|| -> Result<Desc> {
                Ok(io_project!(ring, .desc[try: usize::from(at)]).copy_read())
            })()
            .map_err(|_| at)?;
            if self.owner[usize::from(at)] != head {
                return Err(at);
            }
            let flags = desc.flags.get();
            let last = step + 1 == count;
            if last == (flags & DESC_F_NEXT != 0) {
                return Err(at);
            }
            self.owner[usize::from(at)] = FREE;
            self.next[usize::from(at)] = self.free_head;
            self.free_head = at;
            self.num_free += 1;
            at = desc.next.get();
        }
        Ok(())
    }
    // [end guide:pop-used]

    /// Asks the device to interrupt on the next chain it is done with, and says whether one was
    /// done meanwhile (the caller must then take it, as no interrupt may come for it).
    pub(crate) fn enable_interrupts<'a, R>(&mut self, ring: R) -> bool
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16>,
    {
        if self.features.event_idx {
            io_write!(ring, .avail.used_event, Le16::new(self.last_used));
        } else {
            io_write!(ring, .avail.flags, Le16::new(0));
        }
        // What the device must see is published before its index is read again.
        self.full_barrier();
        io_read!(ring, .used.idx).get() != self.last_used
    }

    /// Tells the device that no interrupt is needed for now. It is a hint the device may
    /// ignore; with `VIRTIO_F_EVENT_IDX` it is `used_event` that says so, moved back half the
    /// index space.
    pub(crate) fn disable_interrupts<'a, R>(&mut self, ring: R)
    where
        R: Io<'a, Target = Ring<N>>,
        R::Backend: IoCapable<Le16>,
    {
        if self.features.event_idx {
            io_write!(
                ring,
                .avail.used_event,
                Le16::new(self.last_used.wrapping_sub(0x8000))
            );
        } else {
            io_write!(ring, .avail.flags, Le16::new(AVAIL_F_NO_INTERRUPT));
        }
    }

    /// Takes back the tokens of every chain in flight, once the device cannot use them any more
    /// (it was reset, or it broke the queue), so that the caller can fail them. The descriptors
    /// stay as they are: [`init_ring`](Self::init_ring) starts the queue afresh.
    pub(crate) fn take_all(&mut self) -> impl Iterator<Item = T> + '_ {
        self.in_flight = 0;
        self.chains
            .iter_mut()
            .filter_map(|chain| chain.take().map(|c| c.token))
    }
}
