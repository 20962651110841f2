# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for `make docs` (Documentation/index.rst is the root).

project = "Typed I/O for Rust-for-Linux"
extensions = []
exclude_patterns = ["_build"]
# Only the literalinclude directives of the guide show Rust, each with its
# language; literal blocks (`::`) are shell, C or output, shown as text.
highlight_language = "none"
