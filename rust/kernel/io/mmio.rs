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
        IoBase,
        IoCapable, //
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

/// Implements [`IoCapable`] for an MMIO backend with the given C accessors, one line per width.
///
/// These are the kernel's own accessors, through its C helpers (`rust_helper_readl()`, ...). With
/// `CONFIG_RUST_INLINE_HELPERS` (clang and rustc sharing one LLVM), the helpers' bitcode is
/// linked into every Rust object and inlined, so each access is exactly the C accessor's code,
/// barriers, alternatives and all, with a field's offset folded into the instruction as C does
/// (measured by the codegen stage); they are used on every architecture then. Without it the
/// helpers are out-of-line calls, and x86-64 has the inline accessors below instead.
#[cfg(any(not(CONFIG_X86_64), CONFIG_RUST_INLINE_HELPERS))]
macro_rules! mmio_accessors {
    ($backend:ident { $($ty:ty => $read:ident, $write:ident;)* }) => {$(
        impl IoCapable<$ty> for $backend {
            #[inline]
            fn io_read(view: <Self as IoBackend>::View<'_, $ty>) -> $ty {
                let addr = Self::as_ptr(view);
                // SAFETY: The view's invariant makes `addr` a mapped, aligned MMIO location.
                unsafe { bindings::$read(addr.cast_const().cast()) }
            }

            #[inline]
            fn io_write(view: <Self as IoBackend>::View<'_, $ty>, value: $ty) {
                let addr = Self::as_ptr(view);
                // SAFETY: The view's invariant makes `addr` a mapped, aligned MMIO location.
                unsafe { bindings::$write(value, addr.cast()) }
            }
        }
    )*};
}

#[cfg(any(not(CONFIG_X86_64), CONFIG_RUST_INLINE_HELPERS))]
mmio_accessors!(MmioBackend {
    u8 => readb, writeb;
    u16 => readw, writew;
    u32 => readl, writel;
});

#[cfg(any(not(CONFIG_X86_64), CONFIG_RUST_INLINE_HELPERS))]
mmio_accessors!(RelaxedMmioBackend {
    u8 => readb_relaxed, writeb_relaxed;
    u16 => readw_relaxed, writew_relaxed;
    u32 => readl_relaxed, writel_relaxed;
});

byte_order_accessors!(MmioBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);
byte_order_accessors!(RelaxedMmioBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);

// 64-bit MMIO accessors only exist on 64-bit kernels.
#[cfg(CONFIG_64BIT)]
byte_order_accessors!(MmioBackend, little: u64 => Le64 Be64;);

#[cfg(CONFIG_64BIT)]
byte_order_accessors!(RelaxedMmioBackend, little: u64 => Le64 Be64;);

#[cfg(all(CONFIG_64BIT, any(not(CONFIG_X86_64), CONFIG_RUST_INLINE_HELPERS)))]
mmio_accessors!(MmioBackend {
    u64 => readq, writeq;
});

#[cfg(all(CONFIG_64BIT, any(not(CONFIG_X86_64), CONFIG_RUST_INLINE_HELPERS)))]
mmio_accessors!(RelaxedMmioBackend {
    u64 => readq_relaxed, writeq_relaxed;
});

