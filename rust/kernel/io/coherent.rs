// SPDX-License-Identifier: GPL-2.0

//! Coherent DMA memory as an I/O backend: [`CoherentView`], and [`CoherentBuffer`], coherent
//! memory for a driver's own plain-data types.
//!
//! C header: [`include/linux/dma-mapping.h`](srctree/include/linux/dma-mapping.h)
//!
//! A [`Coherent`] allocation is kernel memory that a device reads and writes concurrently, so the
//! CPU side is accessed exactly like [`SysMem`]. What a coherent view adds is the device's side:
//! it carries the DMA address of its location and keeps it right through every projection, so
//! the address of a descriptor or a sub-buffer is never computed by hand.
//!
//! ```
//! # use kernel::{device::{Bound, Device}, dma::Coherent, io::io_project};
//! # fn f(dev: &Device<Bound>) -> Result {
//! let ring = Coherent::<[u64; 16]>::zeroed(dev, GFP_KERNEL)?;
//! let slot = io_project!(&ring, [build: 3]);
//! assert_eq!(slot.dma_address(), ring.dma_address() + 3 * 8);
//! # Ok(()) }
//! ```

use core::marker::PhantomData;

use crate::{
    device::{
        Bound,
        Device, //
    },
    dma::{
        Coherent,
        DmaAddress, //
    },
    prelude::*,
    ptr::KnownSize,
};

use super::{
    copy::IoCopyable,
    sysmem::{
        SysMem,
        SysMemBackend, //
    },
    traits::{
        IoBackend,
        IoBase,
        IoCapable, //
    },
};

/// A view of a `T` in a coherent DMA allocation, valid for `'a`.
///
/// Accesses are those of a [`SysMem`] view. [`dma_address`](Self::dma_address) is the address at
/// which the device sees the same location.
///
/// # Invariants
///
/// `dma` is the device's address of the location of `cpu`.
pub struct CoherentView<'a, T: ?Sized> {
    cpu: SysMem<'a, T>,
    dma: DmaAddress,
}

impl<T: ?Sized> Clone for CoherentView<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for CoherentView<'_, T> {}

impl<T: ?Sized + KnownSize> core::fmt::Debug for CoherentView<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CoherentView")
            .field("cpu", &self.cpu)
            .field("dma_address", &format_args!("{:#x}", self.dma))
            .finish()
    }
}

impl<'a, T: ?Sized> CoherentView<'a, T> {
    /// Returns the DMA address of the location, to be handed to the device.
    #[inline]
    pub fn dma_address(self) -> DmaAddress {
        self.dma
    }

