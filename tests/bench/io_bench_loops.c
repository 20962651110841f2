// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of io_bench.ko (see io_bench_main.rs): the baselines, as a C
 * driver would write them. Each loop runs the kernel's own accessor, inline
 * (readl(), writel()) or out of line (memcpy_fromio(), memcpy_toio()), and is
 * called from Rust once per timed round, so the call itself is not measured
 * per access. The loops are written so that GCC gives them the shape LLVM
 * gives the Rust ones (four instructions per iteration around the access),
 * so the comparison is of the accessors, not of the loops.
 */

#include <linux/io.h>
#include <linux/types.h>

#include "io_bench.h"

u32 io_bench_c_read32(const void __iomem *addr, u32 count)
{
	u32 acc = 0;

	if (!count)
		return 0;
	do {
		acc ^= readl(addr);
	} while (--count);
	return acc;
}

void io_bench_c_write32(void __iomem *addr, u32 count)
{
	u32 i = 0;

	if (!count)
		return;
	do {
		writel(i, addr);
	} while (++i != count);
}

void io_bench_c_copy_from(void *dst, const void __iomem *src, size_t len, u32 count)
{
	while (count--)
		memcpy_fromio(dst, src, len);
}

void io_bench_c_copy_to(void __iomem *dst, const void *src, size_t len, u32 count)
{
	while (count--)
		memcpy_toio(dst, src, len);
}
