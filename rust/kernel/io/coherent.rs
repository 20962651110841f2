// SPDX-License-Identifier: GPL-2.0

//! Coherent DMA memory as an I/O backend: [`CoherentView`].
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

use crate::{
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
