// The netcfg daemon: one long-running runtime for a network namespace. Kernel
// events wake the controllers (drift is repaired, late links are configured),
// operators (DHCP…) run while their links are up, and a control socket takes
// configs from `netcfg apply`, answers `get`/`status`, and streams watches.
// It holds the namespace's state lock for its whole life.
import crypto from 'node:crypto';
import path from 'node:path';
import { EMPTY_CONFIG, configSet, readConfigText, type ConfigSet, type LoadedConfig } from '../config/config-set.js';
import { validatedCopyOf, type ValidatedCopy } from '../config/validated-copy.js';
import { putConfig } from '../controllers/config/documents.js';
import { ConfigInvalidError, type ConfigIssue } from '../config/issues.js';
import { buildReport, stateFor, type ApplyReport, type Target } from '../report.js';
import { openNetnsKernel } from '../netns.js';
import { CMDLINE_ID } from '../controllers/config/cmdline.js';
import { HOST_DNS_STATUS_ID } from '../controllers/status/host-dns-id.js';
import { ConfigContainer } from '../config/container.js';
import { CONFIG_OWNER, configRuntime, daemonControllers } from '../engine.js';
import { etcTargetFor, kernelCmdline, kernelUts } from '../host.js';
import { hardwareFor } from '../hw/hardware.js';
import type { Logger } from '../log.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';
import { NS, type Resource } from '../resources/resource.js';
import { listResources, watchResources } from '../resources/network/spec-sets.js';
import { T } from '../resources/network/types.js';
import type { Change } from '../runtime/changes.js';
import type { Runtime } from '../runtime/runtime.js';
import type { StateFile } from '../runtime/state-file.js';
import { RequestFailure, type Handler, type PingResult, type Request, type ResetIdentityResult, type WatchLine } from './protocol.js';
import { identityFile, resetIdentity } from '../controllers/cluster/node-identity.js';
import { kubespanIdentityFile } from '../controllers/kubespan/identity.js';
import { netnsPath } from '../netlink/transport.js';
import { CLUSTER_NS, CT, LOCAL_IDENTITY_ID, type NodeIdentitySpec } from '../resources/cluster/types.js';
import type { ControlServer } from './server.js';
import { redact } from '../redact.js';
import { codeCacheCheckpoint } from '../util/code-cache.js';
import { JsonList } from '../util/json-pieces.js';
import type { VipOptions } from '../operators/vip/options.js';

export interface DaemonOptions extends Target {
  /** Config to apply at start (otherwise the last applied one, else none). */
  configFile?: string | undefined;
  socket: string;
  log: Logger;
  version: string;
  /** Affiliate TTL for cluster discovery (default 30 min; tests set it short). */
  discoveryTtlMs?: number | undefined;
  /** KubeSpan's peer reconcile interval (default 30 s, as Talos; tests set it short). */
  kubespanIntervalMs?: number | undefined;
  /** etcd endpoints, TLS and lease TTL for the VIP operators (default: local etcd, see operators/vip/options.ts). */
  vip?: VipOptions | undefined;
  /**
   * The kernel connection, for tests that wrap its transport (e.g. to feed it
   * corrupt replies). Not settable from the command line or a config: the
   * daemon opens a netlink socket in `netns`.
   */
  kernel?: RtnlClient | undefined;
}

/** A config validated (exit 2 with positions when it is not), from the validated copy when it holds this text. */
async function validated(copy: ValidatedCopy, file: string, text: string): Promise<{ loaded: LoadedConfig; text: string; fromCopy: boolean }> {
  return { ...(await copy.load(file, text)), text };
}

/** The report with at most `limit` changes listed, the others counted (see the apply request). */
function listed(report: ApplyReport, limit: number | undefined): ApplyReport {
  if (limit === undefined || report.changes.length <= limit) return report;
  return { ...report, changes: report.changes.slice(0, limit), omittedChanges: report.changes.length - limit };
}

