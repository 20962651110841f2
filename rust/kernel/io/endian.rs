// SPDX-License-Identifier: GPL-2.0

//! Explicit byte order: [`Le16`], [`Le32`], [`Le64`], [`Be16`], [`Be32`], [`Be64`].
//!
//! C's MMIO accessors convert: `readl()` reads a little-endian register and returns the value in
//! the CPU's order. Plain memory accesses do not: a `u32` in a DMA buffer is in the CPU's order.
//! So a `u32` read means two different things on big-endian CPUs, depending on the backend, and
//! an [`IoSysMap`](super::IoSysMap) view could read different values for the same bytes.
//!
//! These types name the order of the bytes as the device sees them, like C's `__le32` and
//! `__be32`. Every backend that can access a `u32` can access an [`Le32`] and a [`Be32`], and each
//! performs the conversion that gives the same value from the same bytes. Use them as the field
//! types of descriptors and register blocks that a device defines.
//!
//! # Examples
//!
//! ```
//! use kernel::io::{io_read, io_write, Be32, Io, IoSysMap, Le32, SysMem};
//! use kernel::prelude::*;
//!
//! #[repr(C)]
//! #[derive(FromBytes, IntoBytes)]
//! struct Desc {
//!     addr: Le32,
//!     tag: Be32,
//! }
//!
//! let mut raw = [0u32; 2];
//! let desc = IoSysMap::from(SysMem::from_mut(&mut raw)).try_cast::<Desc>()?;
//! io_write!(desc, .addr, Le32::new(0x1122_3344));
//! io_write!(desc, .tag, Be32::new(0x1122_3344));
//! assert_eq!(io_read!(desc, .tag).get(), 0x1122_3344);
//! assert_eq!(raw.as_bytes(), [0x44, 0x33, 0x22, 0x11, 0x11, 0x22, 0x33, 0x44]);
//! # Ok::<(), Error>(())
//! ```

use core::fmt;

use crate::prelude::*;

/// Defines a byte-order type wrapping `$prim`, whose bytes in memory are `$from_bits`-ordered.
macro_rules! byte_order_type {
    ($($(#[$meta:meta])* $name:ident($prim:ty): $to_bits:ident, $from_bits:ident;)*) => {$(
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes)]
        pub struct $name($prim);

        impl $name {
            /// Wraps `value`, storing its bytes in this type's order.
            #[inline(always)]
            pub const fn new(value: $prim) -> Self {
                Self(value.$to_bits())
            }

            /// Returns the value in the CPU's order.
            #[inline(always)]
            pub const fn get(self) -> $prim {
                <$prim>::$from_bits(self.0)
            }

            /// Wraps bits exactly as they are stored in memory.
            #[inline(always)]
            pub const fn from_bits(bits: $prim) -> Self {
                Self(bits)
            }

            /// Returns the bits exactly as they are stored in memory.
            #[inline(always)]
            pub const fn to_bits(self) -> $prim {
                self.0
            }
        }

        impl From<$prim> for $name {
            #[inline(always)]
            fn from(value: $prim) -> Self {
                Self::new(value)
            }
        }

        impl From<$name> for $prim {
            #[inline(always)]
            fn from(value: $name) -> Self {
                value.get()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#x})", stringify!($name), self.get())
            }
        }
    )*};
}

byte_order_type! {
    /// A 16-bit value stored little-endian (C's `__le16`).
    Le16(u16): to_le, from_le;
    /// A 32-bit value stored little-endian (C's `__le32`).
    Le32(u32): to_le, from_le;
    /// A 64-bit value stored little-endian (C's `__le64`).
    Le64(u64): to_le, from_le;
    /// A 16-bit value stored big-endian (C's `__be16`).
    Be16(u16): to_be, from_be;
    /// A 32-bit value stored big-endian (C's `__be32`).
    Be32(u32): to_be, from_be;
    /// A 64-bit value stored big-endian (C's `__be64`).
    Be64(u64): to_be, from_be;
}

