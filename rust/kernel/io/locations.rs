// SPDX-License-Identifier: GPL-2.0

//! Where offsets and registers can be used.
//!
//! An [`IoLoc<Base, T>`] says that a location (a `usize` offset, a register created by
//! `register!`) can be accessed within a view of `Base`. 7.3 ties every location to an
//! `Align4` [`Region`]; here the same locations also apply to:
//!
//! - regions of any alignment, so a `u64` register or `read64()` at a constant offset builds on
//!   a [`Region<SIZE, Align8>`](Region);
//! - byte views (`[u8]`), reached with the runtime-checked accessors;
//! - typed views of a plain-data struct that opts in with [`RegisterBlock`], so registers can
//!   be described inside a `#[repr(C)]` register block and accessed through its view.
//!
//! The bounds and alignment of each access are still checked against the view it is made on.
//!
//! # Examples
//!
//! ```
//! use kernel::io::{io_project, Io, RegisterBlock, SysMem};
//! use kernel::prelude::*;
//!
//! #[repr(C)]
//! #[derive(FromBytes, IntoBytes)]
//! struct Block {
//!     ctrl: u32,
//!     status: u32,
//!     counter: u64,
//! }
//!
//! impl RegisterBlock for Block {}
//!
//! let mut block = Block { ctrl: 0, status: 0x55, counter: 0 };
//! let io = SysMem::from_mut(&mut block);
//! io.write32(1, 0);
//! assert_eq!(io.read32(4), 0x55);
//! // A 64-bit kernel writes the counter in one access; a 32-bit one has no such access and
//! // writes it as two 32-bit halves, the low one (at offset 8) first.
//! #[cfg(CONFIG_64BIT)]
//! io.write64(u64::MAX, 8);
//! #[cfg(not(CONFIG_64BIT))]
//! io_project!(io, .counter).write_lo_hi(u64::MAX);
//! assert_eq!(io.try_read32(16), Err(ERANGE));
//! assert_eq!((block.ctrl, block.counter), (1, u64::MAX));
//! ```

use crate::prelude::*;

use super::{
    endian::{
        Be16,
        Be32,
        Be64,
        Le16,
        Le32,
        Le64, //
    },
    region::RegionAlign,
    traits::IoLoc,
    Region, //
};
#[cfg(CONFIG_RUST)]
use super::{
    region::Align8,
    register::{
        FixedRegister,
        FixedRegisterLoc,
        LocatedRegister,
        RegisterArray,
        RegisterArrayLoc,
        RegisterBase,
        RelativeRegister,
        RelativeRegisterArray,
        RelativeRegisterArrayLoc,
        RelativeRegisterLoc, //
    },
};

/// Makes a plain `usize` offset a location of each listed primitive within the given bases.
///
/// `usize` and the primitives are not a driver's types, so no driver can write an impl that
/// these overlap: a driver's `IoLoc` impls always name a type of its own.
macro_rules! offset_locations {
    ($($generics:tt $base:ty;)*) => {$(
        offset_locations!(@each $generics $base; u8 u16 u32 u64 Le16 Le32 Le64 Be16 Be32 Be64);
    )*};
    (@each $generics:tt $base:ty; $($ty:ty)*) => {$(
        offset_locations!(@one $generics $base; $ty);
    )*};
    (@one [$($generics:tt)*] $base:ty; $ty:ty) => {
        impl<$($generics)*> IoLoc<$base, $ty> for usize {
            type IoType = $ty;

            #[inline(always)]
            fn offset(self) -> usize {
                self
            }
        }
    };
}

offset_locations! {
    [const SIZE: usize, A: RegionAlign] Region<SIZE, A>;
    [] [u8];
    [S: RegisterBlock] S;
}

