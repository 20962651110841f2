// SPDX-License-Identifier: GPL-2.0

//! Port I/O: [`PortIo`] views of I/O port space.
//!
//! C header: [`include/asm-generic/iomap.h`](srctree/include/asm-generic/iomap.h)
//!
//! x86 and a few other architectures have a separate I/O port space, reached with `in`/`out`
//! instructions; PCI devices can have BARs there. The kernel maps a port range to an "iomap
//! cookie" (`pci_iomap()`, `ioport_map()`) that `ioread8()` ... `iowrite32()` accept, and that is
//! what a [`PortIo`] view holds. The view is typed and projected like any other: a device's port
//! registers are a `#[repr(C)]` struct here too.

use crate::{
    bindings,
    prelude::*, //
};

use super::{
    copy::IoCopyable, endian::byte_order_accessors, traits::IoCapable, view::pointer_view, MmioRaw,
};

pointer_view! {
    /// A view of a `T` in I/O port space, valid for `'a`.
    ///
    /// Accesses use `ioread8()` ... `iowrite32()`; there are no 64-bit port accesses. Obtained
    /// from a port BAR (`pci::PortBar`) or from
    /// [`PortIo::from_raw`].
    ///
    /// # Examples
    ///
    /// `ioread8()` and its family also accept a memory address (any cookie at or above
    /// `PIO_RESERVED` is one), so a view over a local buffer runs this example; a driver gets its
    /// view from a port BAR instead. The exception is `CONFIG_INDIRECT_IOMEM` (UML), whose
    /// accessors only take the cookies of the regions registered with `lib/logic_iomem.c`: there
    /// the example is not run.
    ///
    #[cfg_attr(not(CONFIG_INDIRECT_IOMEM), doc = "```")]
    #[cfg_attr(CONFIG_INDIRECT_IOMEM, doc = "```ignore")]
    /// use kernel::io::{io_project, io_read, io_write, Io, MmioRaw, PortIo};
    ///
    /// /// The registers of a 16550-style UART, as a driver would describe its port BAR.
    /// #[repr(C)]
    /// struct Uart {
    ///     data: u8,
    ///     ier: u8,
    ///     iir: u8,
    ///     lcr: u8,
    ///     scratch: [u8; 4],
    /// }
    ///
    /// let mut ports = Uart { data: 0, ier: 0, iir: 0xc1, lcr: 0, scratch: [0; 4] };
    /// // SAFETY: `ports` is memory, which the port accessors take as an address, aligned for
    /// // `Uart` and borrowed for as long as the view lives.
    /// let uart = unsafe { PortIo::from_raw(MmioRaw::from_ptr(&mut ports)) };
    ///
    /// io_write!(uart, .lcr, 0x83);
    /// assert_eq!(io_read!(uart, .iir) & 0xc0, 0xc0);
    /// io_project!(uart, .data).write_fifo(b"hi\n");
    /// io_project!(uart, .scratch).fill(0x5a);
    /// io_write!(uart, .scratch[build: 3], 9);
    ///
    /// assert_eq!((ports.data, ports.lcr), (b'\n', 0x83));
    /// assert_eq!(ports.scratch, [0x5a, 0x5a, 0x5a, 9]);
    /// ```
    ///
    /// # Invariants
    ///
    /// `ptr`'s address is an iomap cookie for a mapped port range that stays mapped for `'a`,
    /// and is aligned for `T`.
    pub struct PortIo;

    /// The backend of [`PortIo`] views: `ioread*()` and `iowrite*()` on iomap cookies.
    pub struct PortIoBackend;
}

// SAFETY: As for `Mmio`: the accesses are the kernel's port accessors on device locations, not
// on Rust objects, and values cross threads only as bytes.
unsafe impl<T: ?Sized + Sync> Send for PortIo<'_, T> {}

// SAFETY: As for `Send`.
unsafe impl<T: ?Sized + Sync> Sync for PortIo<'_, T> {}

impl<'a, T: ?Sized> PortIo<'a, T> {
    /// Creates a view of the port range that `raw` describes.
    ///
    /// # Safety
    ///
    /// `raw`'s address must be an iomap cookie (from `ioport_map()` or `pci_iomap()`) for a
    /// port range of `T`'s size, aligned for `T`, that stays mapped while `'a` lasts.
    #[inline]
    pub unsafe fn from_raw(raw: MmioRaw<T>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr: raw.as_ptr(),
            _lifetime: core::marker::PhantomData,
        }
    }

    /// Returns the raw pointer of this view: its address is the iomap cookie.
    #[inline]
    pub fn as_raw(self) -> MmioRaw<T> {
        MmioRaw::from_ptr(self.ptr)
    }
}

/// Implements [`IoCapable`] for [`PortIoBackend`] with the port accessors of each width.
macro_rules! port_accessors {
    ($($ty:ty => $read:ident, $write:ident;)*) => {$(
        impl IoCapable<$ty> for PortIoBackend {
            #[inline]
            fn io_read(view: PortIo<'_, $ty>) -> $ty {
                // SAFETY: The view's invariant makes `ptr` a mapped, aligned port cookie.
                unsafe { bindings::$read(view.ptr.cast_const().cast()) }
            }

            #[inline]
            fn io_write(view: PortIo<'_, $ty>, value: $ty) {
                // SAFETY: The view's invariant makes `ptr` a mapped, aligned port cookie.
                unsafe { bindings::$write(value, view.ptr.cast()) }
            }
        }
    )*};
}

port_accessors! {
    u8 => port_read8, port_write8;
    u16 => port_read16, port_write16;
    u32 => port_read32, port_write32;
}

// Port accessors convert from little-endian, like the MMIO ones.
byte_order_accessors!(PortIoBackend, little: u16 => Le16 Be16; u32 => Le32 Be32;);

// SAFETY: Both copies visit the ports `0..len` of the view once each, reading or writing
// exactly byte `i` of `buffer` for port `i`, where `len` is the view's size.
unsafe impl IoCopyable for PortIoBackend {
    /// Reads the ports of the range one byte at a time, in ascending order.
    #[inline]
    unsafe fn copy_from_io(view: PortIo<'_, [u8]>, buffer: *mut u8) {
        let base = view.ptr.cast::<u8>();
        for i in 0..view.ptr.len() {
            // SAFETY: Port `i` is within the view (invariant), and the caller guarantees that
            // `buffer` is writable for the view's length.
            unsafe {
                *buffer.add(i) = bindings::port_read8(base.wrapping_add(i).cast_const().cast())
            };
        }
    }

    /// Writes the ports of the range one byte at a time, in ascending order.
    #[inline]
    unsafe fn copy_to_io(view: PortIo<'_, [u8]>, buffer: *const u8) {
        let base = view.ptr.cast::<u8>();
        for i in 0..view.ptr.len() {
            // SAFETY: Port `i` is within the view (invariant), and the caller guarantees that
            // `buffer` is readable for the view's length.
            unsafe { bindings::port_write8(*buffer.add(i), base.wrapping_add(i).cast()) };
        }
    }
}
