// SPDX-License-Identifier: GPL-2.0

//! [`SysMem`]: views of ordinary kernel memory that a device may access too.
//!
//! System memory is reached with plain loads and stores, but memory shared with a device (a DMA
//! buffer, a GEM object mapped for the GPU) can change under the CPU's feet, so every access is
//! volatile: the compiler neither caches nor merges nor invents accesses, just as with C's
//! `READ_ONCE()`/`WRITE_ONCE()` or the system-memory half of `iosys_map`.

use core::marker::PhantomData;

use crate::{
    bindings,
    prelude::*, //
};

use super::{
    copy::IoCopyable,
    endian::byte_order_accessors,
    region::{
        ExactSize,
        RegionAlign, //
    },
    traits::IoCapable,
    view::pointer_view,
    Region, //
};

pointer_view! {
    /// A view of a `T` in kernel memory, valid for `'a`, accessed with volatile operations.
    ///
    /// Like a `&T`, a view may be sent to and shared with other threads when `T: Sync`, as in
    /// 7.3. Its accesses are volatile, which the kernel treats as marked accesses
    /// (`READ_ONCE()`/`WRITE_ONCE()`), so threads accessing the same location through copies of
    /// a view do not race in the kernel memory model: each access of a primitive width is a
    /// single access, and copies of larger values may tear, but every value read is plain data.
    /// They order nothing, though: use the barriers of `kernel::sync::barrier`, or atomics,
    /// where one CPU must see another's writes in order.
    ///
    /// # Invariants
    ///
    /// `ptr` points to memory that is valid for volatile reads and writes of
    /// `KnownSize::size(ptr)` bytes while `'a` lasts, and is aligned for `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{io_project, io_read, io_write, Io, SysMem};
    ///
    /// #[repr(C)]
    /// struct Ring {
    ///     head: u32,
    ///     tail: u32,
    ///     slots: [u64; 4],
    /// }
    ///
    /// let mut ring = Ring { head: 0, tail: 3, slots: [0; 4] };
    /// let io = SysMem::from_mut(&mut ring);
    /// let slot = io_project!(io, .slots[build: 2]);
    /// // One 64-bit store on a 64-bit kernel; a 32-bit one has none and stores two halves.
    /// #[cfg(CONFIG_64BIT)]
    /// slot.write_val(0xfeed_f00d);
    /// #[cfg(not(CONFIG_64BIT))]
    /// slot.write_lo_hi(0xfeed_f00d);
    /// io_write!(io, .head, io_read!(io, .tail) - 1);
    /// assert_eq!(ring.head, 2);
    /// assert_eq!(ring.slots, [0, 0, 0xfeed_f00d, 0]);
    /// ```
    ///
    /// Formatting a view with `{:?}` shows its kind, address and size, never what it holds: on a
    /// device, reading registers to print them could have side effects. The address prints as
    /// `%p` prints it, hashed unless the kernel was booted with `no_hash_pointers`.
    ///
    /// ```
    /// use core::fmt::Write;
    /// use kernel::io::{io_project, SysMem};
    /// use kernel::prelude::*;
    ///
    /// /// Collects formatted text in a fixed buffer.
    /// struct Text([u8; 64], usize);
    ///
    /// impl Write for Text {
    ///     fn write_str(&mut self, s: &str) -> core::fmt::Result {
    ///         let end = self.1 + s.len();
    ///         let dst = self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?;
    ///         dst.copy_from_slice(s.as_bytes());
    ///         self.1 = end;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut words = [0x5a5a_5a5au32; 4];
    /// let io = SysMem::from_mut(&mut words);
    /// let mut shown = Text([0; 64], 0);
    /// write!(shown, "{:?}", io_project!(io, [build: 1..3])).map_err(|_| EINVAL)?;
    /// let shown = core::str::from_utf8(&shown.0[..shown.1]).map_err(|_| EINVAL)?;
    /// assert!(shown.starts_with("SysMem { addr: "));
    /// assert!(shown.ends_with(", size: 0x8 }"));
    /// # Ok::<(), Error>(())
    /// ```
    pub struct SysMem;

    /// The backend of [`SysMem`] views: volatile loads and stores to kernel memory.
    pub struct SysMemBackend;
}

