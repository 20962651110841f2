// SPDX-License-Identifier: GPL-2.0

//! Memory-mapped I/O views: [`Mmio`] and its relaxed twin [`RelaxedMmio`].
//!
//! C header: [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h)

use core::marker::PhantomData;

use crate::{
    bindings,
    prelude::*,
    ptr::KnownSize, //
};

use super::{
    copy::IoCopyable,
    endian::byte_order_accessors,
    region::MmioRaw,
    traits::{
        IoBackend,
        IoBase, //
    },
    view::pointer_view,
};

pointer_view! {
    /// A view of a `T` in memory-mapped I/O space, valid for `'a`.
    ///
    /// Accesses use the kernel's ordered MMIO accessors (`readl()`, `writel()`, ...): each is
    /// ordered against the CPU's other memory accesses, including those that prepare DMA
    /// buffers. Use [`relaxed`](Mmio::relaxed) where that ordering is not needed.
    ///
    /// # Invariants
    ///
    /// `ptr` describes a mapped MMIO location that stays mapped for `'a`, and is aligned for `T`.
    pub struct Mmio;

    /// The backend of [`Mmio`] views: the kernel's ordered MMIO accessors.
    pub struct MmioBackend;
}

// SAFETY: An MMIO view may be used from any thread, like C's `__iomem` pointers: its accesses
// are the kernel's MMIO accessors, which the CPU performs on device memory that no Rust object
// lives in, so concurrent accesses are not data races in Rust's sense (the device decides what
// they mean). Values only cross threads as bytes: a `T` read back is made from bytes
// (`FromBytes`), and a `T` written is forgotten as bytes (`IntoBytes`), so `T: Send` is not
// needed. `T: Sync` is kept from 7.3's bound, which treats the view as a `&T`.
unsafe impl<T: ?Sized + Sync> Send for Mmio<'_, T> {}

// SAFETY: As for `Send`: a shared view only gives other threads copies of the view.
unsafe impl<T: ?Sized + Sync> Sync for Mmio<'_, T> {}

impl<'a, T: ?Sized> Mmio<'a, T> {
    /// Creates a view of the MMIO location that `raw` describes.
    ///
    /// # Safety
    ///
    /// `raw` must describe a mapped MMIO location, aligned for `T`, that stays mapped while `'a`
    /// lasts.
    #[inline]
    pub unsafe fn from_raw(raw: MmioRaw<T>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr: raw.as_ptr(),
            _lifetime: PhantomData,
        }
    }

    /// Returns the raw I/O pointer of this view.
    #[inline]
    pub fn as_raw(self) -> MmioRaw<T> {
        MmioRaw::from_ptr(self.ptr)
    }

    /// Returns a view of the same location whose accesses are relaxed.
    ///
    /// Relaxed accessors (`readl_relaxed()`, ...) are still ordered against each other on the
    /// same device, but not against the CPU's accesses to normal memory, such as the writes that
    /// fill a DMA buffer before a doorbell.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use kernel::io::{Io, Mmio, Region};
    ///
    /// fn poll_status(regs: Mmio<'_, Region<0x100>>) -> u32 {
    ///     regs.relaxed().read32(0x10)
    /// }
    /// ```
    #[inline]
    pub fn relaxed(self) -> RelaxedMmio<'a, T> {
        RelaxedMmio(self)
    }
}

/// A view of a `T` in memory-mapped I/O space whose accesses are relaxed.
///
/// Obtained from [`Mmio::relaxed`]. Accesses use the `_relaxed` MMIO accessors.
pub struct RelaxedMmio<'a, T: ?Sized>(Mmio<'a, T>);

impl<T: ?Sized> Clone for RelaxedMmio<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for RelaxedMmio<'_, T> {}

impl<T: ?Sized + KnownSize> core::fmt::Debug for RelaxedMmio<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::view::fmt_location(f, "RelaxedMmio", self.0.ptr)
    }
}

impl<'a, T: ?Sized> RelaxedMmio<'a, T> {
    /// Returns a view of the same location whose accesses are ordered again.
    #[inline]
    pub fn ordered(self) -> Mmio<'a, T> {
        self.0
    }
}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for RelaxedMmio<'a, T> {
    type Backend = RelaxedMmioBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> Self {
        self
    }
}

/// The backend of [`RelaxedMmio`] views: the kernel's relaxed MMIO accessors.
pub struct RelaxedMmioBackend;

// SAFETY: A relaxed view is an ordered view with other accessors: both functions forward to
// `MmioBackend`, whose guarantees therefore hold, and `as_view` of a view returns it unchanged.
unsafe impl IoBackend for RelaxedMmioBackend {
    type View<'a, T: ?Sized + KnownSize> = RelaxedMmio<'a, T>;

