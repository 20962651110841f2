// SPDX-License-Identifier: GPL-2.0

//! Stand-in for `kernel::error`: negative errno values.

use core::fmt;

/// A kernel error code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error(i32);

/// `Result` with [`Error`] as the default error type, as in the kernel.
pub type Result<T = (), E = Error> = core::result::Result<T, E>;

impl Error {
    /// Returns the negative errno value.
    pub fn to_errno(self) -> i32 {
        self.0
    }

    /// Returns the symbolic name of the error, like the kernel's `Error::name()`.
    pub fn name(self) -> Option<&'static str> {
        code::NAMES
            .iter()
            .find(|(e, _)| *e == self)
            .map(|(_, n)| *n)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Error({})", self.0),
        }
    }
}

impl From<core::num::TryFromIntError> for Error {
    fn from(_: core::num::TryFromIntError) -> Self {
        code::EINVAL
    }
}

/// Error codes.
pub mod code {
    use super::Error;

    macro_rules! codes {
        ($($name:ident = $errno:literal,)*) => {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: Error = Error(-$errno);
            )*
            pub(super) const NAMES: &[(Error, &str)] = &[$(($name, stringify!($name)),)*];
        };
    }

    codes! {
        EIO = 5,
        ENOMEM = 12,
        EBUSY = 16,
        ENODEV = 19,
        EINVAL = 22,
        ERANGE = 34,
        EOVERFLOW = 75,
        ENOTSUPP = 524,
    }
}
