// SPDX-License-Identifier: GPL-2.0

//! MMIO accessors through the kernel's C accessors and their helpers.
//!
//! C header: [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h)
//!
//! Used where the layer has no inline accessor that is exactly C's (see `io/mmio.rs`): each
//! access calls `readl()` and its family, or, with `CONFIG_RUST_INLINE_HELPERS`, is their code
//! inlined.

use crate::{
    bindings,
    io::{
        IoBackend,
        IoCapable, //
    },
};

use super::{
    MmioBackend,
    RelaxedMmioBackend, //
};

/// Implements [`IoCapable`] for an MMIO backend with the given C accessors, one line per width.
///
/// These are the kernel's own accessors, through its C helpers (`rust_helper_readl()`, ...). With
/// `CONFIG_RUST_INLINE_HELPERS` (clang and rustc sharing one LLVM), the helpers' bitcode is
/// linked into every Rust object and inlined, so each access is exactly the C accessor's code,
/// barriers, alternatives and all, with a field's offset folded into the instruction as C does
/// (measured by the codegen stage); they are used on every architecture then. Without it the
/// helpers are out-of-line calls, and x86-64 and arm64 have inline accessors of their own.
/// On arm64 with `CONFIG_TRACE_MMIO_ACCESS` the C accessors also call the MMIO tracepoints
/// (`include/asm-generic/io.h`), which the inline ones would skip: the helpers serve there too.
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

mmio_accessors!(MmioBackend {
    u8 => readb, writeb;
    u16 => readw, writew;
    u32 => readl, writel;
});

mmio_accessors!(RelaxedMmioBackend {
    u8 => readb_relaxed, writeb_relaxed;
    u16 => readw_relaxed, writew_relaxed;
    u32 => readl_relaxed, writel_relaxed;
});

#[cfg(CONFIG_64BIT)]
mmio_accessors!(MmioBackend {
    u64 => readq, writeq;
});

#[cfg(CONFIG_64BIT)]
mmio_accessors!(RelaxedMmioBackend {
    u64 => readq_relaxed, writeq_relaxed;
});
