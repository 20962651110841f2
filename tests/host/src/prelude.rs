// SPDX-License-Identifier: GPL-2.0

//! Stand-in for `kernel::prelude`: the items the I/O sources and their doctests use.

pub use core::ffi::{c_int, c_uint, c_ulong, c_void};
pub use core::mem::{align_of, size_of};

pub use zerocopy::{FromBytes, IntoBytes};

pub use crate::build_assert::{build_assert, build_error, const_assert, static_assert};
pub use crate::error::{code::*, Error, Result};
