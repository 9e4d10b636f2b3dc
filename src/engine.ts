// Assembles the controllers into a runtime: configuration → per-layer specs →
// merged specs → kernel, and kernel → statuses.
import type { ConfigSet } from './config/load.js';
import { putConfig } from './controllers/config/documents.js';
import { AddressConfigController } from './controllers/config/address-config.js';
import { DeviceConfigController } from './controllers/config/device-config.js';
import { LinkConfigController } from './controllers/config/link-config.js';
import { LinkAliasConfigController } from './controllers/config/link-alias-config.js';
import { LinkAliasSpecController } from './controllers/spec/link-alias-spec.js';
import { RouteConfigController } from './controllers/config/route-config.js';
import { HostnameConfigController } from './controllers/config/hostname-config.js';
import { ResolverConfigController } from './controllers/config/resolver-config.js';
import { OperatorConfigController } from './controllers/config/operator-config.js';
import { TimeServerConfigController } from './controllers/config/timeserver-config.js';
import { CMDLINE_ID } from './controllers/config/cmdline.js';
import { HostnameSpecController, type Uts } from './controllers/spec/hostname-spec.js';
import { ResolverSpecController } from './controllers/spec/resolver-spec.js';
import { EtcFileController } from './controllers/files/etc-files.js';
import type { CmdlineNetwork } from './config/cmdline.js';
import type { Kernel } from './controllers/kernel.js';
import { LinkReads } from './controllers/spec/own-writes.js';
import { KernelWatch } from './controllers/watch.js';
import { mergeControllers } from './controllers/merge/rules.js';
import { AddressSpecController } from './controllers/spec/address-spec.js';
import { LinkSpecController } from './controllers/spec/link-spec.js';
import { RouteSpecController } from './controllers/spec/route-spec.js';
import { RoutingRuleConfigController } from './controllers/config/rule-config.js';
import { FirewallConfigController } from './controllers/config/firewall-config.js';
import { EthernetConfigController } from './controllers/config/ethernet-config.js';
import { EthernetSpecController } from './controllers/spec/ethernet-spec.js';
import { EthtoolClient, EthtoolMonitor } from './netlink/ethtool.js';
import { ProbeConfigController } from './controllers/config/probe-config.js';
import { ProbeStatusController } from './controllers/status/probe-status.js';
import { HostDNSController } from './controllers/status/host-dns.js';
import { probeOnce } from './operators/probe/probe.js';
import { RoutingRuleSpecController } from './controllers/spec/rule-spec.js';
import { RoutingRuleStatusController } from './controllers/status/rule-status.js';
import { AddressStatusController } from './controllers/status/address-status.js';
import { LinkStatusController } from './controllers/status/link-status.js';
import { EthernetStatusController } from './controllers/status/ethernet-status.js';
import { LinkNameController } from './controllers/spec/link-name.js';
import type { HardwareSource } from './hw/hardware.js';
import { RouteStatusController } from './controllers/status/route-status.js';
import { NetworkStatusController } from './controllers/status/network-status.js';
import type { Controller } from './runtime/controller.js';
import { OperatorSpecController } from './controllers/operators/operator-spec.js';
import { dhcp4Operator } from './operators/dhcp4/operator.js';
import { dhcp6Operator } from './operators/dhcp6/operator.js';
import { DiscoveryConfigController } from './controllers/cluster/discovery-config.js';
import { NodeIdentityController } from './controllers/cluster/node-identity.js';
import { LocalAffiliateController } from './controllers/cluster/local-affiliate.js';
import { KubeSpanConfigController } from './controllers/kubespan/config.js';
import { KubeSpanIdentityController } from './controllers/kubespan/identity.js';
import { kubespanAffiliateSource } from './controllers/kubespan/affiliate.js';
import { KubeSpanPeerSpecController } from './controllers/kubespan/peer-spec.js';
import { KubeSpanManagerController } from './controllers/kubespan/manager.js';
import { KubeSpanEndpointController } from './controllers/kubespan/endpoint.js';
import { NftTableSpecController } from './controllers/spec/nftables-spec.js';
import { NftTables, nftRunner } from './nftables/nft.js';
import { KUBESPAN_PEER_RECONCILE_MS } from './kubespan/constants.js';
import { DiscoveryServiceController, type DiscoveryOptions } from './controllers/cluster/discovery-service.js';
import { AffiliateMergeController } from './controllers/cluster/affiliate-merge.js';
import { MemberController } from './controllers/cluster/member.js';
import { vipOperator } from './operators/vip/operator.js';
import { vipOptions, type VipOptions } from './operators/vip/options.js';
import { PacketAnnouncer, packetSender } from './controllers/spec/announce.js';
import { netnsPath } from './netlink/transport.js';