/** A resource as plain data (the store's objects carry their metadata as a getter), secrets redacted. */
export function plain(r: Resource): Resource {
  const m = r.metadata;
  return {
    metadata: { namespace: m.namespace, type: m.type, id: m.id, version: m.version, phase: m.phase, owner: m.owner, finalizers: [...m.finalizers], created: m.created, updated: m.updated },
    spec: redact(r.spec),
  };
}

export class Daemon implements Handler {
  private server: ControlServer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private tryTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private stopped = false;

  private constructor(
    private readonly o: DaemonOptions,
    private readonly state: StateFile,
    private readonly kernel: RtnlClient,
    private readonly runtime: Runtime,
  ) {}

  /** Validates the config (exit 2 on errors, before anything starts), takes the lock, starts everything. */
  static async start(o: DaemonOptions): Promise<Daemon> {
    const state = stateFor(o);
    const copy = validatedCopyOf(state);
    // validated before anything starts (exit 2 with positions)
    let initial = o.configFile !== undefined ? await validated(copy, o.configFile, readConfigText(o.configFile)) : undefined;
    state.lock();
    let kernel: RtnlClient | undefined;
    let started: Runtime | undefined;
    try {
      if (initial === undefined) {
        const applied = state.readConfig('applied');
        if (applied !== undefined) initial = await validated(copy, state.configFile('applied'), applied);
      }
      if (initial?.fromCopy) o.log.debug({ file: initial.loaded.file, copy: copy.file }, 'config taken from its validated copy');
      const config: ConfigSet = initial ? configSet(initial.loaded) : EMPTY_CONFIG;
      const text = initial?.text;
      // the discovery client (gRPC, protobuf) loads while the rest starts, not after
      if (config.machine?.cluster?.discovery?.enabled === true || config.documents.some((d) => d.kind === 'DiscoveryServiceConfig')) void import('../operators/discovery/index.js');
      kernel = o.kernel ?? openNetnsKernel(o.netns, o.log);
      const etc = etcTargetFor(o.netns, o.etcDir);
      if (etc.skipped) o.log.warn(etc.skipped);
      const runtime = configRuntime({
        kernel,
        log: o.log,
        netns: o.netns,
        hardware: hardwareFor(o.netns, o.sysfsRoot),
        mode: 'daemon',
        state,
        uts: kernelUts(o.netns, o.uts),
        etc,
        vip: o.vip,
        identityFile: identityFile(state.dir, state.scope),
        kubespanIdentityFile: kubespanIdentityFile(state.dir, state.scope),
        nftRecheckMs: o.kubespanIntervalMs,
        extra: daemonControllers(kernel, {
          hostname: true,
          etcFiles: true,
          netnsPath: o.netns === undefined ? undefined : netnsPath(o.netns),
          log: o.log,
          kubespanIntervalMs: o.kubespanIntervalMs,
          discovery: {
            version: o.version,
            netnsPath: o.netns === undefined ? undefined : netnsPath(o.netns),
            socketDir: path.join(state.dir, `${state.scope}.discovery`),
            ttlMs: o.discoveryTtlMs ?? 30 * 60_000,
            log: o.log,
          },
        }),
      });
      const daemon = new Daemon(o, state, kernel, runtime);
      runtime.newChangeLog((c) => daemon.logChange(c), false);
      putConfig(runtime.store, config, CONFIG_OWNER);
      const cmdline = kernelCmdline(o.netns, o.cmdline, (await kernel.listLinks()).map((l) => l.name));
      for (const e of cmdline?.errors ?? []) o.log.warn({ arg: e.arg }, `kernel command line: ${e.message}`);
      if (cmdline) runtime.store.put(NS.config, T.Cmdline, CMDLINE_ID, cmdline, CONFIG_OWNER);
      started = runtime;
      await runtime.start();
      await runtime.settle();
      // the code cache (see there) knows whether this start validated its config
      codeCacheCheckpoint(initial !== undefined && !initial.fromCopy);
      // after the first apply, as the code cache: the next start on this config skips validating it
      if (initial !== undefined && !initial.fromCopy && copy.kept && !copy.write(initial.loaded, initial.text)) o.log.debug({ file: copy.file }, 'the validated copy of the config could not be written');
      if (o.configFile !== undefined && text !== undefined && text !== state.readConfig('applied')) state.applyConfig(text);
      daemon.resumeTry();
      // the control socket (node:net) after the first apply: nothing on a booting host waits for it
      const { ControlServer } = await import('./server.js');
      daemon.server = await ControlServer.listen(o.socket, daemon, o.log);
      o.log.info({ socket: o.socket, netns: o.netns ?? null, pid: process.pid }, 'netcfg daemon ready');
      return daemon;
    } catch (err) {
      // what started holds sockets and timers (host DNS, probes, ethtool's notifications): the process must be able to exit
      await started?.stop().catch((e: unknown) => o.log.debug({ err: e instanceof Error ? e.message : String(e) }, 'stopping the runtime after a failed start'));
      kernel?.close();
      state.unlock();
      throw err;
    }
  }