    /// Returns the CPU side of the view, without the DMA address.
    #[inline]
    pub fn as_sys_mem(self) -> SysMem<'a, T> {
        self.cpu
    }

    /// Returns a shared reference to the location.
    ///
    /// # Safety
    ///
    /// While the reference lives, neither the device nor the CPU (through views or otherwise) may
    /// write to the location.
    #[inline]
    pub unsafe fn as_ref(self) -> &'a T {
        // SAFETY: The location is valid and aligned for `'a` (invariant of `SysMem`); the caller
        // rules out writes while the reference lives.
        unsafe { &*self.cpu.as_ptr() }
    }

    /// Returns a unique reference to the location.
    ///
    /// # Safety
    ///
    /// While the reference lives, nothing else (the device, other views, other references) may
    /// read or write the location.
    #[inline]
    pub unsafe fn as_mut(self) -> &'a mut T {
        // SAFETY: The location is valid and aligned for `'a` (invariant of `SysMem`); the caller
        // rules out any other access while the reference lives.
        unsafe { &mut *self.cpu.as_ptr() }
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for CoherentView<'a, T> {
    type Backend = CoherentIoBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> Self {
        self
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for &'a Coherent<T> {
    type Backend = CoherentIoBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> CoherentView<'a, T> {
        // INVARIANT: The allocation's CPU and DMA addresses name the same memory.
        CoherentView {
            // SAFETY: A coherent allocation is aligned kernel memory of `self.size()` bytes that
            // stays mapped while it is borrowed.
            cpu: unsafe { SysMem::new(self.as_mut_ptr()) },
            dma: self.dma_address(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What a [`CoherentBuffer`] can hold: a plain-data type (zerocopy's `FromBytes` and
/// `IntoBytes`, which the prelude derives), or a slice of one.
///
/// This trait is sealed: it is implemented for every such `T` and `[T]`.
pub trait CoherentData: sealed::Sealed + KnownSize {
    /// The size of `count` values of this type (`count` is 1 for a sized type), or `None` if it
    /// overflows.
    #[doc(hidden)]
    fn bytes(count: usize) -> Option<usize>;

    /// The alignment of this type (of its elements for a slice).
    #[doc(hidden)]
    fn align() -> usize;

    /// A pointer to `count` values of this type at `base`.
    #[doc(hidden)]
    fn at(base: *mut u8, count: usize) -> *mut Self;
}

impl<T: FromBytes + IntoBytes> sealed::Sealed for T {}
impl<T: FromBytes + IntoBytes> sealed::Sealed for [T] {}

impl<T: FromBytes + IntoBytes> CoherentData for T {
    #[inline]
    fn bytes(_count: usize) -> Option<usize> {
        Some(size_of::<T>())
    }

    #[inline]
    fn align() -> usize {
        align_of::<T>()
    }

    #[inline]
    fn at(base: *mut u8, _count: usize) -> *mut Self {
        base.cast()
    }
}

impl<T: FromBytes + IntoBytes> CoherentData for [T] {
    #[inline]
    fn bytes(count: usize) -> Option<usize> {
        count.checked_mul(size_of::<T>())
    }

    #[inline]
    fn align() -> usize {
        align_of::<T>()
    }

    #[inline]
    fn at(base: *mut u8, count: usize) -> *mut Self {
        core::ptr::slice_from_raw_parts_mut(base.cast(), count)
    }
}

/// A coherent DMA allocation that holds a driver's plain-data `T` (or a slice of them), reached
/// through views.
///
/// [`Coherent<T>`] asks its `T` for the kernel's `transmute::{AsBytes, FromBytes}`, which the
/// prelude's derives (zerocopy's `FromBytes` and `IntoBytes`) do not give: a descriptor type of a
/// driver's would need `unsafe impl`s of its own. A `CoherentBuffer` asks for zerocopy's traits,
/// the ones every view accessor uses: it allocates the bytes and hands out [`CoherentView`]s of
/// them as a `T`. It gives no references, so the device and the CPU share it only through
/// volatile accesses; like `Coherent`, it is freed when dropped.
///
/// # Invariants
///
/// `bytes` holds `count` values of `T` (one for a sized `T`) at its start, aligned for `T`.
///
/// # Examples
///
/// ```
/// # use kernel::device::{Bound, Device};
/// use kernel::io::{io_project, io_read, io_write, CoherentBuffer, Io, Le32};
/// use kernel::prelude::*;
///
/// /// A descriptor, as a device reads it.
/// #[repr(C)]
/// #[derive(FromBytes, IntoBytes)]
/// struct Desc {
///     addr: Le32,
///     len: Le32,
///     flags: Le32,
///     next: Le32,
/// }
///
/// # fn f(dev: &Device<Bound>) -> Result {
/// let ring = CoherentBuffer::<[Desc]>::zeroed_slice(dev, 256, GFP_KERNEL)?;
/// let slot = io_project!(&ring, [try: 17]);
/// io_write!(slot, .len, Le32::new(4096));
/// assert_eq!(io_read!(slot, .len).get(), 4096);
/// assert_eq!(slot.dma_address(), ring.dma_address() + 17 * 16);
/// # Ok(()) }
/// ```
pub struct CoherentBuffer<T: ?Sized + CoherentData> {
    bytes: Coherent<[u8]>,
    count: usize,
    _type: PhantomData<T>,
}

impl<T: ?Sized + CoherentData> CoherentBuffer<T> {
    /// Allocates `count` zeroed values (one for a sized `T`).
    fn alloc(dev: &Device<Bound>, count: usize, gfp_flags: kernel::alloc::Flags) -> Result<Self> {
        let size = T::bytes(count).ok_or(EINVAL)?;
        let bytes = Coherent::<u8>::zeroed_slice(dev, size, gfp_flags)?;
        // Coherent allocations are at least page aligned; a type that asks for more is refused
        // rather than misplaced.
        if bytes.as_ptr().cast::<u8>().addr() % T::align() != 0 {
            return Err(EINVAL);
        }
        // INVARIANT: `size` bytes hold `count` values, and the start is aligned for `T`.
        Ok(Self {
            bytes,
            count,
            _type: PhantomData,
        })
    }

    /// Returns the DMA address of the buffer, to be handed to the device.
    #[inline]
    pub fn dma_address(&self) -> DmaAddress {
        self.bytes.dma_address()
    }

    /// Returns the size of the buffer in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        self.bytes.size()
    }
}

impl<T: FromBytes + IntoBytes> CoherentBuffer<T> {
    /// Allocates a zeroed `T` in coherent memory for `dev`.
    ///
    /// Fails with [`ENOMEM`] if the DMA API cannot allocate it.
    #[inline]
    pub fn zeroed(dev: &Device<Bound>, gfp_flags: kernel::alloc::Flags) -> Result<Self> {
        Self::alloc(dev, 1, gfp_flags)
    }
}

impl<T: FromBytes + IntoBytes> CoherentBuffer<[T]> {
    /// Allocates `len` zeroed `T`s in coherent memory for `dev`.
    ///
    /// Fails with [`EINVAL`] if their size overflows, and with the DMA API's error if it cannot
    /// allocate them (a length of zero included).
    #[inline]
    pub fn zeroed_slice(
        dev: &Device<Bound>,
        len: usize,
        gfp_flags: kernel::alloc::Flags,
    ) -> Result<Self> {
        Self::alloc(dev, len, gfp_flags)
    }

    /// Returns the number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Returns `true` if the buffer holds no element.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

impl<'a, T: ?Sized + CoherentData> IoBase<'a> for &'a CoherentBuffer<T> {
    type Backend = CoherentIoBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> CoherentView<'a, T> {
        let bytes = (&self.bytes).as_view();
        let place = T::at(bytes.cpu.as_ptr().cast(), self.count);
        // SAFETY: `place` covers `count` values of `T` at the start of the allocation, which
        // holds them, aligned for `T` (type invariant): it is a part of the view of its bytes.
        unsafe { CoherentIoBackend::project_view(bytes, place) }
    }
}

/// The backend of [`CoherentView`]: system memory accesses, DMA addresses kept in step.
pub struct CoherentIoBackend;

// SAFETY: `as_ptr` returns the CPU pointer of the `SysMem` view inside, which `project_view`
// narrows with `SysMemBackend` (whose guarantees hold) while only adjusting the DMA address.
unsafe impl IoBackend for CoherentIoBackend {
    type View<'a, T: ?Sized + KnownSize> = CoherentView<'a, T>;

    #[inline(always)]
    fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
    where
        T: ?Sized + KnownSize,
    {
        view.cpu.as_ptr()
    }

    #[inline(always)]
    unsafe fn project_view<'a, T, U>(whole: Self::View<'a, T>, part: *mut U) -> Self::View<'a, U>
    where
        T: ?Sized + KnownSize,
        U: ?Sized + KnownSize,
    {
        // The part lies within the whole (safety requirement), so this does not wrap; wrapping
        // arithmetic keeps overflow checks (and their panic paths) out of every access.
        let offset = part.addr().wrapping_sub(whole.cpu.as_ptr().addr());
        // INVARIANT: The device sees the part at the same offset from the whole's DMA address.
        CoherentView {
            // SAFETY: Forwarded with the caller's guarantee.
            cpu: unsafe { SysMemBackend::project_view(whole.cpu, part) },
            // CAST: The offset is within one allocation, whose DMA addresses fit a `DmaAddress`.
            dma: whole.dma.wrapping_add(offset as DmaAddress),
        }
    }
}

impl<T> IoCapable<T> for CoherentIoBackend
where
    SysMemBackend: IoCapable<T>,
{
    #[inline]
    fn io_read(view: CoherentView<'_, T>) -> T {
        SysMemBackend::io_read(view.cpu)
    }

    #[inline]
    fn io_write(view: CoherentView<'_, T>, value: T) {
        SysMemBackend::io_write(view.cpu, value)
    }
}

// SAFETY: Every method forwards to `SysMemBackend` with the CPU side of the same views.
unsafe impl IoCopyable for CoherentIoBackend {
    #[inline]
    unsafe fn copy_from_io(view: CoherentView<'_, [u8]>, buffer: *mut u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMemBackend::copy_from_io(view.cpu, buffer) }
    }

    #[inline]
    unsafe fn copy_to_io(view: CoherentView<'_, [u8]>, buffer: *const u8) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMemBackend::copy_to_io(view.cpu, buffer) }
    }

    #[inline]
    fn copy_read<T: FromBytes>(view: CoherentView<'_, T>) -> T {
        SysMemBackend::copy_read(view.cpu)
    }

    #[inline]
    fn copy_write<T: IntoBytes>(view: CoherentView<'_, T>, value: T) {
        SysMemBackend::copy_write(view.cpu, value)
    }

    #[inline]
    fn fill_io(view: CoherentView<'_, [u8]>, byte: u8) {
        SysMemBackend::fill_io(view.cpu, byte)
    }

    #[inline]
    unsafe fn move_io(dst: CoherentView<'_, [u8]>, src: CoherentView<'_, [u8]>) {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMemBackend::move_io(dst.cpu, src.cpu) }
    }

    #[inline]
    unsafe fn try_move_io(dst: CoherentView<'_, [u8]>, src: CoherentView<'_, [u8]>) -> Result {
        // SAFETY: Forwarded with the caller's guarantee.
        unsafe { SysMemBackend::try_move_io(dst.cpu, src.cpu) }
    }
}
