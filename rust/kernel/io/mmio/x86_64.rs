// SPDX-License-Identifier: GPL-2.0

//! MMIO accessors for x86-64, written inline: a `mov` each.
//!
//! C header: [`arch/x86/include/asm/io.h`](srctree/arch/x86/include/asm/io.h)

use crate::io::{
    IoBackend,
    IoCapable, //
};

use super::{
    MmioBackend,
    RelaxedMmioBackend, //
};

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
mmio_asm_accessors!(MmioBackend, options(nostack, preserves_flags) {
    u8 => "b", reg_byte, "";
    u16 => "w", reg, ":x";
    u32 => "l", reg, ":e";
    u64 => "q", reg, ":r";
});

// `readb_relaxed()` ... `writeq_relaxed()`: no barrier for normal memory (`nomem`).
mmio_asm_accessors!(RelaxedMmioBackend, options(nomem, nostack, preserves_flags) {
    u8 => "b", reg_byte, "";
    u16 => "w", reg, ":x";
    u32 => "l", reg, ":e";
    u64 => "q", reg, ":r";
});
