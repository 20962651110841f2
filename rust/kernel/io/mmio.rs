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
/// helpers are out-of-line calls, and x86-64 and arm64 have the inline accessors below instead.
/// On arm64 with `CONFIG_TRACE_MMIO_ACCESS` the C accessors also call the MMIO tracepoints
/// (`include/asm-generic/io.h`), which the inline ones would skip: the helpers serve there too.
#[cfg(any(
    CONFIG_RUST_INLINE_HELPERS,
    not(any(CONFIG_X86_64, CONFIG_ARM64)),
    all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
))]
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

#[cfg(any(
    CONFIG_RUST_INLINE_HELPERS,
    not(any(CONFIG_X86_64, CONFIG_ARM64)),
    all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
))]
mmio_accessors!(MmioBackend {
    u8 => readb, writeb;
    u16 => readw, writew;
    u32 => readl, writel;
});

#[cfg(any(
    CONFIG_RUST_INLINE_HELPERS,
    not(any(CONFIG_X86_64, CONFIG_ARM64)),
    all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
))]
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

#[cfg(all(
    CONFIG_64BIT,
    any(
        CONFIG_RUST_INLINE_HELPERS,
        not(any(CONFIG_X86_64, CONFIG_ARM64)),
        all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
    )
))]
mmio_accessors!(MmioBackend {
    u64 => readq, writeq;
});

#[cfg(all(
    CONFIG_64BIT,
    any(
        CONFIG_RUST_INLINE_HELPERS,
        not(any(CONFIG_X86_64, CONFIG_ARM64)),
        all(CONFIG_ARM64, CONFIG_TRACE_MMIO_ACCESS)
    )
))]
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
#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
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
#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
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
#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
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
#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
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
#[cfg(all(
    CONFIG_ARM64,
    not(CONFIG_RUST_INLINE_HELPERS),
    not(CONFIG_TRACE_MMIO_ACCESS)
))]
mmio_arm64_accessors! {
    u8 => "ldrb", "ldarb", "strb", "w";
    u16 => "ldrh", "ldarh", "strh", "w";
    u32 => "ldr", "ldar", "str", "w";
    u64 => "ldr", "ldar", "str", "x";
}

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
