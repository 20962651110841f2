// SPDX-License-Identifier: GPL-2.0

//! MMIO accessors for arm64, written inline: `ldr`/`str` with arm64's barriers and the
//! instructions the kernel patches at boot.
//!
//! C header: [`arch/arm64/include/asm/io.h`](srctree/arch/arm64/include/asm/io.h)

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

/// Assembly for one instruction that the kernel patches at boot on some CPUs (arm64).
///
/// Expands to a template fragment: `$default` in place, and an entry in `.altinstructions`
/// (arm64's `struct alt_instr`: two 32-bit offsets, each relative to the field that holds it, to
/// the default and to its replacement, the 16-bit capability number, then the two lengths in
/// bytes) that has the kernel's alternatives code (`arch/arm64/kernel/alternative.c`) write
/// `$replacement` over `$default` when the CPUs have the capability: at boot for the kernel, at
/// load time for a module. `$cap` names the `asm!` operand, a `const`, that holds the
/// capability. The replacement is assembled out of line, in subsection 1 of the function's
/// section, after its code.
///
/// Both are single A64 instructions, 4 bytes each. The patching code requires the two lengths
/// equal, and the two `.org` lines stop the assembly if they ever differ (`.org` cannot move
/// backwards). The labels are numeric local labels, as the template may be inlined many times
/// into one function: each expansion redefines them and refers only to its own.
macro_rules! arm64_alternative {
    ($default:expr, $replacement:expr, $cap:literal) => {
        concat!(
            "7770: ",
            $default,
            "\n",
            "7771:\n",
            ".pushsection .altinstructions, \"a\"\n",
            ".word 7770b - .\n",
            ".word 7772f - .\n",
            ".hword {",
            $cap,
            "}\n",
            ".byte 7771b - 7770b\n",
            ".byte 7773f - 7772f\n",
            ".popsection\n",
            ".subsection 1\n",
            "7772: ",
            $replacement,
            "\n",
            "7773:\n",
            ".org 7772b + (7771b - 7770b)\n",
            ".previous\n",
            ".org 7770b + (7773b - 7772b)\n",
        )
    };
}

/// The load of an arm64 MMIO read, `__raw_readl()` and its family: the load instruction `$ldr`
/// of the access's width from the address in operand `addr` into operand `value`, with the two
/// boot-time patches that the C accessors carry: a `dmb osh` before the load on CPUs with
/// NVIDIA's Olympus erratum 1027 (a `nop` elsewhere), and the load-acquire form `$ldar` instead
/// of the plain load on CPUs whose device loads must be acquires. `$reg` is the register
/// modifier of the width (`w` or `x`). The `asm!` block names the two capabilities' operands
/// `olympus_1027` and `device_load_acquire`.
macro_rules! arm64_mmio_load {
    ($ldr:literal, $ldar:literal, $reg:literal) => {
        concat!(
            arm64_alternative!("nop", "dmb osh", "olympus_1027"),
            arm64_alternative!(
                concat!($ldr, " {value:", $reg, "}, [{addr}]"),
                concat!($ldar, " {value:", $reg, "}, [{addr}]"),
                "device_load_acquire"
            ),
        )
    };
}

// Rust on arm64 is little-endian only (`RUSTC_SUPPORTS_ARM64`), so the value a load returns
// needs no byte swap to be the `le32_to_cpu()` of `readl()` and its family.
const _: () = assert!(cfg!(target_endian = "little"));

