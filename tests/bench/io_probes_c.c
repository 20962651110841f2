// SPDX-License-Identifier: GPL-2.0
/*
 * The accesses of io_probes.rs, written in C with the kernel's accessors: one
 * access per noinline function. tests/harness/codegen.sh disassembles both
 * modules and compares each Rust probe with the C probe of the same name
 * (probe_X against probe_c_X). Nothing here is ever called.
 */

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "io_bench.h"

/* The layout of io_probes.rs's Regs. */
struct probe_regs {
	u32 ctrl;
	u32 status;
	u32 doorbell;
	u32 data[13];
};

/* What a C driver keeps for a mapped BAR or a coherent buffer. */
struct probe_bar {
	struct pci_dev *pdev;
	void __iomem *base;
};

struct probe_coherent {
	struct device *dev;
	void *cpu_addr;
	dma_addr_t dma_handle;
	size_t size;
};

noinline u32 probe_c_mmio_read(struct probe_regs __iomem *regs)
{
	return readl(&regs->status);
}

noinline u32 probe_c_mmio_read0(struct probe_regs __iomem *regs)
{
	return readl(&regs->ctrl);
}

noinline u8 probe_c_mmio_read8(u8 __iomem *reg)
{
	return readb(reg);
}

noinline u16 probe_c_mmio_read16(u16 __iomem *reg)
{
	return readw(reg);
}

/* readq() and writeq() exist on 64-bit kernels only, as do the Rust probes. */
#ifdef CONFIG_64BIT
noinline u64 probe_c_mmio_read64(u64 __iomem *reg)
{
	return readq(reg);
}
#endif

noinline void probe_c_mmio_write8(u8 __iomem *reg, u8 value)
{
	writeb(value, reg);
}

noinline void probe_c_mmio_write16(u16 __iomem *reg, u16 value)
{
	writew(value, reg);
}

#ifdef CONFIG_64BIT
noinline void probe_c_mmio_write64(u64 __iomem *reg, u64 value)
{
	writeq(value, reg);
}
#endif

noinline void probe_c_mmio_write(struct probe_regs __iomem *regs, u32 value)
{
	writel(value, &regs->doorbell);
}

noinline u32 probe_c_relaxed_read(struct probe_regs __iomem *regs)
{
	return readl_relaxed(&regs->status);
}

noinline void probe_c_relaxed_write(struct probe_regs __iomem *regs, u32 value)
{
	writel_relaxed(value, &regs->doorbell);
}

noinline void probe_c_ordered_fence(struct probe_regs __iomem *regs, u32 *flag)
{
	*flag = 1;
	writel(0, &regs->ctrl);
	*flag = 2;
}

/*
 * GCC keeps the first store here too: __writel()'s memory operand is the
 * I/O location, which GCC cannot prove apart from *flag. Rust knows that
 * the I/O location is not Rust memory (see Documentation/io/performance.rst).
 */
noinline void probe_c_relaxed_fence(struct probe_regs __iomem *regs, u32 *flag)
{
	*flag = 1;
	writel_relaxed(0, &regs->ctrl);
	*flag = 2;
}

noinline u32 probe_c_bar_read(const struct probe_bar *bar)
{
	return readl(bar->base + 0x10);
}

/* The checks a careful C driver makes before a read at a runtime offset. */
noinline int probe_c_try_read32(void __iomem *base, size_t size, size_t offset, u32 *value)
{
	if (offset > size || size - offset < sizeof(u32))
		return -ERANGE;
	if (((unsigned long)base + offset) % sizeof(u32))
		return -EINVAL;
	*value = readl(base + offset);
	return 0;
}

noinline u32 probe_c_sysmem_read(struct probe_regs *mem)
{
	return READ_ONCE(mem->status);
}

noinline void probe_c_sysmem_write(struct probe_regs *mem, u32 value)
{
	WRITE_ONCE(mem->doorbell, value);
}

noinline u32 probe_c_coherent_read(const struct probe_coherent *ring)
{
	struct probe_regs *regs = ring->cpu_addr;

	return READ_ONCE(regs->status);
}

noinline void probe_c_coherent_write(const struct probe_coherent *ring, u32 value)
{
	struct probe_regs *regs = ring->cpu_addr;

	WRITE_ONCE(regs->doorbell, value);
}

noinline u32 probe_c_config_read(struct pci_dev *pdev)
{
	u32 value;

	pci_read_config_dword(pdev, 0x10, &value);
	return value;
}

MODULE_DESCRIPTION("Code generation probes of the C I/O accessors (never called)");
MODULE_LICENSE("GPL");
