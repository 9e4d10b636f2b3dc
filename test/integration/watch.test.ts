// Daemon-mode runtime: kernel events wake the controllers, so a link that
// appears later is configured and a deleted address comes back.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { MACHINE_CONFIG_ID } from '../../src/controllers/config/machine-config.js';
import { CONFIG_OWNER, configRuntime } from '../../src/engine.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { NS } from '../../src/resources/resource.js';
import { T } from '../../src/resources/network/types.js';
import { createTestNet } from '../helpers/netns.js';

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('watch-driven reconcile', () => {
  it('configures a link when it appears and repairs a deleted address', async () => {
    const net = createTestNet({ interfaces: 0 });
    const kernel = RtnlClient.open({ netns: net.ns });
    const log = process.env.NETCFG_DEBUG_TEST ? createLogger('debug') : silentLogger();
    const runtime = configRuntime({ kernel, log, mode: 'daemon' });
    try {
      const { config } = parseConfig('c.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: hot0\n        mtu: 1280\n        addresses: [192.0.2.77/24]\n');
      runtime.store.put(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, config, CONFIG_OWNER);
      await runtime.start();
      await runtime.settle();
      expect(runtime.changes.pending.has('link/hot0')).toBe(true);

      net.ip('link', 'add', 'hot0', 'type', 'veth', 'peer', 'name', 'hot1');
      const addrOf = () => net.json('addr', 'show', 'hot0')[0]?.addr_info as Array<{ local: string }> | undefined;
      await until('hot0 configured', () => {
        const [l] = net.json('link', 'show', 'hot0');
        return l?.mtu === 1280 && (addrOf() ?? []).some((a) => a.local === '192.0.2.77');
      });

      net.ip('addr', 'del', '192.0.2.77/24', 'dev', 'hot0');
      const t0 = Date.now();
      await until('address repaired', () => (addrOf() ?? []).some((a) => a.local === '192.0.2.77'));
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await runtime.stop();
      kernel.close();
    }
  });
});
