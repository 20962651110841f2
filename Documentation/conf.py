# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for `make docs` (Documentation/index.rst is the root).

project = "Typed I/O for Rust-for-Linux"
extensions = []
exclude_patterns = ["_build"]
highlight_language = "rust"
