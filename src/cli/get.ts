// netcfg get KIND: kernel state through the status controllers, or what the
// configuration layers make of a config (a dry run that touches nothing).
import { EMPTY_CONFIG, configSet, parseConfigText, type ConfigSet } from '../config/load.js';
import { putConfig } from '../controllers/config/documents.js';
import { formatIssue } from '../config/issues.js';
import { CMDLINE_ID } from '../controllers/config/cmdline.js';
import { CONFIG_OWNER, configRuntime, statusRuntime } from '../engine.js';
import { kernelCmdline, kernelUts } from '../host.js';
import { hardwareFor } from '../hw/hardware.js';
import { NS, type Resource } from '../resources/resource.js';
import { listResources } from '../resources/network/spec-sets.js';
import { T } from '../resources/network/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { stateFor, type Target } from './report.js';
import { loadConfig } from '../config/load.js';
import { logger, nodeName, openKernel } from './common.js';
import { columnWidths, render, tableRow, tableRows, type OutputFormat } from './output.js';
import { findView, VIEWS, type ViewDefinition } from './views.js';
import { streamRoutes } from './get-routes.js';
import type { RouteStatus } from '../resources/network/types.js';
import { callDaemon, daemonFor, socketFor } from './daemon.js';
import { watch as watchDaemon } from '../daemon/client.js';
import { EXIT_OK, UsageError } from './usage.js';
import { CLUSTER_NS, CT, type DiscoveryConfigSpec } from '../resources/cluster/types.js';
import { KUBERNETES_REGISTRY_NOTE } from '../controllers/cluster/discovery-service.js';
import { identityFile } from '../controllers/cluster/node-identity.js';
import { kubespanIdentityFile } from '../controllers/kubespan/identity.js';

export interface GetOptions extends Target {
  kind: string | undefined;
  output: string | undefined;
  logLevel: string | undefined;
  /** Config for spec kinds: this file, else the config last applied here. */
  config?: string | undefined;
  /** Keep printing changes (needs a running daemon). */
  watch?: boolean;
  /** One of the kind's namespaces (e.g. cluster-raw for raw affiliates). */
  namespace?: string | undefined;
}

/** The kind's namespaces, or the one --namespace picks. */
function namespacesOf(view: ViewDefinition<unknown>, namespace: string | undefined): readonly string[] {
  if (namespace === undefined) return view.namespaces;
  const allowed = [...view.namespaces, ...(view.otherNamespaces ?? [])];
  if (!allowed.includes(namespace)) throw new UsageError(`--namespace for ${view.aliases[1]} must be one of ${allowed.join(', ')}`);
  return [namespace];
}

/** Said wherever discovery resources are shown while the config enables the Kubernetes registry. */
function kubernetesNote(configs: ReadonlyArray<Resource>, warn: (s: string) => void): void {
  if (configs.some((r) => (r.spec as DiscoveryConfigSpec).kubernetesRegistry)) warn(`netcfg: ${KUBERNETES_REGISTRY_NOTE}`);
}

const EVENT_MARK = { created: '+', updated: ' ', destroyed: '-' } as const;

/** Resources from a running daemon (its live statuses and specs), or a stream of their changes. */
async function fromDaemon(o: GetOptions, view: ViewDefinition<unknown>, format: OutputFormat, print: (s: string) => void, warn: (s: string) => void): Promise<number | undefined> {
  const socket = await daemonFor(o);
  if (!socket) {
    if (o.watch) throw new UsageError(`get --watch needs a running netcfg daemon (none at ${socketFor(o)})`);
    return undefined;
  }
  const node = nodeName(o.netns);
  const request = { namespaces: [...namespacesOf(view, o.namespace)], type: view.type };
  if (view.discovery) {
    const second = await daemonFor(o);
    if (second) kubernetesNote(await callDaemon<Resource[]>(second, { op: 'get', namespaces: [CLUSTER_NS.config], type: CT.DiscoveryConfig }), warn);
  }
  if (!o.watch) {
    const resources = (await callDaemon<Resource[]>(socket, { op: 'get', ...request })).filter((r) => !view.filter || view.filter(r.spec));
    const text = render({ node, displayType: view.displayType, columns: view.columns, resources: sortById(resources) }, format);
    if (text !== '') print(text);
    return EXIT_OK;
  }
  // table: the current resources as one aligned table, then one row per change (widths grow as needed)
  const base = { node, displayType: view.displayType, columns: view.columns };
  let initial: Array<[string, Resource]> | undefined = [];
  let widths: number[] = [];
  const row = (mark: string, r: Resource) => [mark, ...tableRows({ ...base, resources: [r] })[1]!];
  await watchDaemon(socket, { op: 'watch', ...request }, (line) => {
    if (line.event !== 'bootstrapped' && view.filter && !view.filter(line.resource.spec)) return;
    if (format !== 'table') {
      if (line.event === 'bootstrapped') return;
      const doc = render({ ...base, resources: [line.resource] }, format);
      print(format === 'json' ? JSON.stringify({ event: line.event, ...JSON.parse(doc) }) : `# ${line.event}\n${doc}\n---`);
      return;
    }
    if (line.event === 'bootstrapped') {
      const rows = [['*', ...tableRows({ ...base, resources: [] })[0]!], ...sortById((initial ?? []).map(([, r]) => r)).map((r) => row('+', r))];
      widths = columnWidths(rows);
      for (const r of rows) print(tableRow(r, widths));
      initial = undefined;
    } else if (initial) {
      initial.push([line.event, line.resource]);
    } else {
      const r = row(EVENT_MARK[line.event], line.resource);
      print(tableRow(r, columnWidths([r], widths)));
    }
  });
  return EXIT_OK;
}

