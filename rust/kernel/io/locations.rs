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
//! - typed views of any plain-data struct (`FromBytes + IntoBytes`), so registers can be
//!   described inside a `#[repr(C)]` register block and accessed through its view.
//!
//! The bounds and alignment of each access are still checked against the view it is made on.
//!
//! # Examples
//!
//! ```
//! use kernel::io::{Io, SysMem};
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
//! let mut block = Block { ctrl: 0, status: 0x55, counter: 0 };
//! let io = SysMem::from_mut(&mut block);
//! io.write32(1, 0);
//! assert_eq!(io.read32(4), 0x55);
//! io.write64(u64::MAX, 8);
//! assert_eq!(io.try_read32(16), Err(ERANGE));
//! assert_eq!((block.ctrl, block.counter), (1, u64::MAX));
//! ```

use crate::prelude::*;

#[cfg(CONFIG_RUST)]
use super::register::LocatedRegister;
use super::{
    region::{
        Align4,
        Align8, //
    },
    traits::IoLoc,
    Region, //
};

/// Makes a plain `usize` offset a location of the listed primitives within an `Align4` region,
/// the reference base that every other base below borrows its locations from.
macro_rules! offset_locations {
    ($($ty:ty)*) => {$(
        impl<const SIZE: usize> IoLoc<Region<SIZE, Align4>, $ty> for usize {
            type IoType = $ty;

            #[inline(always)]
            fn offset(self) -> usize {
                self
            }
        }
    )*};
}

offset_locations!(u8 u16 u32 u64);

/// Implements [`IoLoc<$base, T>`] for every location `L` that is one in a [`Region`]: the offset
/// of a location does not depend on the base it is used in.
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
    [const SIZE: usize,] Region<SIZE, Align8>;
    [] [u8];
    [S: FromBytes + IntoBytes,] S;
}