  private logChange(c: Change): void {
    this.o.log.info({ action: c.action, kind: c.kind, id: c.id, ...(c.detail ? { detail: c.detail } : {}) }, 'kernel change');
  }

  /** Runs control operations one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async request(req: Exclude<Request, { op: 'watch' }>): Promise<unknown> {
    switch (req.op) {
      case 'ping':
        return { pid: process.pid, version: this.o.version, netns: this.o.netns ?? null, startedAt: this.startedAt } satisfies PingResult;
      case 'get':
        // the resources as they are now, each made plain as it is written
        return new JsonList(
          req.namespaces.flatMap((ns) => listResources(this.runtime.store, ns, req.type)),
          plain,
        );
      case 'apply':
        if (typeof req.file !== 'string' || typeof req.text !== 'string') throw new RequestFailure('bad request: an apply needs the file name and its text', 2);
        if (req.changesLimit !== undefined && !(Number.isInteger(req.changesLimit) && req.changesLimit >= 0)) throw new RequestFailure('bad request: changesLimit must be a whole number of changes', 2);
        // a bulk apply runs with V8's own heap growth here: the modest growth of `netcfg apply` alone
        // (util/heap-growth.ts) took the daemon's peak from ~335 to ~295 MB at 100k routes, for ~1 s more CPU
        return this.serial(async () => listed(await this.apply(req.file, req.text, req.dryRun, req.tryMs), req.changesLimit));
      case 'confirm':
        return this.serial(async () => this.confirm());
      case 'rollback':
        return this.serial(() => this.rollback());
      case 'reset-identity':
        return this.serial(() => this.resetIdentity());
      default:
        throw new RequestFailure(`unknown request "${(req as { op: string }).op}"`, 2);
    }
  }

  watch(req: Extract<Request, { op: 'watch' }>, send: (line: WatchLine) => void, sendEach: (lines: Iterable<WatchLine>) => void): () => void {
    const stops = req.namespaces.map((ns) =>
      watchResources(this.runtime.store, ns, req.type, (type, resource) => send({ event: type, resource: plain(resource) })),
    );
    // the resources as they are now, each made plain as it is written; changes from now on follow them
    const listed = req.namespaces.flatMap((ns) => listResources(this.runtime.store, ns, req.type));
    let stopped = false;
    sendEach(
      (function* (): Generator<WatchLine> {
        for (const r of listed) {
          if (stopped) return; // what is not written yet of a stopped watch's listing is not made
          yield { event: 'created', resource: plain(r) };
        }
      })(),
    );
    send({ event: 'bootstrapped' });
    return () => {
      stopped = true;
      for (const s of stops) s();
    };
  }

  private async parse(file: string, text: string): Promise<ConfigSet> {
    return (await this.validate(file, text)).config;
  }

  /**
   * The config set, and the validation's warnings and notes (for the report);
   * bad input is a request failure with its issues. A text the validated copy
   * holds (the one this daemon started on, or one `netcfg apply` ran alone) is
   * taken from it; the copy is written only where the next start reads it from
   * (at start, and by a one-shot apply).
   */
  private async validate(file: string, text: string): Promise<{ config: ConfigSet; notes: ConfigIssue[] }> {
    try {
      const { loaded } = await validatedCopyOf(this.state).load(file, text);
      return { config: configSet(loaded), notes: loaded.notes };
    } catch (err) {
      if (err instanceof ConfigInvalidError) throw new RequestFailure(`${file}: invalid configuration`, 2, { file: err.file, issues: err.issues });
      throw err;
    }
  }