const sortById = (rs: Resource[]) => rs.sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.id.localeCompare(b.metadata.id, 'en', { numeric: true }));

export async function runGet(o: GetOptions, print: (s: string) => void, warn: (s: string) => void = () => {}): Promise<number> {
  const kinds = VIEWS.map((v) => v.aliases[1]).join(', ');
  if (!o.kind) throw new UsageError(`get needs a resource kind: ${kinds}`);
  const view = findView(o.kind);
  if (!view) throw new UsageError(`unknown resource kind "${o.kind}"; expected one of ${kinds}`);
  const format = (o.output ?? 'table') as OutputFormat;
  if (!['table', 'yaml', 'json'].includes(format)) throw new UsageError('-o must be table, yaml or json');
  if (view.source === 'stream') {
    if (o.config !== undefined) throw new UsageError(`${o.kind} are read from the kernel; -c does not apply`);
    const kernel = openKernel(o.netns);
    try {
      await streamRoutes(kernel, o.netns, view as unknown as ViewDefinition<RouteStatus>, nodeName(o.netns), format, print, warn, o.watch ?? false);
    } finally {
      kernel.close();
    }
    return EXIT_OK;
  }
  // without -c, a running daemon answers (its live view includes DHCP leases and the like)
  if (o.config === undefined || o.watch) {
    if (o.config !== undefined) throw new UsageError('get --watch shows the running daemon, not a config file (-c)');
    const code = await fromDaemon(o, view, format, print, warn);
    if (code !== undefined) return code;
  }
  if (view.source === 'daemon') throw new UsageError(`${o.kind} is kept by the netcfg daemon, and none runs at ${socketFor(o)}`);
  const log = logger(o.logLevel);
  const kernel = openKernel(o.netns);
  try {
    let runtime: Runtime;
    if (view.source === 'kernel') {
      runtime = statusRuntime(kernel, log, hardwareFor(o.netns, o.sysfsRoot), view.type === T.EthernetStatus ? { netns: o.netns } : undefined);
    } else {
      let config: ConfigSet = EMPTY_CONFIG;
      if (o.config !== undefined) {
        const loaded = await loadConfig(o.config);
        for (const n of loaded.notes) warn(formatIssue(o.config, n));
        config = configSet(loaded);
      } else {
        const state = stateFor(o);
        const text = state.readConfig('applied');
        if (text === undefined) warn('netcfg: no config applied here (and no -c FILE): showing the default and kernel command line layers');
        else config = configSet(await parseConfigText(state.configFile('applied'), text));
      }
      const state = stateFor(o);
      runtime = configRuntime({ kernel, log, mode: 'oneshot', dryRun: true, uts: kernelUts(o.netns, o.uts), hardware: hardwareFor(o.netns, o.sysfsRoot), identityFile: identityFile(state.dir, state.scope), kubespanIdentityFile: kubespanIdentityFile(state.dir, state.scope) });
      putConfig(runtime.store, config, CONFIG_OWNER);
      const cmdline = kernelCmdline(o.netns, o.cmdline, (await kernel.listLinks()).map((l) => l.name));
      if (cmdline) runtime.store.put(NS.config, T.Cmdline, CMDLINE_ID, cmdline, CONFIG_OWNER);
    }
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    if (view.source === 'kernel') {
      const failure = runtime.failures()[0];
      if (failure) throw failure.error;
    }
    if (view.discovery) kubernetesNote(runtime.store.list(CLUSTER_NS.config, CT.DiscoveryConfig), warn);
    const resources: Resource[] = [];
    for (const ns of namespacesOf(view, o.namespace)) {
      resources.push(...listResources(runtime.store, ns, view.type).sort((a, b) => a.metadata.id.localeCompare(b.metadata.id, 'en', { numeric: true })));
    }
    const text = render({ node: nodeName(o.netns), displayType: view.displayType, columns: view.columns, resources }, format);
    if (text !== '') print(text);
    return EXIT_OK;
  } finally {
    kernel.close();
  }
}
