// SPDX-License-Identifier: GPL-2.0

/*
 * C helpers for the typed I/O layer (rust/kernel/io/): inline functions and
 * macros of the C I/O API that bindgen cannot see.
 */

#include <linux/pci.h>

__rust_helper int rust_helper_pcibios_err_to_errno(int err)
{
	return pcibios_err_to_errno(err);
}
