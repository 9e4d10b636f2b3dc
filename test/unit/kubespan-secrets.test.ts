// No KubeSpan secret leaves netcfg: the private key and the cluster secret are
// absent from what the daemon answers over its socket, from every format of
// `netcfg get` for the KubeSpan kinds, and from the daemon's log when the
// manager reconciles with them. (The lane's test/kernel/kubespan.kernel.ts
// checks the same on live daemons.)
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { render, type OutputFormat } from '../../src/cli/output.js';
import { findView } from '../../src/cli/views.js';
import { plain } from '../../src/daemon/daemon.js';
import { KubeSpanManagerController } from '../../src/controllers/kubespan/manager.js';
import type { Kernel } from '../../src/controllers/kernel.js';
import { mergeControllers } from '../../src/controllers/merge/rules.js';
import { CLUSTER_NS, CT, type KubeSpanPeerSpecSpec } from '../../src/resources/cluster/types.js';
import type { Resource } from '../../src/resources/resource.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Logger } from '../../src/log.js';
import { IDENTITY as identity, PRIVATE, SECRET, kubespanConfig } from '../helpers/kubespan.js';

const config = kubespanConfig();
const peer: KubeSpanPeerSpecSpec = { publicKey: Buffer.alloc(32, 2).toString('base64'), address: 'fd7f:175a:b97c:5602::2', allowedIPs: ['192.0.2.2/32'], endpoints: ['192.0.2.2:51820'], label: 'node-2', affiliateId: 'id2' };

describe('KubeSpan secrets', () => {
  it('never in the daemon log, its get answers or any get format', async () => {
    let logText = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logText += chunk.toString()), done()) });
    const log = pino({ level: 'trace' }, sink) as unknown as Logger;
    const kernel = { wireguard: () => ({ getDevice: async () => undefined, setDevice: async () => {} }) } as unknown as Kernel;
    const runtime = new Runtime({ log, mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    runtime.register(new KubeSpanManagerController(kernel, { intervalMs: 50, log }));
    for (const c of mergeControllers()) runtime.register(c);
    runtime.store.put(CLUSTER_NS.config, CT.KubeSpanConfig, 'kubespan', config, 'test');
    runtime.store.put(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, 'local', identity, 'test');
    runtime.store.put(CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec, peer.publicKey, peer, 'test');
    await runtime.start();
    await new Promise((r) => setTimeout(r, 200));
    await runtime.settle();
    const kinds: Array<[string, string, string]> = [
      ['kubespanidentities', CLUSTER_NS.kubespan, CT.KubeSpanIdentity],
      ['kubespanpeerspecs', CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec],
      ['kubespanpeerstatuses', CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus],
      ['kubespanendpoints', CLUSTER_NS.kubespan, CT.KubeSpanEndpoint],
      ['kubespanconfig', CLUSTER_NS.config, CT.KubeSpanConfig],
    ];
    const outputs: string[] = [];
    for (const [kind, ns, type] of kinds) {
      const view = findView(kind);
      expect(view, kind).toBeDefined();
      const resources = runtime.store.list(ns, type) as Resource[];
      if (kind !== 'kubespanendpoints') expect(resources.length, kind).toBeGreaterThan(0);
      outputs.push(JSON.stringify(resources.map(plain)));
      for (const format of ['table', 'yaml', 'json'] as OutputFormat[]) outputs.push(render({ node: 'n', displayType: view!.displayType, columns: view!.columns, resources }, format));
    }
    await runtime.stop();
    // the identity is there, its public half shown, the private one redacted
    expect(outputs.join('\n')).toContain(identity.publicKey);
    expect(outputs.join('\n')).toContain('[redacted]');
    expect(logText.length).toBeGreaterThan(0);
    for (const text of [...outputs, logText]) {
      expect(text).not.toContain(PRIVATE);
      expect(text).not.toContain(SECRET);
    }
  });
});