/// A plain-data struct whose views take offsets and registers, as a [`Region`] view does.
///
/// Implementing it opts the struct in: `read32(offset)`, `try_write(location, value)`, `register!`
/// registers and the other location accessors then work on its views, each access checked
/// against the struct's size and alignment like any other.
///
/// It is an opt-in rather than a blanket impl for every `FromBytes + IntoBytes` type, so that a
/// driver written for 7.3 keeps building: such a driver may implement `IoLoc<ItsStruct, u32>` for
/// `usize` itself, and a blanket impl would overlap its impl (E0119).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not take offsets or registers",
    label = "a view of `{Self}`, which is not a `RegisterBlock`",
    note = "opt in with `impl kernel::io::RegisterBlock for {Self} {{}}`, or project to a field"
)]
pub trait RegisterBlock: FromBytes + IntoBytes {}

/// Implements [`IoLoc`] on a base for the location types of `io::register` and `()`, each
/// borrowing the offset of 7.3's impl for an `Align4` [`Region`].
///
/// Every impl names the kind of location it is for, a type of the kernel crate's. None is a
/// blanket impl over any location `L`, which would overlap a driver's own location type or a
/// generic adapter of its own (`impl<B, T, L: IoLoc<B, T>> IoLoc<B, T> for Plus<L>`, E0119).
#[cfg(CONFIG_RUST)]
macro_rules! register_locations {
    ($($generics:tt $base:ty;)*) => {$(
        register_locations!(@kinds $generics $base;
            [T: FixedRegister] ();
            [T: FixedRegister] FixedRegisterLoc<T>;
            [T: RelativeRegister, B: RegisterBase<T::BaseFamily> + ?Sized]
                RelativeRegisterLoc<T, B>;
            [T: RegisterArray] RegisterArrayLoc<T>;
            [T: RelativeRegisterArray, B: RegisterBase<T::BaseFamily> + ?Sized]
                RelativeRegisterArrayLoc<T, B>;
        );
    )*};
    (@kinds $generics:tt $base:ty; $($bounds:tt $loc:ty;)*) => {$(
        register_locations!(@one $generics $bounds $base; $loc);
    )*};
    (@one [$($generics:tt)*] [$($bounds:tt)*] $base:ty; $loc:ty) => {
        impl<$($generics)* $($bounds)*> IoLoc<$base, T> for $loc {
            type IoType = <$loc as IoLoc<Region, T>>::IoType;

            #[inline(always)]
            fn offset(self) -> usize {
                <$loc as IoLoc<Region, T>>::offset(self)
            }
        }
    };
}

/// Implements, on a base, what a fixed register's value does as its own location: [`IoLoc`] for
/// the register type itself (a register value names its own location) and [`LocatedRegister`]
/// (`write_reg(value)`).
///
/// The register type is a driver's own type (`register!` defines it in the driver), so these
/// are only for bases a 7.3 driver cannot have given it impls for: regions of another alignment
/// than 7.3's, and structs that opted in with [`RegisterBlock`]. On a byte view a 7.3 driver may
/// already have written `impl IoLoc<[u8], MyReg> for MyReg` itself; the location types of
/// [`register_locations`] serve there.
#[cfg(CONFIG_RUST)]
macro_rules! located_registers {
    ($([$($generics:tt)*] $base:ty;)*) => {$(
        impl<$($generics)* T: FixedRegister> IoLoc<$base, T> for T {
            type IoType = T::Storage;

            #[inline(always)]
            fn offset(self) -> usize {
                T::OFFSET
            }
        }

        impl<$($generics)* T: FixedRegister> LocatedRegister<$base> for T {
            type Value = T;
            type Location = FixedRegisterLoc<T>;

            #[inline(always)]
            fn into_io_op(self) -> (FixedRegisterLoc<T>, T) {
                (FixedRegisterLoc::new(), self)
            }
        }
    )*};
}

#[cfg(CONFIG_RUST)]
register_locations! {
    [const SIZE: usize,] Region<SIZE, Align8>;
    [] [u8];
    [S: RegisterBlock,] S;
}

#[cfg(CONFIG_RUST)]
located_registers! {
    [const SIZE: usize,] Region<SIZE, Align8>;
    [S: RegisterBlock,] S;
}
