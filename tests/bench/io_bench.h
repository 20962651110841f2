/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C functions of tests/bench: the probes of io_probes_c.c, compared
 * with io_probes.rs by tests/harness/codegen.py, and the baseline loops of
 * io_bench_loops.c, called from io_bench_main.rs.
 */

#ifndef IO_BENCH_H
#define IO_BENCH_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct pci_dev;
struct probe_bar;
struct probe_coherent;
struct probe_regs;

u32 probe_c_mmio_read(struct probe_regs __iomem *regs);
u32 probe_c_mmio_read0(struct probe_regs __iomem *regs);
u8 probe_c_mmio_read8(u8 __iomem *reg);
u16 probe_c_mmio_read16(u16 __iomem *reg);
#ifdef CONFIG_64BIT
u64 probe_c_mmio_read64(u64 __iomem *reg);
#endif
void probe_c_mmio_write8(u8 __iomem *reg, u8 value);
void probe_c_mmio_write16(u16 __iomem *reg, u16 value);
#ifdef CONFIG_64BIT
void probe_c_mmio_write64(u64 __iomem *reg, u64 value);
#endif
void probe_c_mmio_write(struct probe_regs __iomem *regs, u32 value);
u32 probe_c_relaxed_read(struct probe_regs __iomem *regs);
void probe_c_relaxed_write(struct probe_regs __iomem *regs, u32 value);
void probe_c_ordered_fence(struct probe_regs __iomem *regs, u32 *flag);
void probe_c_relaxed_fence(struct probe_regs __iomem *regs, u32 *flag);
u32 probe_c_bar_read(const struct probe_bar *bar);
int probe_c_try_read32(void __iomem *base, size_t size, size_t offset, u32 *value);
u32 probe_c_sysmem_read(struct probe_regs *mem);
void probe_c_sysmem_write(struct probe_regs *mem, u32 value);
u32 probe_c_coherent_read(const struct probe_coherent *ring);
void probe_c_coherent_write(const struct probe_coherent *ring, u32 value);
u32 probe_c_config_read(struct pci_dev *pdev);

/* Declared in Rust too, in io_bench_main.rs: keep both in step. */
u32 io_bench_c_read32(const void __iomem *addr, u32 count);
void io_bench_c_write32(void __iomem *addr, u32 count);
void io_bench_c_copy_from(void *dst, const void __iomem *src, size_t len, u32 count);
void io_bench_c_copy_to(void __iomem *dst, const void *src, size_t len, u32 count);

#endif /* IO_BENCH_H */
