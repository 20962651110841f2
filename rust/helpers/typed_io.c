// SPDX-License-Identifier: GPL-2.0

/*
 * C helpers for the typed I/O layer (rust/kernel/io/): inline functions and
 * macros of the C I/O API that bindgen cannot see.
 */

#include <linux/io.h>
#include <linux/pci.h>

__rust_helper int rust_helper_pcibios_err_to_errno(int err)
{
	return pcibios_err_to_errno(err);
}

/*
 * memset_io() for the MMIO backends' fill: a real function on some
 * architectures (x86, and those that use asm-generic's), a macro or an inline
 * one on others (arm). The bindings prefer a real function over the helper of
 * the same name. 7.3's own helpers (io.c) give memcpy_fromio() and
 * memcpy_toio() the same treatment.
 */
__rust_helper void rust_helper_memset_io(volatile void __iomem *addr, int value,
					 size_t count)
{
	memset_io(addr, value, count);
}

/*
 * Port I/O through the iomap cookies that pci_iomap() and ioport_map() return:
 * ioread*() and iowrite*() are real functions on some architectures and
 * inline on others, so they are reached through these helpers everywhere.
 */
__rust_helper u8 rust_helper_port_read8(const void __iomem *addr)
{
	return ioread8(addr);
}

__rust_helper u16 rust_helper_port_read16(const void __iomem *addr)
{
	return ioread16(addr);
}

__rust_helper u32 rust_helper_port_read32(const void __iomem *addr)
{
	return ioread32(addr);
}

__rust_helper void rust_helper_port_write8(u8 value, void __iomem *addr)
{
	iowrite8(value, addr);
}

__rust_helper void rust_helper_port_write16(u16 value, void __iomem *addr)
{
	iowrite16(value, addr);
}

__rust_helper void rust_helper_port_write32(u32 value, void __iomem *addr)
{
	iowrite32(value, addr);
}

#ifdef CONFIG_HAS_IOPORT_MAP
/*
 * The iomap cookie of a port range: a real function where ports are a space
 * of their own (GENERIC_IOMAP: x86), inline in asm-generic/io.h where they
 * are a window of MMIO (arm64). The bindings prefer a real function over the
 * helper of the same name.
 */
__rust_helper void __iomem *rust_helper_ioport_map(unsigned long port, unsigned int nr)
{
	return ioport_map(port, nr);
}

__rust_helper void rust_helper_ioport_unmap(void __iomem *p)
{
	ioport_unmap(p);
}
#endif