/** The operators this netcfg runs. */
function operators(vip: VipOptions | undefined) {
  // one-shot runs never start operators: the VIP defaults only stand in there
  return { dhcp4: dhcp4Operator, dhcp6: dhcp6Operator, vip: vipOperator(vip ?? vipOptions({}, undefined, () => false)) };
}
import type { Logger } from './log.js';
import type { EtcTarget } from './host.js';
import { NS } from './resources/resource.js';
import { T } from './resources/network/types.js';
import type { ChangeLog } from './runtime/changes.js';
import { Runtime, type RuntimeMode } from './runtime/runtime.js';
import type { StateFile } from './runtime/state-file.js';

export const CONFIG_OWNER = 'user';

export interface EngineOptions {
  kernel: Kernel;
  log: Logger;
  mode: RuntimeMode;
  dryRun?: boolean;
  state?: StateFile;
  /** The UTS namespace for the hostname (omitted: hostname specs are not applied). */
  uts?: Uts;
  /** Where resolv.conf and hosts go and how (omitted, or no dir: files are not written). */
  etc?: EtcTarget | undefined;
  /** sysfs and ethtool for hardware facts and predictable names (omitted: neither; see hw/hardware.ts hardwareFor). */
  hardware?: HardwareSource | undefined;
  /** The network namespace worked on (operators open their sockets there). */
  netns?: string | undefined;
  /** etcd and lease settings for the VIP operators (daemon). */
  vip?: VipOptions | undefined;
  /** More controllers, registered after the others (the daemon's statuses). */
  extra?: Controller[];
  /** This node's identity file (STATE_DIR/SCOPE.node-identity.yaml); omitted: no NodeIdentity. */
  identityFile?: string | undefined;
  /** This node's KubeSpan key file (STATE_DIR/SCOPE.kubespan-identity.yaml); omitted: no KubeSpanIdentity. */
  kubespanIdentityFile?: string | undefined;
  /** How often the daemon re-checks the nftables tables netcfg owns (default: the KubeSpan interval, 30 s). */
  nftRecheckMs?: number | undefined;
}

/** The nftables tables netcfg owns, through `nft` in the namespace worked on (started only when there is a table to manage). */
function nftController(options: Pick<EngineOptions, 'netns' | 'nftRecheckMs'>): NftTableSpecController {
  let tables: NftTables | undefined;
  return new NftTableSpecController(() => (tables ??= new NftTables(nftRunner(options.netns))), options.nftRecheckMs ?? KUBESPAN_PEER_RECONCILE_MS);
}

/** Links' ethtool settings, through the ethtool netlink family in the namespace worked on (opened only when a link has some). */
function ethernetController(runtime: Runtime, options: Pick<EngineOptions, 'netns'>): EthernetSpecController {
  let client: EthtoolClient | undefined;
  runtime.onStop(() => {
    client?.close();
    client = undefined;
  });
  return new EthernetSpecController(() => (client ??= EthtoolClient.open(options.netns)));
}

/**
 * The status controllers (the spec controllers and operators read the
 * kernel's links, addresses, routes and rules through them; the link
 * controllers list links themselves only to read back what they wrote, and the
 * name controller, which renames before any status is taken) and the kernel
 * watch that wakes them. One-shot runs watch links and
 * addresses (what a pass changes, the next pass sees); the daemon also watches
 * routes (drift), filtered to what netcfg manages. Registers the link and
 * address statuses, and returns the link statuses (the link spec controllers
 * read their listing) and the route statuses, which are the caller's to
 * register, after the RouteSpec merge (see configRuntime).
 */
function registerStatuses(runtime: Runtime, options: Pick<EngineOptions, 'kernel' | 'log' | 'hardware'>, mode: RuntimeMode, events: { watch: KernelWatch | undefined }): { routes: RouteStatusController; links: LinkStatusController } {
  // registered by the caller, after the merge controllers
  const routes = new RouteStatusController(options.kernel, { daemon: mode === 'daemon' });
  const links = new LinkStatusController(options.kernel, options.hardware);
  runtime.register(links);
  runtime.register(new AddressStatusController(options.kernel));
  const kernel = options.kernel;
  if (!kernel.watch) return { routes, links };
  const watcher = { watch: kernel.watch.bind(kernel) };
  runtime.onStart(() => {
    events.watch = new KernelWatch(
      watcher,
      {
        // IPv4 drops routes through a link or an address that goes away without telling anyone (no RTM_DELROUTE):
        // the daemon re-lists route statuses on link and address events too (a one-shot run lists them
        // once, before its route pass: it makes the only changes there)
        link: ['LinkNameController', 'LinkStatusController', ...(mode === 'daemon' ? ['RouteStatusController', 'EthernetStatusController'] : [])],
        address: ['AddressStatusController', ...(mode === 'daemon' ? ['RouteStatusController'] : [])],
        ...(mode === 'daemon' ? { route: ['RouteStatusController'], rule: ['RoutingRuleStatusController'] } : {}),
      },
      (name, hint) => runtime.wake(name, hint),
      options.log,
      (h) => routes.managed.concerns(h),
    );
  });
  runtime.onStop(() => events.watch?.close());
  return { routes, links };
}