// SAFETY: A view is a `&T` whose accesses are all volatile: loads, stores and byte copies of
// plain data (primitives, `FromBytes`/`IntoBytes` values, bytes). The memory stays valid for `'a`
// whichever thread uses the view, and sending it moves no `T`. The kernel's memory model is the
// LKMM, not C++11: a volatile access is a marked access there, like `READ_ONCE()`/`WRITE_ONCE()`,
// and marked accesses from several CPUs to one location are not a data race, whatever order they
// come in (Miri, which follows the C++11 model, would call them one). A value read while another
// CPU writes is at worst a mix of the bytes of both values, which `FromBytes` types accept. The
// bound `T: Sync` is 7.3's: the view hands out shared access to the `T`, as a `&T` would.
unsafe impl<T: ?Sized + Sync> Send for SysMem<'_, T> {}

// SAFETY: Sharing a view gives other threads copies of it, whose accesses are marked accesses of
// plain data, as argued for `Send`.
unsafe impl<T: ?Sized + Sync> Sync for SysMem<'_, T> {}

impl<'a, T: ?Sized> SysMem<'a, T> {
    /// Creates a view of the memory that `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` must be aligned for `T` and valid for volatile reads and writes of
    /// `KnownSize::size(ptr)` bytes while `'a` lasts. While the view or a view projected from it
    /// is used, no `&mut` reference to those bytes may be live, nor a `&` reference across a
    /// write through the view.
    #[inline]
    pub unsafe fn new(ptr: *mut T) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr,
            _lifetime: PhantomData,
        }
    }

    /// Creates a view of the value that `value` borrows, for as long as it borrows it.
    ///
    /// The view takes the place of the borrow: every access goes through it until `'a` ends.
    /// `T` must be [`ExactSize`]: the view's bounds checks are computed from `T`'s
    /// [`KnownSize`](crate::ptr::KnownSize), which for a dynamically sized type of the driver's
    /// own could claim more than the borrow covers.
    #[inline]
    pub fn from_mut(value: &'a mut T) -> Self
    where
        T: ExactSize,
    {
        // INVARIANT: A unique borrow is aligned and valid for reads and writes of the whole value
        // for `'a`, which is `KnownSize::size(ptr)` bytes as `T: ExactSize` guarantees, and no
        // access other than through the view and its copies can happen while the view holds it.
        // Copies on other threads make marked accesses, which do not race in the LKMM (see the
        // `Send` impl).
        Self {
            ptr: value,
            _lifetime: PhantomData,
        }
    }

    /// Returns the kernel virtual address of the location.
    #[inline]
    pub fn as_ptr(self) -> *mut T {
        self.ptr
    }
}

impl<'a, const SIZE: usize, A: RegionAlign> SysMem<'a, Region<SIZE, A>> {
    /// Creates a region view of the bytes that `bytes` borrows, for as long as it borrows them.
    ///
    /// Fails with [`EINVAL`] if `bytes` is not a valid [`Region<SIZE, A>`](Region): shorter than
    /// `SIZE`, or with an address or length that is not a multiple of the region's alignment.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::io::{Io, Region, SysMem};
    /// use kernel::prelude::*;
    ///
    /// let mut words = [0u32; 8];
    /// let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes())?;
    /// io.write8(0xab, 1);
    /// assert_eq!(io.read32(0), u32::from_ne_bytes([0, 0xab, 0, 0]));
    /// assert!(SysMem::<Region<64>>::try_from_bytes(words.as_mut_bytes()).is_err());
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    pub fn try_from_bytes(bytes: &'a mut [u8]) -> Result<Self> {
        let ptr = Region::ptr_try_from_raw_parts_mut(bytes.as_mut_ptr(), bytes.len())?;
        // SAFETY: `ptr` covers exactly the borrowed bytes, which are valid for `'a` and no longer
        // reachable by anything else; the check above made them a valid `Region<SIZE, A>`.
        Ok(unsafe { Self::new(ptr) })
    }
}

