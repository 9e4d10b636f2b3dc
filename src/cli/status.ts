// netcfg status: the network's readiness (Talos NetworkStatus) from the running
// daemon, or, without one, computed once from the kernel.
import { NETWORK_STATUS_ID, NetworkStatusController } from '../controllers/status/network-status.js';
import { statusRuntime } from '../engine.js';
import { NS, type Resource } from '../resources/resource.js';
import { T, type NetworkStatus } from '../resources/network/types.js';
import type { PingResult } from '../daemon/protocol.js';
import { logger, openKernel } from './common.js';
import { callDaemon, daemonFor, socketFor, type DaemonTarget } from './daemon.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';

export interface StatusOptions extends DaemonTarget {
  output: string | undefined;
  logLevel: string | undefined;
}

interface StatusReport {
  daemon: (PingResult & { socket: string }) | null;
  status: NetworkStatus;
  ready: boolean;
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
    report = { daemon: { ...ping, socket }, status, ready: Object.values(status).every(Boolean) };
  } else {
    const status = await fromKernel(o);
    report = { daemon: null, status, ready: status.addressReady && status.connectivityReady };
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
    }
  }
  return report.ready ? EXIT_OK : EXIT_FAILED;
}
