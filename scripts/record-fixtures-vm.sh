#!/bin/sh
# The guest side of recording fixtures for link kinds the host kernel lacks
# (bond, vlan, dummy, wireguard): run as the real-kernel VM's script (test/vm,
# runVm({ script, keepResults: true })); the fixtures land in the results directory.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd "$(dirname "$0")/.." || exit 99
echo "kernel $(uname -r)"
exec node scripts/record-fixtures.mjs --only links-kinds-dump,wg-device-dump --out /tmp/results