    #[inline(always)]
    fn as_ptr<'a, T>(view: Self::View<'a, T>) -> *mut T
    where
        T: ?Sized + KnownSize,
    {
        view.0.ptr
    }

    #[inline(always)]
    unsafe fn project_view<'a, T, U>(view: Self::View<'a, T>, ptr: *mut U) -> Self::View<'a, U>
    where
        T: ?Sized + KnownSize,
        U: ?Sized + KnownSize,
    {
        // SAFETY: The caller's guarantee for `view` holds for the ordered view it wraps.
        RelaxedMmio(unsafe { MmioBackend::project_view(view.0, ptr) })
    }
}

// The accessors of the two backends, by the kernel's own C accessors or inline, one file each:
//
// - `helpers`: the C accessors through the kernel's C helpers (`rust_helper_readl()`, ...). They
//   serve wherever the layer has no inline accessor that is exactly C's: every architecture but
//   x86-64 and arm64; x86-64 and arm64 with `CONFIG_RUST_INLINE_HELPERS`, where the helpers
//   inline into Rust as C's own code; arm64 with `CONFIG_TRACE_MMIO_ACCESS`, whose accessors call
//   the MMIO tracepoints; and UML, which sets `CONFIG_X86_64` but whose `readl()` is not an x86
//   `mov`: with `CONFIG_INDIRECT_IOMEM` (`UML_PCI`) it is a call into `lib/logic_iomem.c`, which
//   dispatches on the cookie that `ioremap()` returned there, an address that must never be
//   dereferenced.
// - `x86_64`: inline `mov`s, which are x86-64's `readl()` and its family.
// - `arm64`: inline `ldr`/`str` with arm64's barriers and boot-time patches.
#[cfg(any(
    CONFIG_RUST_INLINE_HELPERS,
    CONFIG_UML,
    not(any(CONFIG_X86_64, CONFIG_ARM64)),
    all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
))]
mod helpers;

#[cfg(all(CONFIG_X86_64, not(CONFIG_UML), not(CONFIG_RUST_INLINE_HELPERS)))]
mod x86_64;

#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
mod arm64;

byte_order_accessors!(MmioBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);
byte_order_accessors!(RelaxedMmioBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);

// 64-bit MMIO accessors only exist on 64-bit kernels.
#[cfg(CONFIG_64BIT)]
byte_order_accessors!(MmioBackend, little: u64 => Le64 Be64;);

#[cfg(CONFIG_64BIT)]
byte_order_accessors!(RelaxedMmioBackend, little: u64 => Le64 Be64;);

/// Implements [`IoCopyable`] for an MMIO backend with `memcpy_fromio()`, `memcpy_toio()` and
/// `memset_io()`.
///
/// Both backends share the C copies: they are not ordered against normal memory in either case,
/// so a relaxed copy is the same operation.
///
/// There is no helper call in between where the three are real exported functions, which bindgen
/// sees: x86 (`arch/x86/lib/iomem.c`) and the architectures that take asm-generic's
/// (`lib/iomem_copy.c`), arm64 among them. The bindings crate prefers such a function over the
/// `rust_helper_` wrapper of the same name. Where they are macros or inline functions (arm: a
/// call to `mmiocpy()` and `mmioset()`), they are reached through the helpers: 7.3's for the
/// copies, ours (`rust/helpers/typed_io.c`) for `memset_io()`.
macro_rules! mmio_copies {
    ($($backend:ident)*) => {$(
        // SAFETY: `memcpy_fromio()` writes exactly `len` bytes of `buffer`, `memcpy_toio()`
        // reads exactly `len` of it, and `memset_io()` writes exactly the view's `len` bytes;
        // `len` is the view's size in all three, and the views are valid MMIO locations.
        unsafe impl IoCopyable for $backend {
            #[inline]
            unsafe fn copy_from_io(view: <Self as IoBackend>::View<'_, [u8]>, buffer: *mut u8) {
                let src = Self::as_ptr(view);
                // SAFETY: The view's invariant makes `src` a mapped MMIO location of `src.len()`
                // bytes; the caller guarantees that `buffer` is writable for as many bytes.
                unsafe {
                    bindings::memcpy_fromio(buffer.cast(), src.cast_const().cast(), src.len())
                }
            }

            #[inline]
            unsafe fn copy_to_io(view: <Self as IoBackend>::View<'_, [u8]>, buffer: *const u8) {
                let dst = Self::as_ptr(view);
                // SAFETY: The view's invariant makes `dst` a mapped MMIO location of `dst.len()`
                // bytes; the caller guarantees that `buffer` is readable for as many bytes.
                unsafe { bindings::memcpy_toio(dst.cast(), buffer.cast(), dst.len()) }
            }

            #[inline]
            fn fill_io(view: <Self as IoBackend>::View<'_, [u8]>, byte: u8) {
                let dst = Self::as_ptr(view);
                // SAFETY: The view's invariant makes `dst` a mapped MMIO location of `dst.len()`
                // bytes.
                unsafe { bindings::memset_io(dst.cast(), c_int::from(byte), dst.len()) }
            }
        }
    )*};
}

mmio_copies!(MmioBackend RelaxedMmioBackend);
