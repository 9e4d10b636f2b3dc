// Prometheus text-format metrics of the discovery server (the names of §5.5
// that apply here), served on --metrics-addr at /metrics.
import http from 'node:http';
import type { Counts } from './state.js';

type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

export class Metrics {
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly gauges = new Map<string, Map<string, number>>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const m = this.counters.get(name) ?? new Map<string, number>();
    m.set(key(labels), (m.get(key(labels)) ?? 0) + by);
    this.counters.set(name, m);
  }

  set(name: string, value: number, labels: Labels = {}): void {
    const m = this.gauges.get(name) ?? new Map<string, number>();
    m.set(key(labels), value);
    this.gauges.set(name, m);
  }

  text(counts: Counts): string {
    this.set('discovery_state_clusters', counts.clusters);
    this.set('discovery_state_affiliates', counts.affiliates);
    this.set('discovery_state_endpoints', counts.endpoints);
    this.set('discovery_state_subscriptions', counts.subscriptions);
    const lines: string[] = [];
    for (const [kind, all] of [['counter', this.counters], ['gauge', this.gauges]] as const) {
      for (const [name, values] of all) {
        lines.push(`# TYPE ${name} ${kind}`);
        for (const [labels, v] of values) lines.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Serves /metrics on host:port. */
export function serveMetrics(host: string, port: number, render: () => string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
