// SPDX-License-Identifier: GPL-2.0
//! A miniature of 7.3's kernel::io for api_test.py: what the API check must find changed,
//! generalized, removed and added against ours.rs.
#![no_std]
#![allow(missing_docs, dead_code)]

pub mod io {
    pub trait Backend {}
    pub trait Loc<B: ?Sized, T> {
        fn offset(self) -> usize;
    }
    pub struct Region<const SIZE: usize = 0> {
        bytes: [u8],
    }
    impl<const SIZE: usize> Loc<Region<SIZE>, u32> for usize {
        fn offset(self) -> usize {
            self
        }
    }
    pub struct View<'a, T: ?Sized>(*mut T, core::marker::PhantomData<&'a ()>);
    unsafe impl<T: ?Sized + Sync> Send for View<'_, T> {}
    unsafe impl<T: ?Sized + Sync> Sync for View<'_, T> {}
    pub struct Gone;
    impl<'a, T: ?Sized> View<'a, T> {
        pub fn raw(self) -> *mut T {
            self.0
        }
    }
    pub type Alias = View<'static, u32>;
}
