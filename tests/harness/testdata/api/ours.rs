// SPDX-License-Identifier: GPL-2.0
//! The miniature of our kernel::io for api_test.py; see upstream.rs.
#![no_std]
#![allow(missing_docs, dead_code)]

pub mod io {
    mod traits {
        pub unsafe trait Backend {}
        pub trait Loc<B: ?Sized, T> {
            fn offset(self) -> usize;
        }
    }
    pub use traits::{Backend, Loc};
    pub struct A4;
    pub struct A8;
    pub struct Region<const SIZE: usize = 0, A = A4> {
        _align: [A; 0],
        bytes: [u8],
    }
    impl<const SIZE: usize, A> Loc<Region<SIZE, A>, u32> for usize {
        fn offset(self) -> usize {
            self
        }
    }
    pub struct View<'b, U: ?Sized>(*mut U, core::marker::PhantomData<&'b ()>);
    impl<'b, U: ?Sized> View<'b, U> {
        pub fn raw(self) -> *mut U {
            self.0
        }
        pub fn added(self) {}
    }
    pub type Alias = View<'static, u32>;
}
