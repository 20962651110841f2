// SPDX-License-Identifier: GPL-2.0

//! Stand-in for `kernel::build_assert`.
//!
//! `static_assert!` and `const_assert!` are the kernel's: compile-time checks. `build_assert!`
//! and `build_error!` rely on the optimizer in the kernel and fail at link time; here they panic
//! when reached, which is what the kernel does with `CONFIG_RUST_BUILD_ASSERT_ALLOW=y`.

pub use crate::{
    build_assert_macro as build_assert,
    build_error,
    const_assert,
    static_assert, //
};

/// Reports a failed build-time assertion.
#[inline(never)]
#[track_caller]
pub const fn build_error_fn(msg: &'static str) -> ! {
    panic!("{}", msg)
}

/// Asserts a condition on constants outside any body.
#[macro_export]
macro_rules! static_assert {
    ($condition:expr $(,$arg:literal)?) => {
        const _: () = ::core::assert!($condition $(,$arg)?);
    };
}

/// Asserts a condition on constants and generics, evaluated at monomorphization.
#[macro_export]
macro_rules! const_assert {
    ($condition:expr $(,$arg:literal)?) => {
        const { ::core::assert!($condition $(,$arg)?) };
    };
}

/// Fails the build if reached (here: panics with "build_error: ...").
#[macro_export]
macro_rules! build_error {
    () => {{
        $crate::build_assert::build_error_fn("build_error")
    }};
    ($msg:expr) => {{
        $crate::build_assert::build_error_fn(concat!("build_error: ", $msg))
    }};
}

/// Asserts a condition the optimizer must prove (here: checked at runtime).
#[macro_export]
macro_rules! build_assert_macro {
    ($cond:expr $(,)?) => {{
        if !$cond {
            $crate::build_assert::build_error_fn(concat!(
                "build_error: assertion failed: ",
                stringify!($cond)
            ));
        }
    }};
    ($cond:expr, $msg:expr) => {{
        if !$cond {
            $crate::build_assert::build_error_fn(concat!("build_error: ", $msg));
        }
    }};
}
