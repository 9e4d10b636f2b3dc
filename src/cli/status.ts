// netcfg status: the network's readiness (Talos NetworkStatus) from the running
// daemon, or, without one, computed once from the kernel.
import { NETWORK_STATUS_ID, NetworkStatusController } from '../controllers/status/network-status.js';
import { statusRuntime } from '../engine.js';
import { NS, type Resource } from '../resources/resource.js';
import { T, type NetworkStatus, type OperatorStatus } from '../resources/network/types.js';
import type { PingResult } from '../daemon/protocol.js';
import { logger, openKernel } from './common.js';
import { callDaemon, daemonFor, socketFor, type DaemonTarget } from './daemon.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';

export interface StatusOptions extends DaemonTarget {
  output: string | undefined;
  logLevel: string | undefined;
}

/** One VIP as `netcfg status` reports it (from the VIP operator's OperatorStatus). */
export interface VipReport {
  vip: string;
  link: string;
  owner: string;
  thisNode: boolean;
  state: string;
  reason: string;
  leaseTTL: number | null;
  lastRenewal: string;
}

interface StatusReport {
  daemon: (PingResult & { socket: string }) | null;
  status: NetworkStatus;
  ready: boolean;
  vips: VipReport[];
}

function vipReport(s: OperatorStatus): VipReport {
  const d = s.detail;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    vip: text(d.vip),
    link: s.linkName,
    owner: text(d.owner),
    thisNode: d.thisNode === true,
    state: text(d.state) || s.state,
    reason: text(d.reason) || s.reason,
    leaseTTL: typeof d.leaseTTL === 'number' ? d.leaseTTL : null,
    lastRenewal: text(d.lastRenewal),
  };
}

function vipLine(v: VipReport): string {
  const name = `vip ${v.vip || '?'} on ${v.link}:`;
  if (v.thisNode) return `${name} held by this node (lease TTL ${v.leaseTTL ?? '?'} s, last renewal ${v.lastRenewal || 'never'})`;
  const owner = v.owner ? `owned by ${v.owner}` : 'no owner';
  return `${name} ${owner}, not this node (${v.state}${v.reason ? `: ${v.reason}` : ''})`;
}

async function fromKernel(o: StatusOptions): Promise<NetworkStatus> {
  const kernel = openKernel(o.netns);
  try {
    const runtime = statusRuntime(kernel, logger(o.logLevel));
    // no hostname or files here: only the daemon manages those continuously
    runtime.register(new NetworkStatusController({ hostname: false, etcFiles: false }));
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    const failure = runtime.failures()[0];
    if (failure) throw failure.error;
    return runtime.store.get<NetworkStatus>(NS.network, T.NetworkStatus, NETWORK_STATUS_ID)!.spec;
  } finally {
    kernel.close();
  }
}

export async function runStatus(o: StatusOptions, print: (s: string) => void): Promise<number> {
  const format = o.output ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('-o must be text or json');
  const socket = socketFor(o);
  let report: StatusReport;
  const first = await daemonFor(o);
  if (first) {
    const ping = await callDaemon<PingResult>(first, { op: 'ping' });
    const again = await daemonFor(o);
    const resources = again ? await callDaemon<Resource<NetworkStatus>[]>(again, { op: 'get', namespaces: [NS.network], type: T.NetworkStatus }) : [];
    const status = resources[0]?.spec ?? { addressReady: false, connectivityReady: false, hostnameReady: false, etcFilesReady: false };
    const third = await daemonFor(o);
    const operators = third ? await callDaemon<Resource<OperatorStatus>[]>(third, { op: 'get', namespaces: [NS.network], type: T.OperatorStatus }) : [];
    const vips = operators.filter((r) => r.spec.operator === 'vip').map((r) => vipReport(r.spec)).sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : 0));
    report = { daemon: { ...ping, socket }, status, ready: Object.values(status).every(Boolean), vips };
  } else {
    const status = await fromKernel(o);
    report = { daemon: null, status, ready: status.addressReady && status.connectivityReady, vips: [] };
  }
  if (format === 'json') {
    print(JSON.stringify(report, null, 2));
  } else {
    print(report.daemon ? `daemon: running (pid ${report.daemon.pid}, since ${report.daemon.startedAt}, socket ${socket})` : `daemon: not running (no daemon at ${socket}); status read from the kernel once`);
    const s = report.status;
    const mark = (b: boolean) => (b ? 'yes' : 'no');
    print(`address ready:      ${mark(s.addressReady)}`);
    print(`connectivity ready: ${mark(s.connectivityReady)}`);
    if (report.daemon) {
      print(`hostname ready:     ${mark(s.hostnameReady)}`);
      print(`etc files ready:    ${mark(s.etcFilesReady)}`);
      for (const v of report.vips) print(vipLine(v));
    }
  }
  return report.ready ? EXIT_OK : EXIT_FAILED;
}