function newRuntime(options: Pick<EngineOptions, 'log' | 'dryRun' | 'state'>, mode: RuntimeMode, events: { watch: KernelWatch | undefined }): Runtime {
  return new Runtime({
    log: options.log,
    mode,
    dryRun: options.dryRun ?? false,
    ...(options.state ? { persist: (resources) => options.state!.save(resources) } : {}),
    quiesce: () => events.watch?.barrier() ?? Promise.resolve(),
  });
}

function loadState(runtime: Runtime, state: StateFile | undefined, log: Logger): void {
  if (!state) return;
  for (const kind of state.load()) {
    for (const item of kind.items) runtime.store.put(NS.state, kind.type, item.id, item.spec, kind.owner);
  }
  if (state.recovered) log.warn({ file: state.file, from: state.lastingFile }, 'state file cut short (a power loss?): what outlives a reboot is taken from the lasting file');
  if (state.droppedRecords > 0) log.info({ file: state.file, records: state.droppedRecords }, 'state saved in an earlier boot: its records of kernel objects are dropped (they went with that boot)');
}

/** A runtime with every configuration, merge, status and spec controller, and persisted state loaded. */
export function configRuntime(options: EngineOptions): Runtime {
  const events: { watch: KernelWatch | undefined } = { watch: undefined };
  const runtime = newRuntime(options, options.mode, events);
  // renames first: statuses, selectors and specs see the final names
  runtime.register(new LinkNameController(options.kernel, options.hardware));
  const { routes: routeStatuses, links: linkStatuses } = registerStatuses(runtime, options, options.mode, events);
  runtime.register(new LinkAliasConfigController());
  runtime.register(new DeviceConfigController());
  runtime.register(new LinkConfigController());
  runtime.register(new AddressConfigController());
  runtime.register(new RouteConfigController());
  runtime.register(new RoutingRuleConfigController());
  runtime.register(new HostnameConfigController());
  runtime.register(new ResolverConfigController());
  runtime.register(new OperatorConfigController());
  runtime.register(new TimeServerConfigController());
  runtime.register(new DiscoveryConfigController());
  runtime.register(new KubeSpanConfigController());
  runtime.register(new FirewallConfigController());
  runtime.register(new EthernetConfigController());
  runtime.register(new ProbeConfigController());
  if (options.identityFile !== undefined) runtime.register(new NodeIdentityController(options.identityFile));
  if (options.kubespanIdentityFile !== undefined) runtime.register(new KubeSpanIdentityController(options.kubespanIdentityFile));
  for (const c of mergeControllers()) runtime.register(c);
  // The route statuses once the route specs are merged: netcfg's records from the state file name the
  // same tables, and a pass before would list them twice (at 100k routes, 0.3 s and a second index held
  // at once). One-shot runs go in registration order; the daemon runs a controller only once every
  // writer of its inputs (here the RouteSpec merge) has run.
  runtime.register(routeStatuses);
  const ruleStatuses = new RoutingRuleStatusController(options.kernel, { onlyWhenManaged: options.mode === 'oneshot' });
  runtime.register(ruleStatuses);
  runtime.register(new OperatorSpecController(operators(options.vip), { netns: options.netns, log: options.log }));
  // aliases before the links: config may name a link by the alias a LinkAliasConfig gives it
  runtime.register(new LinkAliasSpecController(options.kernel, new LinkReads(options.kernel, linkStatuses)));
  runtime.register(new LinkSpecController(options.kernel, new LinkReads(options.kernel, linkStatuses)));
  // addresses that moved here (a VIP) are announced, by the daemon only
  const announcer = options.mode === 'daemon' && !options.dryRun ? new PacketAnnouncer(packetSender(options.netns === undefined ? undefined : netnsPath(options.netns)), options.log) : undefined;
  runtime.register(new AddressSpecController(options.kernel, announcer));
  runtime.register(new RouteSpecController(options.kernel, routeStatuses, { pauseRouteEvents: () => events.watch?.pauseRoutes() ?? (() => {}) }));
  runtime.register(new RoutingRuleSpecController(options.kernel, ruleStatuses));
  runtime.register(nftController(options));
  runtime.register(ethernetController(runtime, options));
  if (options.uts) runtime.register(new HostnameSpecController(options.uts));
  runtime.register(new ResolverSpecController());
  if (options.etc?.dir !== undefined) runtime.register(new EtcFileController(options.etc.dir, { inPlace: options.etc.inPlace }));
  for (const c of options.extra ?? []) runtime.register(c);
  loadState(runtime, options.state, options.log);
  return runtime;
}

