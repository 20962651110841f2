#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Docs stage (`make docs`): build the guide in Documentation/ with Debian's
# Sphinx into build/docs, treating every warning (a broken reference, a
# malformed table, a missing toctree entry) as a failure.

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/docs.log
if run_logged "$LOG" /usr/bin/sphinx-build -W --keep-going -q -b html \
	"$TOP/Documentation" "$BUILD/docs"; then
	result docs ok 1 0 0 "the guide builds without warnings (build/docs/index.html)"
else
	result docs FAIL 0 1 0 "the guide has Sphinx warnings; see $LOG"
	exit 1
fi