/// Implements [`IoCapable`] for [`SysMemBackend`] with volatile accesses, for each listed type.
macro_rules! volatile_accessors {
    ($($ty:ty)*) => {$(
        impl IoCapable<$ty> for SysMemBackend {
            #[inline]
            fn io_read(view: SysMem<'_, $ty>) -> $ty {
                // SAFETY: The view's invariant makes `ptr` aligned and valid for reads; a
                // primitive accepts any bits.
                unsafe { view.ptr.read_volatile() }
            }

            #[inline]
            fn io_write(view: SysMem<'_, $ty>, value: $ty) {
                // SAFETY: The view's invariant makes `ptr` aligned and valid for writes.
                unsafe { view.ptr.write_volatile(value) }
            }
        }
    )*};
}

volatile_accessors!(u8 u16 u32);

// Follow the MMIO backends: 64-bit accesses are single accesses only on 64-bit kernels.
#[cfg(CONFIG_64BIT)]
volatile_accessors!(u64);

byte_order_accessors!(SysMemBackend, native: u16 => Le16 Be16; u32 => Le32 Be32;);

#[cfg(CONFIG_64BIT)]
byte_order_accessors!(SysMemBackend, native: u64 => Le64 Be64;);

// SAFETY: `memcpy()`, `memset()` and `memmove()` touch exactly the view's size bytes of the
// view and of the buffer (so `copy_from_io` initializes all of them); `copy_read` and
// `copy_write` access the view's own location with the view's type.
unsafe impl IoCopyable for SysMemBackend {
    #[inline]
    unsafe fn copy_from_io(view: SysMem<'_, [u8]>, buffer: *mut u8) {
        let src = view.ptr;
        // SAFETY: `src` is readable for `src.len()` bytes (invariant); the caller guarantees that
        // `buffer` is writable for as many and does not overlap. `memcpy()` is an external call,
        // so the compiler cannot merge or drop it like a local copy.
        unsafe { bindings::memcpy(buffer.cast(), src.cast_const().cast(), src.len()) };
    }

    #[inline]
    unsafe fn copy_to_io(view: SysMem<'_, [u8]>, buffer: *const u8) {
        let dst = view.ptr;
        // SAFETY: `dst` is writable for `dst.len()` bytes (invariant); the caller guarantees that
        // `buffer` is readable for as many and does not overlap.
        unsafe { bindings::memcpy(dst.cast(), buffer.cast(), dst.len()) };
    }

    #[inline]
    fn copy_read<T: FromBytes>(view: SysMem<'_, T>) -> T {
        // SAFETY: The view's invariant makes `ptr` aligned and valid for reads; `T: FromBytes`
        // accepts any bytes.
        unsafe { view.ptr.read_volatile() }
    }

    #[inline]
    fn copy_write<T: IntoBytes>(view: SysMem<'_, T>, value: T) {
        // SAFETY: The view's invariant makes `ptr` aligned and valid for writes.
        unsafe { view.ptr.write_volatile(value) }
    }

    #[inline]
    fn fill_io(view: SysMem<'_, [u8]>, byte: u8) {
        let dst = view.ptr;
        // SAFETY: `dst` is writable for `dst.len()` bytes (invariant).
        unsafe { bindings::memset(dst.cast(), c_int::from(byte), dst.len()) };
    }

    #[inline]
    unsafe fn move_io(dst: SysMem<'_, [u8]>, src: SysMem<'_, [u8]>) {
        // SAFETY: Both views are valid for their length, which is the same (safety requirement);
        // `memmove()` handles any overlap.
        unsafe { bindings::memmove(dst.ptr.cast(), src.ptr.cast_const().cast(), dst.ptr.len()) };
    }

    #[inline]
    unsafe fn try_move_io(dst: SysMem<'_, [u8]>, src: SysMem<'_, [u8]>) -> Result {
        // SAFETY: Same requirement; `memmove()` never fails.
        unsafe { Self::move_io(dst, src) };
        Ok(())
    }
}
