// Assembles the controllers into a runtime: configuration → per-layer specs →
// merged specs → kernel, and kernel → statuses.
import type { MachineConfig } from './config/schema.js';
import { AddressConfigController } from './controllers/config/address-config.js';
import { DeviceConfigController } from './controllers/config/device-config.js';
import { LinkConfigController } from './controllers/config/link-config.js';
import { MACHINE_CONFIG_ID } from './controllers/config/machine-config.js';
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
import { KernelWatch } from './controllers/watch.js';
import { mergeControllers } from './controllers/merge/rules.js';
import { AddressSpecController } from './controllers/spec/address-spec.js';
import { LinkSpecController } from './controllers/spec/link-spec.js';
import { RouteSpecController } from './controllers/spec/route-spec.js';
import { RoutingRuleSpecController } from './controllers/spec/rule-spec.js';
import { RoutingRuleStatusController } from './controllers/status/rule-status.js';
import { AddressStatusController } from './controllers/status/address-status.js';
import { LinkStatusController } from './controllers/status/link-status.js';
import { LinkNameController } from './controllers/spec/link-name.js';
import type { HardwareSource } from './hw/hardware.js';
import { RouteStatusController } from './controllers/status/route-status.js';
import { NetworkStatusController } from './controllers/status/network-status.js';
import type { Controller } from './runtime/controller.js';
import { OperatorSpecController } from './controllers/operators/operator-spec.js';
import { dhcp4Operator } from './operators/dhcp4/operator.js';
import { dhcp6Operator } from './operators/dhcp6/operator.js';

/** The operators this netcfg runs (VIP comes later). */
const OPERATORS = { dhcp4: dhcp4Operator, dhcp6: dhcp6Operator };
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
  /** More controllers, registered after the others (the daemon's statuses). */
  extra?: Controller[];
}

/** A runtime with every configuration, merge and spec controller, and persisted state loaded. */
export function configRuntime(options: EngineOptions): Runtime {
  const runtime = new Runtime({
    log: options.log,
    mode: options.mode,
    dryRun: options.dryRun ?? false,
    ...(options.state ? { persist: (resources) => options.state!.save(resources) } : {}),
  });
  // renames first: statuses, selectors and specs see the final names
  runtime.register(new LinkNameController(options.kernel, options.hardware));
  runtime.register(new LinkStatusController(options.kernel, options.hardware));
  runtime.register(new DeviceConfigController());
  runtime.register(new LinkConfigController());
  runtime.register(new AddressConfigController());
  runtime.register(new RouteConfigController());
  runtime.register(new HostnameConfigController());
  runtime.register(new ResolverConfigController());
  runtime.register(new OperatorConfigController());
  runtime.register(new TimeServerConfigController());
  for (const c of mergeControllers()) runtime.register(c);
  runtime.register(new OperatorSpecController(OPERATORS, { kernel: options.kernel, netns: options.netns, log: options.log }));
  runtime.register(new LinkSpecController(options.kernel));
  runtime.register(new AddressSpecController(options.kernel));
  runtime.register(new RouteSpecController(options.kernel));
  runtime.register(new RoutingRuleSpecController(options.kernel));
  if (options.uts) runtime.register(new HostnameSpecController(options.uts));
  runtime.register(new ResolverSpecController());
  if (options.etc?.dir !== undefined) runtime.register(new EtcFileController(options.etc.dir, { inPlace: options.etc.inPlace }));
  for (const c of options.extra ?? []) runtime.register(c);
  if (options.state) {
    for (const kind of options.state.load()) {
      for (const item of kind.items) runtime.store.put(NS.state, kind.type, item.id, item.spec, kind.owner);
    }
  }
  return runtime;
}

/** What only the daemon runs besides the configuration: kernel statuses and network readiness. */
export function daemonControllers(kernel: Kernel, options: { hostname: boolean; etcFiles: boolean }): Controller[] {
  return [new AddressStatusController(kernel), new RouteStatusController(kernel), new RoutingRuleStatusController(kernel), new NetworkStatusController(options)];
}

/**
 * Wakes the spec controllers on kernel events (daemon mode): a link that
 * appears later is configured, and drift is repaired.
 */
export function watchKernel(runtime: Runtime, netns: string | undefined, log: Logger): KernelWatch {
  // statuses first: the spec controllers and operators read them
  const link = ['LinkNameController', 'LinkStatusController', 'LinkSpecController', 'AddressSpecController', 'RouteSpecController'];
  const address = ['AddressStatusController', 'AddressSpecController', 'RouteSpecController'];
  const route = ['RouteStatusController', 'RouteSpecController'];
  const rule = ['RoutingRuleStatusController', 'RoutingRuleSpecController'];
  return new KernelWatch(netns, { link, address, route, rule }, (name) => runtime.wake(name), log);
}

/**
 * Undoes everything netcfg applied (as recorded in the state): only the spec
 * controllers run, with no specs, so every record is an orphan to undo.
 */
export async function undoAll(options: Omit<EngineOptions, 'mode'>): Promise<ApplyResult> {
  const runtime = new Runtime({
    log: options.log,
    mode: 'oneshot',
    dryRun: options.dryRun ?? false,
    ...(options.state ? { persist: (resources) => options.state!.save(resources) } : {}),
  });
  runtime.register(new LinkSpecController(options.kernel));
  runtime.register(new AddressSpecController(options.kernel));
  runtime.register(new RouteSpecController(options.kernel));
  runtime.register(new RoutingRuleSpecController(options.kernel));
  if (options.uts) runtime.register(new HostnameSpecController(options.uts));
  if (options.etc?.dir !== undefined) runtime.register(new EtcFileController(options.etc.dir, { inPlace: options.etc.inPlace }));
  if (options.state) {
    for (const kind of options.state.load()) {
      for (const item of kind.items) runtime.store.put(NS.state, kind.type, item.id, item.spec, kind.owner);
    }
  }
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes, failures: runtime.failures() };
}

/** A runtime that only observes the kernel. */
export function statusRuntime(kernel: Kernel, log: Logger, hardware?: HardwareSource): Runtime {
  const runtime = new Runtime({ log, mode: 'oneshot' });
  runtime.register(new LinkStatusController(kernel, hardware));
  runtime.register(new AddressStatusController(kernel));
  runtime.register(new RouteStatusController(kernel));
  runtime.register(new RoutingRuleStatusController(kernel));
  return runtime;
}

export interface ApplyResult {
  changes: ChangeLog;
  failures: Array<{ controller: string; error: Error }>;
}

/** One pass: make the kernel match `config`, then return what changed. */
export async function applyOnce(config: MachineConfig, options: Omit<EngineOptions, 'mode'> & { cmdline?: CmdlineNetwork | undefined }): Promise<ApplyResult> {
  const runtime = configRuntime({ ...options, mode: 'oneshot' });
  runtime.store.put(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, config, CONFIG_OWNER);
  if (options.cmdline) runtime.store.put(NS.config, T.Cmdline, CMDLINE_ID, options.cmdline, CONFIG_OWNER);
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes, failures: runtime.failures() };
}