/// Implements [`IoCapable`] for both MMIO backends on arm64 with inline assembly, one line per
/// width: the load, load-acquire and store mnemonics of that width and its register modifier.
///
/// These are the accessors of `arch/arm64/include/asm/io.h` (the raw accesses and the I/O
/// barriers) as `include/asm-generic/io.h` assembles them into `readl()`, `writel()` and their
/// relaxed forms, written in Rust so that they inline into the caller instead of costing a call
/// to a C helper per access:
///
/// - The access is one `ldr`/`str` of the access's width (`ldrb`, `strh`, ...) with the address
///   in a plain base register. Nothing else would do: the compiler may turn a volatile access
///   into a pre- or post-indexed one that also updates the base register, or pair two into an
///   `ldp`/`stp`, and a hypervisor emulates MMIO from the syndrome that the trap reports, which
///   describes neither form (KVM gives up on them). Inline assembly is the only way to name the
///   instruction.
/// - A read carries the boot-time patches of `__raw_readl()` (`arm64_mmio_load!`): the same
///   `.altinstructions` entries as C's, so an affected CPU runs the same code in Rust as in C.
/// - The ordered read (`readl()`) is followed by `__io_ar()`: `dmb oshld`, which orders the
///   load before later loads and stores to memory (of a DMA buffer the device has written, say),
///   and a dependency of a never-taken branch on the value read (`eor` of the value with itself,
///   then `cbnz` to itself), so that later instructions, a delay loop's read of the counter say,
///   wait for the load. The ordered write (`writel()`) is preceded by `__io_bw()`: `dmb oshst`,
///   which orders earlier stores to memory (a DMA buffer the device is about to read) before it.
/// - No block is `pure`, so each one has side effects for the compiler, like `asm volatile`:
///   it runs exactly as often as the program says, and stays in program order relative to the
///   others, ordered and relaxed alike.
/// - The ordered accessors' barriers carry a `"memory"` clobber in C, which makes them compiler
///   barriers. An `asm!` block without `nomem` or `readonly` may read and write any memory the
///   program can reach, which is the same promise: the compiler completes the stores to normal
///   memory before it and does not move loads from after it up across it. The barrier and the
///   access are one block, so nothing the compiler emits comes between them.
/// - The relaxed accessors (`readl_relaxed()`, `writel_relaxed()`) are the raw accesses alone,
///   with no barrier and no clobber in C. `nomem` says the same: the block touches no memory
///   that Rust code can reach, which is true, as the I/O location is not Rust memory and is
///   passed as a plain address. Without `pure` the blocks keep their order among themselves.
/// - `nostack`: nothing is pushed; `preserves_flags`: the loads, stores, barriers, `eor` and
///   `cbnz` leave the condition flags alone.
///
/// C passes a read's address in a register, as the block does. It passes a write's location as
/// a memory operand, which lets a compiler fold a field's offset into the `str` (`str w1, [x0,
/// #8]`) where the block needs an `add` first; clang, which builds arm64 kernels with Rust, forms
/// the address in a register there too, so every access is C's instructions (measured by the
/// codegen stage). There is no call.
macro_rules! mmio_arm64_accessors {
    ($($ty:ty => $ldr:literal, $ldar:literal, $str:literal, $reg:literal;)*) => {$(
        impl IoCapable<$ty> for MmioBackend {
            #[inline(always)]
            fn io_read(view: <Self as IoBackend>::View<'_, $ty>) -> $ty {
                let addr = Self::as_ptr(view).addr();
                let value: $ty;
                // SAFETY: The view's invariant makes `addr` a mapped MMIO location, aligned for
                // the access. The block is one load of that location into `value` and the
                // barriers of `readl()` after it (the `cbnz` is never taken: the `eor` of a
                // value with itself is zero); `tmp` is a scratch register. The alternative
                // entries replace one instruction with another of the same length, and the
                // options describe the block (see the macro's documentation).
                unsafe {
                    core::arch::asm!(
                        arm64_mmio_load!($ldr, $ldar, $reg),
                        "dmb oshld",
                        "eor {tmp}, {value:x}, {value:x}",
                        "cbnz {tmp}, .",
                        addr = in(reg) addr,
                        value = lateout(reg) value,
                        tmp = lateout(reg) _,
                        olympus_1027 = const bindings::ARM64_WORKAROUND_NVIDIA_OLYMPUS_1027,
                        device_load_acquire = const bindings::ARM64_WORKAROUND_DEVICE_LOAD_ACQUIRE,
                        options(nostack, preserves_flags),
                    );
                }
                value
            }

            #[inline(always)]
            fn io_write(view: <Self as IoBackend>::View<'_, $ty>, value: $ty) {
                let addr = Self::as_ptr(view).addr();
                // SAFETY: The view's invariant makes `addr` a mapped MMIO location, aligned for
                // the access. The block is the barrier of `writel()`, then one store of `value`
                // to that location, and the options describe it (see the macro's
                // documentation).
                unsafe {
                    core::arch::asm!(
                        "dmb oshst",
                        concat!($str, " {value:", $reg, "}, [{addr}]"),
                        addr = in(reg) addr,
                        value = in(reg) value,
                        options(nostack, preserves_flags),
                    );
                }
            }
        }

        impl IoCapable<$ty> for RelaxedMmioBackend {
            #[inline(always)]
            fn io_read(view: <Self as IoBackend>::View<'_, $ty>) -> $ty {
                let addr = Self::as_ptr(view).addr();
                let value: $ty;
                // SAFETY: The view's invariant makes `addr` a mapped MMIO location, aligned for
                // the access. The block is one load of that location into `value`; the
                // alternative entries replace one instruction with another of the same length,
                // and the options describe the block (see the macro's documentation).
                unsafe {
                    core::arch::asm!(
                        arm64_mmio_load!($ldr, $ldar, $reg),
                        addr = in(reg) addr,
                        value = lateout(reg) value,
                        olympus_1027 = const bindings::ARM64_WORKAROUND_NVIDIA_OLYMPUS_1027,
                        device_load_acquire = const bindings::ARM64_WORKAROUND_DEVICE_LOAD_ACQUIRE,
                        options(nomem, nostack, preserves_flags),
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
                        concat!($str, " {value:", $reg, "}, [{addr}]"),
                        addr = in(reg) addr,
                        value = in(reg) value,
                        options(nomem, nostack, preserves_flags),
                    );
                }
            }
        }
    )*};
}

// `readb()` ... `writeq()` and their relaxed forms.
mmio_arm64_accessors! {
    u8 => "ldrb", "ldarb", "strb", "w";
    u16 => "ldrh", "ldarh", "strh", "w";
    u32 => "ldr", "ldar", "str", "w";
    u64 => "ldr", "ldar", "str", "x";
}
