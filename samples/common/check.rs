// SPDX-License-Identifier: GPL-2.0

//! Check macros for functions that return [`Result`], and [`debug_is`] for `Debug` output.
//!
//! [`check!`] and [`check_eq!`] print what went wrong, with the file and line, as a KTAP
//! diagnostic, and return `Err(EINVAL)` from the enclosing function. Driver samples turn the
//! outcome of a check into a KTAP result line (`ktap.rs`); KUnit tests return it, and KUnit
//! reports the failed case.

/// Fails the enclosing check with `EINVAL` unless `cond` holds, printing the condition.
#[allow(unused_macros)]
macro_rules! check {
    ($cond:expr $(,)?) => {
        if !$cond {
            ::kernel::pr_err!(
                "    # {}:{}: check failed: {}\n",
                file!(),
                line!(),
                stringify!($cond)
            );
            return Err(::kernel::error::code::EINVAL);
        }
    };
}

/// Fails the enclosing check with `EINVAL` unless `got == want`, printing both values.
///
/// Integers print in hex: a 32-bit arm kernel cannot format a `u64` in decimal (that divides,
/// and the kernel's Rust has no 64-bit division there), and registers read best in hex anyway.
#[allow(unused_macros)]
macro_rules! check_eq {
    ($got:expr, $want:expr $(,)?) => {{
        let (got, want) = (&$got, &$want);
        if *got != *want {
            ::kernel::pr_err!(
                "    # {}:{}: {} = {:x?}, expected {:x?} (in hex)\n",
                file!(),
                line!(),
                stringify!($got),
                got,
                want
            );
            return Err(::kernel::error::code::EINVAL);
        }
    }};
}

#[allow(unused_imports)]
pub(crate) use {check, check_eq};

/// Checks that `value` formats with `{:?}` as `want`.
#[allow(dead_code)]
pub(crate) fn debug_is(
    value: impl core::fmt::Debug,
    want: core::fmt::Arguments<'_>,
) -> kernel::error::Result {
    use kernel::{error::code::EINVAL, prelude::fmt, str::CString};

    let got = CString::try_from_fmt(fmt!("{:?}", value))?;
    let want = CString::try_from_fmt(want)?;
    check_eq!(
        got.to_str().map_err(|_| EINVAL)?,
        want.to_str().map_err(|_| EINVAL)?
    );
    Ok(())
}

/// A pointer to `addr`, for `{:p}`: it prints an address as a view's `Debug` does, as `%p`.
#[allow(dead_code)]
pub(crate) fn at(addr: usize) -> *const u8 {
    core::ptr::without_provenance(addr)
}