/// Implements [`IoCapable`] for an MMIO backend on x86-64 with inline assembly, one line per
/// width: the mnemonic suffix, the register class and the operand modifier of that width.
///
/// These are the accessors of `arch/x86/include/asm/io.h`, written in Rust so that they inline
/// into the caller instead of costing a call to a C helper per access:
///
/// - The access is one `mov` of the access's width between a register and the I/O address, as
///   in C. Nothing else would do: the compiler may fold a volatile load into another
///   instruction (`add`, `cmp`, even a read-modify-write `or` to memory), and confidential
///   guests (TDX, SEV-ES) emulate MMIO by decoding the faulting instruction, which only works
///   for plain moves. Inline assembly is the only way to name the instruction.
/// - No block is `pure`, so each one has side effects for the compiler, like `asm volatile`:
///   it runs exactly as often as the program says, and stays in program order relative to the
///   others, ordered and relaxed alike. The CPU keeps that order on uncached memory.
/// - The ordered accessors (`readl()`, `writel()`) carry a `"memory"` clobber in C, which makes
///   them compiler barriers. An `asm!` block without `nomem` or `readonly` may read and write
///   any memory the program can reach, which is the same promise: the compiler must complete
///   the stores to normal memory before it (a DMA buffer the device is about to read) and may
///   not move loads from after it (a buffer the device has written) up across it.
/// - The relaxed accessors (`__readl()`, `__writel()`) have no clobber in C: only the I/O
///   location itself is their operand, so the compiler may move accesses to normal memory
///   across them. `nomem` says exactly that: the block touches no memory that Rust code can
///   reach. That is true, as the I/O location is not Rust memory; it is reached only by these
///   blocks, and it is passed to them as a plain address, not as a pointer into anything Rust
///   knows of. `nomem` does not let the compiler reorder the blocks themselves: without `pure`
///   they keep their side effects and their order relative to each other.
/// - `nostack`: a `mov` pushes nothing; `preserves_flags`: a `mov` leaves the flags alone (C
///   cannot say so: GCC assumes every x86 `asm` clobbers them).
///
/// The cost that remains is in the addressing: C passes the location as an `"m"` operand, so the
/// compiler folds a field's offset into the `mov` (`movl 0x4(%rdi),%eax`), while `asm!` takes
/// registers only, which may take one more instruction to form the address. There is no call.
#[cfg(all(CONFIG_X86_64, not(CONFIG_RUST_INLINE_HELPERS)))]
macro_rules! mmio_asm_accessors {
    (
        $backend:ident, options $options:tt {
            $($ty:ty => $suffix:literal, $class:ident, $modifier:literal;)*
        }
    ) => {$(
        impl IoCapable<$ty> for $backend {
            #[inline(always)]
            fn io_read(view: <Self as IoBackend>::View<'_, $ty>) -> $ty {
                let addr = Self::as_ptr(view).addr();
                let value: $ty;
                // SAFETY: The view's invariant makes `addr` a mapped MMIO location, aligned for
                // the access. The block is one load of that location into `value`, and the
                // options describe it (see the macro's documentation).
                unsafe {
                    core::arch::asm!(
                        concat!("mov", $suffix, " ({addr}), {value", $modifier, "}"),
                        addr = in(reg) addr,
                        value = lateout($class) value,
                        options(att_syntax),
                        options $options,
                    );
                }
                value
            }

            #[inline(always)]
            fn io_write(view: <Self as IoBackend>::View<'_, $ty>, value: $ty) {
                let addr = Self::as_ptr(view).addr();
                // SAFETY: The view's invariant makes `addr` a mapped MMIO location, aligned for
                // the access. The block is one store of `value` to that location, and the
                // options describe it (see the macro's documentation).
                unsafe {
                    core::arch::asm!(
                        concat!("mov", $suffix, " {value", $modifier, "}, ({addr})"),
                        addr = in(reg) addr,
                        value = in($class) value,
                        options(att_syntax),
                        options $options,
                    );
                }
            }
        }
    )*};
}

// `readb()` ... `writeq()`: compiler barriers, like the C accessors' "memory" clobber.
#[cfg(all(CONFIG_X86_64, not(CONFIG_RUST_INLINE_HELPERS)))]
mmio_asm_accessors!(MmioBackend, options(nostack, preserves_flags) {
    u8 => "b", reg_byte, "";
    u16 => "w", reg, ":x";
    u32 => "l", reg, ":e";
    u64 => "q", reg, ":r";
});

// `readb_relaxed()` ... `writeq_relaxed()`: no barrier for normal memory (`nomem`).
#[cfg(all(CONFIG_X86_64, not(CONFIG_RUST_INLINE_HELPERS)))]
mmio_asm_accessors!(RelaxedMmioBackend, options(nomem, nostack, preserves_flags) {
    u8 => "b", reg_byte, "";
    u16 => "w", reg, ":x";
    u32 => "l", reg, ":e";
    u64 => "q", reg, ":r";
});

/// Implements [`IoCopyable`] for an MMIO backend with `memcpy_fromio()` and `memcpy_toio()`.
///
/// Both backends share the C copies: they are not ordered against normal memory in either case,
/// so a relaxed copy is the same operation.
///
/// There is no helper call in between on x86: `memcpy_fromio()` and `memcpy_toio()` are real
/// exported functions there (`arch/x86/lib/iomem.c`), which bindgen sees, and the bindings crate
/// prefers them over the `rust_helper_` wrappers. Architectures that define the copies inline
/// reach them through the helpers.
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
