// SPDX-License-Identifier: GPL-2.0

//! Typed I/O: accessing device registers, I/O memory and shared memory through views.
//!
//! C headers: [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h),
//! [`include/linux/iosys-map.h`](srctree/include/linux/iosys-map.h)
//!
//! # Concepts
//!
//! - **Pointer.** [`MmioRaw<T>`] is C's `T __iomem *`: an address in I/O space with a type. It
//!   grants nothing by itself.
//! - **Region.** [`Region<SIZE>`](Region) is a block of I/O space of runtime size, of which
//!   `SIZE` bytes are known at build time. It is how a BAR or a platform resource of unknown
//!   layout is described; typed layouts are plain `#[repr(C)]` structs.
//! - **View.** A view ([`Mmio`], [`RelaxedMmio`], [`SysMem`], [`IoSysMap`], ...) is a `Copy`
//!   handle to a `T` that is valid for a lifetime `'a`, borrowed from the owner of the mapping
//!   (a PCI BAR, an ioremap, a DMA allocation). Once the owner is gone, no view remains.
//! - **Backend.** Each view type belongs to a backend ([`IoBackend`]) that performs the accesses:
//!   MMIO accessors ([`Mmio`]), volatile loads and stores ([`SysMem`], and `CoherentView` for
//!   DMA memory), port I/O ([`PortIo`]), PCI configuration cycles (`pci::ConfigSpace`), or
//!   either of two backends chosen at runtime ([`EitherView`], [`IoSysMap`]).
//! - **Capability.** [`IoCapable<T>`] says which primitive widths a backend can access in one go
//!   (and the byte-order types [`Le32`], [`Be32`], ...); [`IoCopyable`] says that it can copy
//!   and fill runs of bytes.
//!
//! Every handle gets the accessors of [`Io`]. Projection ([`io_project!`], [`io_read!`],
//! [`io_write!`]) narrows a view to a field, an element or a sub-slice with the grammar of
//! [`kernel::ptr::project!`](crate::ptr::project!).
//!
//! # Safety model
//!
//! Views are only created by owners that know their mapping is live, or by `unsafe`
//! constructors whose callers vouch for it; their lifetime ties them to that owner. From then on
//! everything is safe: each access is bounds- and alignment-checked, at build time where the
//! location is a constant and at runtime otherwise, and projection can only select parts of the
//! view it starts from. Out-of-bounds runtime locations fail with `ERANGE`; misaligned ones,
//! length mismatches and regions that break their own rules with `EINVAL`.
//!
//! The guide, `Documentation/io/` in this project's repository, explains all of this at length,
//! with a chapter per backend.
//!
//! # Examples
//!
//! ```
//! use kernel::io::{io_project, io_read, io_write, Io, SysMem};
//!
//! #[repr(C)]
//! struct Mailbox {
//!     doorbell: u32,
//!     status: u32,
//!     data: [u8; 8],
//! }
//!
//! let mut mb = Mailbox { doorbell: 0, status: 0x80, data: [0; 8] };
//! let io = SysMem::from_mut(&mut mb);
//! io_project!(io, .data[build: 4..]).copy_from_slice(b"ping");
//! if io_read!(io, .status) & 0x80 != 0 {
//!     io_write!(io, .doorbell, 1);
//! }
//! assert_eq!(mb.doorbell, 1);
//! assert_eq!(&mb.data, b"\0\0\0\0ping");
//! ```

#[cfg(CONFIG_RUST)]
mod coherent;
mod copy;
mod either;
pub(crate) mod endian;
mod locations;
mod mmio;
mod port;
mod project;
mod region;
pub mod split;
mod sysmem;
mod traits;
mod view;

#[cfg(CONFIG_HAS_IOMEM)]
pub mod mem;
// These modules use kernel services that the host test harness does not model; `CONFIG_RUST` is
// set in every kernel build.
#[cfg(CONFIG_RUST)]
pub mod poll;
#[cfg(CONFIG_RUST)]
pub mod register;
#[cfg(CONFIG_RUST)]
pub mod resource;

#[cfg(CONFIG_RUST)]
pub use crate::register;
#[cfg(CONFIG_RUST)]
pub use resource::Resource;

#[cfg(CONFIG_RUST)]
pub use coherent::{
    CoherentBuffer,
    CoherentData,
    CoherentIoBackend,
    CoherentView, //
};
pub use copy::IoCopyable;
pub use either::{
    EitherBackend,
    EitherView,
    IoSysMap,
    IoSysMapBackend, //
};
pub use endian::{
    Be16,
    Be32,
    Be64,
    Le16,
    Le32,
    Le64, //
};
pub use locations::RegisterBlock;
pub use mmio::{
    Mmio,
    MmioBackend,
    RelaxedMmio,
    RelaxedMmioBackend, //
};
pub use port::{
    PortIo,
    PortIoBackend, //
};
pub use region::{
    Align4,
    Align8,
    ExactSize,
    MmioRaw,
    Region,
    RegionAlign,
    RegionShape, //
};
pub use split::SplitU64;
pub use sysmem::{
    SysMem,
    SysMemBackend, //
};
pub use traits::{
    IoBackend,
    IoBase,
    IoCapable,
    IoLoc, //
};
pub use view::Io;

#[doc(inline)]
pub use crate::{
    io_project,
    io_read,
    io_try_project,
    io_try_read,
    io_try_write,
    io_write, //
};

// Paths used by the expansions of the projection macros.
#[doc(hidden)]
pub use crate::{
    __io_project_steps as __project_steps,
    __io_try_write_split,
    __io_write_split, //
};

#[doc(hidden)]
pub mod __project {
    pub use super::project::{
        ConstIndex,
        NoConstLen,
        Projector, //
    };
}

/// Physical address type.
///
/// `u32` or `u64` depending on `CONFIG_PHYS_ADDR_T_64BIT`; it can be `u64` on 32-bit kernels.
pub type PhysAddr = crate::bindings::phys_addr_t;

/// Resource size type.
///
/// `u32` or `u64` depending on `CONFIG_PHYS_ADDR_T_64BIT`; it can be `u64` on 32-bit kernels.
pub type ResourceSize = crate::bindings::resource_size_t;
