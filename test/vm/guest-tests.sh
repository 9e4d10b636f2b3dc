#!/bin/sh
# Runs inside the test VM (chrooted into the host root, /tmp a tmpfs, results
# in /tmp/results): the real-kernel tests of this checkout, or only the files
# named as arguments (NETCFG_LANE_FILES on the host, local runs only).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd "$(dirname "$0")/../.." || exit 99
echo "kernel $(uname -r); node $(node --version)"
exec node node_modules/vitest/vitest.mjs run --config vitest.kernel.config.ts --configLoader runner "$@"