  /** Puts a config in place and waits until the controllers settle: what changed, what waits, what failed. */
  private async put(config: ConfigSet): Promise<ApplyReport> {
    const log = this.runtime.newChangeLog((c) => this.logChange(c));
    const writes = this.kernel.stats.writes;
    putConfig(this.runtime.store, config, CONFIG_OWNER);
    await this.runtime.settle();
    this.runtime.newChangeLog((c) => this.logChange(c), false);
    return buildReport({ changes: log, failures: this.runtime.failures() }, this.kernel.stats.writes - writes, false);
  }

  private async apply(file: string, text: string, dryRun: boolean, tryMs: number | undefined): Promise<ApplyReport> {
    const { config, notes } = await this.validate(file, text);
    const withNotes = (report: ApplyReport): ApplyReport => (notes.length > 0 ? { ...report, configNotes: notes } : report);
    if (dryRun) return withNotes(await this.plan(config));
    if (this.state.readTry()) throw new RequestFailure('an `apply --try` is waiting for confirmation: run `netcfg confirm` or `netcfg rollback` first', 2);
    const report = withNotes(await this.put(config));
    if (tryMs !== undefined) {
      this.state.writeConfig('pending', text);
      this.state.writeTry({ token: crypto.randomBytes(8).toString('hex'), deadline: Date.now() + tryMs, watcherPid: process.pid });
      this.armTry(tryMs);
      report.notes = [`try: run \`netcfg confirm\` within ${Math.round(tryMs / 1000)}s to keep this config; otherwise the daemon rolls it back`];
    } else {
      this.state.applyConfig(text);
    }
    this.o.log.info({ file, ...report.summary, errors: report.errors.length }, 'config applied');
    return report;
  }

  /** A dry run: a one-shot runtime over the same kernel and state, with the operators' current specs. */
  private async plan(config: ConfigSet): Promise<ApplyReport> {
    const runtime = configRuntime({ kernel: this.kernel, log: this.o.log, netns: this.o.netns, hardware: hardwareFor(this.o.netns, this.o.sysfsRoot), mode: 'oneshot', dryRun: true, state: this.state, uts: kernelUts(this.o.netns, this.o.uts), etc: etcTargetFor(this.o.netns, this.o.etcDir) });
    const cmdline = this.runtime.store.get(NS.config, T.Cmdline, CMDLINE_ID);
    if (cmdline) runtime.store.put(NS.config, T.Cmdline, CMDLINE_ID, cmdline.spec, CONFIG_OWNER);
    for (const type of this.runtime.store.kindsIn(NS.networkConfig)) {
      for (const r of this.runtime.store.list(NS.networkConfig, type)) {
        if ((r.spec as { layer?: string }).layer === 'operator') runtime.store.put(NS.networkConfig, type, r.metadata.id, r.spec, r.metadata.owner);
      }
    }
    // host DNS runs here, not in the plan: while the new config keeps it, resolv.conf stays pointed at it
    const hostDNS = this.runtime.store.get(NS.network, T.HostDNSStatus, HOST_DNS_STATUS_ID);
    if (hostDNS && new ConfigContainer(config.machine, config.documents).hostDNS()?.enabled === true) runtime.store.put(NS.network, T.HostDNSStatus, HOST_DNS_STATUS_ID, hostDNS.spec, hostDNS.metadata.owner);
    putConfig(runtime.store, config, CONFIG_OWNER);
    const writes = this.kernel.stats.writes;
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    return buildReport({ changes: runtime.changes, failures: runtime.failures() }, this.kernel.stats.writes - writes, true);
  }