export interface DaemonControllerOptions {
  hostname: boolean;
  etcFiles: boolean;
  /** Cluster discovery and KubeSpan (clients start only when the config enables them). */
  discovery?: DiscoveryOptions;
  /** KubeSpan's peer reconcile interval (Talos: 30 s). */
  kubespanIntervalMs?: number | undefined;
  /** Where connectivity probes connect from and host DNS listens (/run/netns/NAME); undefined: the process's own namespace. */
  netnsPath?: string | undefined;
  log: Logger;
}

/** What only the daemon runs besides the configuration: connectivity probes, network readiness, cluster discovery and KubeSpan. */
export function daemonControllers(kernel: Kernel, options: DaemonControllerOptions): Controller[] {
  const controllers: Controller[] = [
    new ProbeStatusController((spec, proxy) => probeOnce(spec, options.netnsPath, proxy)),
    new NetworkStatusController(options),
    new HostDNSController({ netnsPath: options.netnsPath, log: options.log }),
    new EthernetStatusController(() => EthtoolClient.open(options.netnsPath), {
      watch: (onChange) => EthtoolMonitor.open(options.netnsPath, onChange),
      log: options.log,
    }),
  ];
  if (options.discovery) {
    controllers.push(
      new LocalAffiliateController(options.discovery.version, kubespanAffiliateSource),
      new DiscoveryServiceController(options.discovery),
      new AffiliateMergeController(),
      new MemberController(),
      new KubeSpanPeerSpecController(),
      new KubeSpanManagerController(kernel, { intervalMs: options.kubespanIntervalMs, log: options.discovery.log }),
      new KubeSpanEndpointController(),
    );
  }
  return controllers;
}

/**
 * Undoes everything netcfg applied (as recorded in the state): only the spec
 * controllers run, with no specs, so every record is an orphan to undo.
 */
export async function undoAll(options: Omit<EngineOptions, 'mode'>): Promise<ApplyResult> {
  const events: { watch: KernelWatch | undefined } = { watch: undefined };
  const runtime = newRuntime(options, 'oneshot', events);
  const { routes: routeStatuses, links: linkStatuses } = registerStatuses(runtime, options, 'oneshot', events);
  runtime.register(routeStatuses);
  const ruleStatuses = new RoutingRuleStatusController(options.kernel, { onlyWhenManaged: true });
  runtime.register(ruleStatuses);
  runtime.register(new LinkAliasSpecController(options.kernel, new LinkReads(options.kernel, linkStatuses)));
  runtime.register(new LinkSpecController(options.kernel, new LinkReads(options.kernel, linkStatuses)));
  runtime.register(new AddressSpecController(options.kernel));
  runtime.register(new RouteSpecController(options.kernel, routeStatuses));
  runtime.register(new RoutingRuleSpecController(options.kernel, ruleStatuses));
  runtime.register(nftController(options));
  runtime.register(ethernetController(runtime, options));
  if (options.uts) runtime.register(new HostnameSpecController(options.uts));
  if (options.etc?.dir !== undefined) runtime.register(new EtcFileController(options.etc.dir, { inPlace: options.etc.inPlace }));
  loadState(runtime, options.state, options.log);
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes, failures: runtime.failures() };
}

/**
 * A runtime that only observes the kernel's links, addresses and rules (`netcfg get`; routes are streamed),
 * and with `ethtool` (its namespace: a name, a path, or undefined for this process's), what ethtool reports of the links.
 */
export function statusRuntime(kernel: Kernel, log: Logger, hardware?: HardwareSource, ethtool?: { netns: string | undefined }): Runtime {
  const runtime = new Runtime({ log, mode: 'oneshot' });
  runtime.register(new LinkStatusController(kernel, hardware));
  runtime.register(new AddressStatusController(kernel));
  runtime.register(new RoutingRuleStatusController(kernel));
  if (ethtool) runtime.register(new EthernetStatusController(() => EthtoolClient.open(ethtool.netns)));
  return runtime;
}

export interface ApplyResult {
  changes: ChangeLog;
  failures: Array<{ controller: string; error: Error }>;
}

/** One pass: make the kernel match `config`, then return what changed. */
export async function applyOnce(config: ConfigSet, options: Omit<EngineOptions, 'mode'> & { cmdline?: CmdlineNetwork | undefined }): Promise<ApplyResult> {
  const runtime = configRuntime({ ...options, mode: 'oneshot' });
  putConfig(runtime.store, config, CONFIG_OWNER);
  if (options.cmdline) runtime.store.put(NS.config, T.Cmdline, CMDLINE_ID, options.cmdline, CONFIG_OWNER);
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes, failures: runtime.failures() };
}