/// Implements [`IoCapable`](super::IoCapable) for the byte-order types on a backend, from its
/// primitive accessors.
///
/// `little` is for backends whose accessors convert from little-endian like `readl()` (MMIO, PCI
/// configuration space, port I/O); `native` for those that load the bytes as they are (system
/// memory). Either way the type's stored bits are what the device sees in memory.
macro_rules! byte_order_accessors {
    ($backend:ty, $order:ident: $($prim:ty => $($wrapper:ident)*;)*) => {$($(
        impl $crate::io::IoCapable<$crate::io::$wrapper> for $backend {
            #[inline(always)]
            fn io_read(
                view: <Self as $crate::io::IoBackend>::View<'_, $crate::io::$wrapper>,
            ) -> $crate::io::$wrapper {
                let value = <Self as $crate::io::IoCapable<$prim>>::io_read(
                    $crate::io::endian::order::as_primitive::<Self, _, $prim>(view),
                );
                $crate::io::$wrapper::from_bits($crate::io::endian::order::$order::to_bits(value))
            }

            #[inline(always)]
            fn io_write(
                view: <Self as $crate::io::IoBackend>::View<'_, $crate::io::$wrapper>,
                value: $crate::io::$wrapper,
            ) {
                <Self as $crate::io::IoCapable<$prim>>::io_write(
                    $crate::io::endian::order::as_primitive::<Self, _, $prim>(view),
                    $crate::io::endian::order::$order::from_bits(value.to_bits()),
                )
            }

            #[inline(always)]
            fn io_try_read(
                view: <Self as $crate::io::IoBackend>::View<'_, $crate::io::$wrapper>,
            ) -> Result<$crate::io::$wrapper> {
                let value = <Self as $crate::io::IoCapable<$prim>>::io_try_read(
                    $crate::io::endian::order::as_primitive::<Self, _, $prim>(view),
                )?;
                Ok($crate::io::$wrapper::from_bits($crate::io::endian::order::$order::to_bits(value)))
            }

            #[inline(always)]
            fn io_try_write(
                view: <Self as $crate::io::IoBackend>::View<'_, $crate::io::$wrapper>,
                value: $crate::io::$wrapper,
            ) -> Result {
                <Self as $crate::io::IoCapable<$prim>>::io_try_write(
                    $crate::io::endian::order::as_primitive::<Self, _, $prim>(view),
                    $crate::io::endian::order::$order::from_bits(value.to_bits()),
                )
            }
        }
    )*)*};
}

pub(crate) use byte_order_accessors;

/// Helpers of [`byte_order_accessors!`].
pub(crate) mod order {
    use crate::{
        io::IoBackend,
        prelude::*, //
    };

    /// Narrows a view of a byte-order type to its primitive: the same location.
    #[inline(always)]
    pub(crate) fn as_primitive<'a, B: IoBackend, W, P>(view: B::View<'a, W>) -> B::View<'a, P> {
        const_assert!(size_of::<W>() == size_of::<P>() && align_of::<W>() == align_of::<P>());
        let ptr = B::as_ptr(view);
        // SAFETY: `W` wraps `P` transparently, so `P` occupies exactly the same, aligned place.
        unsafe { B::project_view(view, ptr.cast::<P>()) }
    }

    /// Conversions for accessors that return values converted from little-endian.
    pub(crate) mod little {
        /// A primitive with a byte-order conversion.
        pub(crate) trait Swap: Copy {
            /// The bits in memory of a value read as little-endian.
            fn to_le_bits(self) -> Self;
            /// The value to write as little-endian to store `bits`.
            fn from_le_bits(bits: Self) -> Self;
        }

        macro_rules! swap {
            ($($prim:ty)*) => {$(
                impl Swap for $prim {
                    #[inline(always)]
                    fn to_le_bits(self) -> Self {
                        self.to_le()
                    }

                    #[inline(always)]
                    fn from_le_bits(bits: Self) -> Self {
                        <$prim>::from_le(bits)
                    }
                }
            )*};
        }

        swap!(u16 u32 u64);

        /// The stored bits of `value`, as returned by a little-endian accessor.
        #[inline(always)]
        pub(crate) fn to_bits<P: Swap>(value: P) -> P {
            value.to_le_bits()
        }

        /// The value to hand a little-endian accessor so that it stores `bits`.
        #[inline(always)]
        pub(crate) fn from_bits<P: Swap>(bits: P) -> P {
            P::from_le_bits(bits)
        }
    }

    /// Conversions for accessors that load and store the bytes as they are.
    pub(crate) mod native {
        /// The stored bits of `value`: itself.
        #[inline(always)]
        pub(crate) fn to_bits<P>(value: P) -> P {
            value
        }

        /// The value that stores `bits`: itself.
        #[inline(always)]
        pub(crate) fn from_bits<P>(bits: P) -> P {
            bits
        }
    }
}