  private async configOf(which: 'applied' | 'previous'): Promise<ConfigSet> {
    const text = this.state.readConfig(which);
    return text === undefined ? EMPTY_CONFIG : this.parse(this.state.configFile(which), text);
  }

  private armTry(ms: number): void {
    clearTimeout(this.tryTimer);
    this.tryTimer = setTimeout(() => {
      void this.serial(async () => {
        if (!this.state.readTry()) return;
        this.o.log.warn('the tried config was not confirmed in time: rolling back');
        await this.abandonTry();
      });
    }, Math.max(0, ms));
  }

  /** A try that was waiting when the daemon (re)started keeps its deadline. */
  private resumeTry(): void {
    const marker = this.state.readTry();
    if (!marker) return;
    // a try started without a daemon has a watcher process: the daemon takes over
    if (marker.watcherPid && marker.watcherPid !== process.pid) {
      try {
        process.kill(marker.watcherPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    this.state.writeTry({ ...marker, watcherPid: process.pid });
    this.armTry(marker.deadline - Date.now());
  }

  private async abandonTry(): Promise<ApplyReport> {
    clearTimeout(this.tryTimer);
    const report = await this.put(await this.configOf('applied'));
    this.state.writeConfig('pending', undefined);
    this.state.writeTry(undefined);
    return report;
  }

  private confirm(): { message: string } {
    if (!this.state.readTry()) throw new RequestFailure('nothing to confirm: no `apply --try` is waiting', 2);
    clearTimeout(this.tryTimer);
    this.state.writeConfig('previous', this.state.readConfig('applied'));
    this.state.writeConfig('applied', this.state.readConfig('pending'));
    this.state.writeConfig('pending', undefined);
    this.state.writeTry(undefined);
    return { message: 'confirmed: the tried config is now the applied config' };
  }

  private async rollback(): Promise<ApplyReport> {
    if (this.state.readTry()) {
      const report = await this.abandonTry();
      report.notes = ['rollback: abandoned the tried config'];
      return report;
    }
    const previous = this.state.readConfig('previous');
    const current = this.state.readConfig('applied');
    if (previous === undefined && current === undefined) throw new RequestFailure('nothing to roll back: netcfg has not applied a config here', 2);
    const report = await this.put(await this.configOf('previous'));
    this.state.writeConfig('applied', previous);
    this.state.writeConfig('previous', current);
    report.notes = [previous === undefined ? 'rollback: no previous config; only the default and command line layers remain' : 'rollback: restored the previous config'];
    return report;
  }

  /** A new node identity: the discovery clients leave under the old one and join under the new one. */
  private async resetIdentity(): Promise<ResetIdentityResult> {
    const previous = resetIdentity(identityFile(this.state.dir, this.state.scope));
    this.runtime.wake('NodeIdentityController');
    await this.runtime.settle();
    const now = this.runtime.store.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID)?.spec.nodeId;
    this.o.log.info({ previous: previous ?? null, nodeId: now ?? null }, 'node identity reset');
    return { previous: previous ?? null, nodeId: now ?? null };
  }

  /** Stops serving and reconciling. The network stays as configured (as Talos leaves it on shutdown). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.tryTimer);
    await this.server?.close();
    await this.queue;
    // kernel events still flow while operators hand over (a VIP leaves the kernel before it is resigned)
    await this.runtime.stop();
    this.kernel.close();
    this.state.unlock();
    this.o.log.info('netcfg daemon stopped');
  }
}
