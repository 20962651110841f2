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
//! use kernel::io::{Io, RegisterBlock, SysMem};
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
//! io.write64(u64::MAX, 8);
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

/// Makes a plain `usize` offset a location of the listed primitives within a region of any
/// alignment.
macro_rules! offset_locations {
    ($($ty:ty)*) => {$(
        impl<const SIZE: usize, A: RegionAlign> IoLoc<Region<SIZE, A>, $ty> for usize {
            type IoType = $ty;

            #[inline(always)]
            fn offset(self) -> usize {
                self
            }
        }
    )*};
}

offset_locations!(u8 u16 u32 u64 Le16 Le32 Le64 Be16 Be32 Be64);

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

/// Implements [`IoLoc<$base, T>`] for every location `L` that is one in an `Align4` [`Region`]
/// (7.3's only base): a location's offset does not depend on the base it is used in.
macro_rules! borrowed_locations {
    ($([$($generics:tt)*] $base:ty;)*) => {$(
        impl<$($generics)* T, L: IoLoc<Region, T>> IoLoc<$base, T> for L {
            type IoType = L::IoType;

            #[inline(always)]
            fn offset(self) -> usize {
                <L as IoLoc<Region, T>>::offset(self)
            }
        }

        #[cfg(CONFIG_RUST)]
        impl<$($generics)* V: LocatedRegister<Region>> LocatedRegister<$base> for V {
            type Value = V::Value;
            type Location = V::Location;

            #[inline(always)]
            fn into_io_op(self) -> (V::Location, V::Value) {
                <V as LocatedRegister<Region>>::into_io_op(self)
            }
        }
    )*};
}

borrowed_locations! {
    [] [u8];
    [S: RegisterBlock,] S;
}

/// Implements [`IoLoc`] on `Align8` regions for a kind of register location, borrowing the
/// offset of its `Align4` impl. (Plain offsets already cover every alignment, so the blanket
/// form used for the other bases would overlap them here.)
#[cfg(CONFIG_RUST)]
macro_rules! align8_register_locations {
    ($([$($generics:tt)*] $loc:ty;)*) => {$(
        impl<const SIZE: usize, $($generics)*> IoLoc<Region<SIZE, Align8>, T> for $loc {
            type IoType = <$loc as IoLoc<Region, T>>::IoType;

            #[inline(always)]
            fn offset(self) -> usize {
                <$loc as IoLoc<Region, T>>::offset(self)
            }
        }
    )*};
}

#[cfg(CONFIG_RUST)]
align8_register_locations! {
    [T: FixedRegister] ();
    [T: FixedRegister] T;
    [T: FixedRegister] FixedRegisterLoc<T>;
    [T: RelativeRegister, B: RegisterBase<T::BaseFamily> + ?Sized] RelativeRegisterLoc<T, B>;
    [T: RegisterArray] RegisterArrayLoc<T>;
    [T: RelativeRegisterArray, B: RegisterBase<T::BaseFamily> + ?Sized]
        RelativeRegisterArrayLoc<T, B>;
}

#[cfg(CONFIG_RUST)]
impl<const SIZE: usize, T: FixedRegister> LocatedRegister<Region<SIZE, Align8>> for T {
    type Value = T;
    type Location = FixedRegisterLoc<T>;

    #[inline(always)]
    fn into_io_op(self) -> (FixedRegisterLoc<T>, T) {
        (FixedRegisterLoc::new(), self)
    }
}
