// The real-kernel lane's tests: they run inside the test VM (test/vm), where
// the kernel has bonding, 8021q, bridge, wireguard and dummy. The host's
// test/integration/kernel-lane.test.ts boots the VM and checks the results.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  cacheDir: '/tmp/vitest-kernel-cache',
  test: {
    include: ['test/kernel/**/*.kernel.ts'],
    setupFiles: ['test/setup-documents.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default', ['json', { outputFile: '/tmp/results/kernel-results.json' }]],
  },
});
