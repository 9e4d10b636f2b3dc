// netcfg demo: a throw-away namespace, an example config, the result.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runApply } from './apply.js';
import { runGet } from './get.js';
import { EXIT_OK, UsageError } from './usage.js';

export const DEMO_NETNS = 'netcfg-demo';
/** The other end of the veth: a namespace playing the router. */
export const DEMO_PEER_NETNS = 'netcfg-demo-router';

export const DEMO_CONFIG = `# netcfg demo: one interface with IPv4 and IPv6 addresses and a few routes.
version: v1alpha1
machine:
  type: controlplane
  network:
    interfaces:
      - interface: demo0
        mtu: 1450
        addresses:
          - 192.0.2.10/24
          - 2001:db8:1::10/64
        routes:
          - network: 0.0.0.0/0          # default route
            gateway: 192.0.2.1
          - network: 198.51.100.0/24    # metric and route MTU
            gateway: 192.0.2.1
            metric: 100
            mtu: 1400
          - network: 203.0.113.0/24     # no gateway: a link-scope route
          - network: 10.20.0.0/16       # another routing table (netcfg extension)
            gateway: 192.0.2.1
            table: 100
          - network: 2001:db8:ffff::/48
            gateway: 2001:db8:1::1
`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function runDemo(keep: boolean, print: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (process.getuid?.() !== 0) throw new UsageError('the demo creates a network namespace and needs root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-demo-'));
  const file = path.join(dir, 'machine.yaml');
  fs.writeFileSync(file, DEMO_CONFIG);
  removeNamespaces();
  ip('netns', 'add', DEMO_NETNS);
  ip('netns', 'add', DEMO_PEER_NETNS);
  try {
    ip('-n', DEMO_NETNS, 'link', 'add', 'demo0', 'type', 'veth', 'peer', 'name', 'demo1', 'netns', DEMO_PEER_NETNS);
    ip('-n', DEMO_PEER_NETNS, 'link', 'set', 'demo1', 'up');
    ip('-n', DEMO_PEER_NETNS, 'addr', 'add', '192.0.2.1/24', 'dev', 'demo1');
    ip('-n', DEMO_PEER_NETNS, 'addr', 'add', '2001:db8:1::1/64', 'dev', 'demo1', 'nodad');
    print(`# namespaces: ${DEMO_NETNS} (demo0) <-veth-> ${DEMO_PEER_NETNS} (demo1, the router 192.0.2.1 / 2001:db8:1::1)`);
    print(`# config (${file}):\n${DEMO_CONFIG}`);
    const common = { netns: DEMO_NETNS, stateDir: path.join(dir, 'state'), output: undefined, logLevel: undefined };
    print('$ netcfg apply --netns netcfg-demo machine.yaml');
    let code = await runApply({ ...common, file, dryRun: false }, print, warn);
    if (code !== EXIT_OK) return code;
    for (const kind of ['links', 'addresses', 'routes']) {
      print(`\n$ netcfg get ${kind} --netns netcfg-demo`);
      await runGet({ kind, output: undefined, netns: DEMO_NETNS, logLevel: undefined }, print);
    }
    print('\n$ netcfg apply --netns netcfg-demo machine.yaml   # again: nothing to do');
    code = await runApply({ ...common, file, dryRun: false }, print, warn);
    return code;
  } finally {
    if (keep) print(`\n# kept namespaces; remove them with: ip netns del ${DEMO_NETNS}; ip netns del ${DEMO_PEER_NETNS}`);
    else removeNamespaces();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function removeNamespaces(): void {
  for (const ns of [DEMO_NETNS, DEMO_PEER_NETNS]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // not there: fine
    }
  }
}
