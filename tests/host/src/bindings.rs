// SPDX-License-Identifier: GPL-2.0

//! Stand-in for `kernel::bindings`: the C accessors the I/O sources call, as volatile
//! operations on ordinary memory, with the signatures bindgen gives the kernel's.
//!
//! This lets the host tests drive the MMIO backends against a buffer, under Miri too. Ordering
//! (barriers) and bus behaviour are not modelled: the kernel tests cover those.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use core::ffi::{c_int, c_void};

/// `phys_addr_t` on a 64-bit kernel.
pub type phys_addr_t = u64;
/// `resource_size_t` on a 64-bit kernel.
pub type resource_size_t = u64;

macro_rules! accessors {
    ($($ty:ty: $read:ident $write:ident;)*) => {$(
        #[doc = concat!("`", stringify!($read), "()`.")]
        pub unsafe fn $read(addr: *const c_void) -> $ty {
            // SAFETY: The caller passes a location valid for an aligned read.
            unsafe { addr.cast::<$ty>().read_volatile() }
        }

        #[doc = concat!("`", stringify!($write), "()`.")]
        pub unsafe fn $write(value: $ty, addr: *mut c_void) {
            // SAFETY: The caller passes a location valid for an aligned write.
            unsafe { addr.cast::<$ty>().write_volatile(value) }
        }
    )*};
}

accessors! {
    u8: port_read8 port_write8;
    u16: port_read16 port_write16;
    u32: port_read32 port_write32;
    u8: readb writeb;
    u16: readw writew;
    u32: readl writel;
    u8: readb_relaxed writeb_relaxed;
    u16: readw_relaxed writew_relaxed;
    u32: readl_relaxed writel_relaxed;
}

// As in the kernel, `readq()` and its family only exist on 64-bit kernels.
#[cfg(CONFIG_64BIT)]
accessors! {
    u64: readq writeq;
    u64: readq_relaxed writeq_relaxed;
}

/// Copies `n` bytes one volatile byte at a time, from the end if `backward`.
///
/// # Safety
///
/// `dst` is valid for writes and `src` for reads of `n` bytes.
unsafe fn copy_bytes(dst: *mut c_void, src: *const c_void, n: usize, backward: bool) {
    let (dst, src) = (dst.cast::<u8>(), src.cast::<u8>());
    for k in 0..n {
        let i = if backward { n - 1 - k } else { k };
        // SAFETY: `i < n`, within both buffers.
        unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
    }
}

/// `memcpy_fromio()`.
pub unsafe fn memcpy_fromio(to: *mut c_void, from: *const c_void, count: usize) {
    // SAFETY: Forwarded from the caller.
    unsafe { copy_bytes(to, from, count, false) }
}

/// `memcpy_toio()`.
pub unsafe fn memcpy_toio(to: *mut c_void, from: *const c_void, count: usize) {
    // SAFETY: Forwarded from the caller.
    unsafe { copy_bytes(to, from, count, false) }
}

/// `memset_io()`.
pub unsafe fn memset_io(addr: *mut c_void, value: c_int, count: usize) {
    // SAFETY: Forwarded from the caller.
    unsafe { memset(addr, value, count) };
}

/// `memcpy()`.
pub unsafe fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    // SAFETY: Forwarded from the caller.
    unsafe { copy_bytes(dest, src, n, false) };
    dest
}

/// `memmove()`.
pub unsafe fn memmove(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    // SAFETY: Forwarded from the caller; copying from the end when `dest` is above `src` never
    // overwrites a byte before it is read.
    unsafe { copy_bytes(dest, src, n, dest.cast_const() > src) };
    dest
}

/// `memset()`.
pub unsafe fn memset(s: *mut c_void, c: c_int, n: usize) -> *mut c_void {
    let byte = c as u8;
    for i in 0..n {
        // SAFETY: `i < n`, within the buffer the caller passed.
        unsafe { s.cast::<u8>().add(i).write_volatile(byte) };
    }
    s
}
