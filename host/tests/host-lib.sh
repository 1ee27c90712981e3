# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Moved to test-fabric/lib/host-lib.sh with the other end-to-end shell libraries; this file
# stays for the tests that source it here.
. "$top_srcdir/test-fabric/lib/host-lib.sh"
