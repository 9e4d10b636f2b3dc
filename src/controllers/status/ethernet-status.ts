// EthernetStatusController: one EthernetStatus per link ethtool reports on, as
// Talos' does (`get ethtool`): the port, the link mode (speed, duplex, the modes
// both ends advertise), whether a carrier is detected, the ring sizes and channel
// counts with their maximums, every feature as `ethtool -k` shows it, and the
// Wake-on-LAN modes on. A link whose driver has no ethtool link info (loopback,
// most tunnels) has none. A link is re-read after a link event about it, after
// an ethtool notification about it (the daemon follows ethtool's "monitor"
// group: a ring or channel change need not raise a link event), when its LinkStatus
// changes, and after netcfg's own EthernetConfig writes to it; the others keep
// what was read (a node with a hundred pod veths does not ask ethtool about all
// of them at every pod's event). An event overrun, or a runtime without kernel
// events, re-reads what it cannot tell apart.
import { NS, type Resource } from '../../resources/resource.js';
import { duplexName, portName } from '../../resources/network/enums.js';
import { T, type EthernetStatus, type LinkStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext, WakeHint } from '../../runtime/controller.js';
import type { ChannelStatusName, EthtoolClient, RingStatusName } from '../../netlink/ethtool.js';
import { isNetlinkErrno } from '../../netlink/errors.js';
import { syncOutputs } from '../sync.js';
import type { Logger } from '../../log.js';
import { monotonicMs } from '../../util/clock.js';

/** A ring attribute as Talos shows it: tx-push and rx-push as booleans, tcp-data-split too (ETHTOOL_TCP_DATA_SPLIT_*: 2 enabled, 1 disabled, 0 unknown: left out), the rest as numbers. */
function ringValue(name: RingStatusName, v: number): number | boolean | undefined {
  if (name === 'tx-push' || name === 'rx-push') return v !== 0;
  if (name === 'tcp-data-split') return v === 0 ? undefined : v === 2;
  return v;
}

/**
 * The value, or undefined when the driver does not support the request (EOPNOTSUPP and the like), or for
 * `alsoEPERM` when this process may not ask (Wake-on-LAN is read with CAP_NET_ADMIN only: the rest is shown
 * without it, as ethtool does); another failure throws.
 */
async function optional<V>(read: Promise<V>, alsoEPERM = false): Promise<V | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNetlinkErrno(err, 'EOPNOTSUPP', 'ENODEV', 'ENOENT', 'EINVAL') || (alsoEPERM && isNetlinkErrno(err, 'EPERM'))) return undefined;
    throw err;
  }
}

/** What ethtool reports of `link`; undefined when it has no link info; throws on a failure other than "not supported". */
export async function ethernetStatusOf(ethtool: EthtoolClient, link: string): Promise<EthernetStatus | undefined> {
  const info = await optional(ethtool.linkInfo(link));
  if (!info) return undefined;
  const [modes, state, rings, channels, features, wol] = [
    await optional(ethtool.linkModes(link)),
    await optional(ethtool.linkState(link)),
    await optional(ethtool.ringStatus(link)),
    await optional(ethtool.channelStatus(link)),
    await optional(ethtool.featureStates(link)),
    await optional(ethtool.wolStatus(link), true),
  ];
  const status: EthernetStatus = {
    port: info.port === undefined ? '' : portName(info.port),
    duplex: duplexName(modes?.duplex),
  };
  if (state !== undefined) status.linkState = state;
  if (modes?.speed !== undefined) status.speedMbit = modes.speed;
  if (modes && modes.ours.length > 0) status.ourModes = modes.ours;
  if (modes && modes.peer.length > 0) status.peerModes = modes.peer;
  const shown = (Object.entries(rings ?? {}) as Array<[RingStatusName, number]>).map(([k, v]) => [k, ringValue(k, v)] as const).filter(([, v]) => v !== undefined);
  if (shown.length > 0) status.rings = Object.fromEntries(shown) as Record<string, number | boolean>;
  if (features && features.length > 0) status.features = Object.fromEntries(features.map((f) => [f.name, f.status]));
  const counts = Object.entries(channels ?? {}) as Array<[ChannelStatusName, number]>;
  if (counts.length > 0) status.channels = Object.fromEntries(counts);
  if (wol && wol.length > 0) status.wakeOnLAN = wol;
  return status;
}

/** How soon a link whose read failed (not "unsupported": a busy driver, a socket error) is read again. */
const RETRY_MS = 2000;
/** How soon following ethtool's notifications is tried again after it failed (at the first pass after that). */
const FOLLOW_RETRY_MS = 60_000;

export interface EthernetStatusOptions {
  /** How soon a link whose read failed for a passing reason is read again (ms). */
  retryMs?: number;
  /** The daemon: follows ethtool's notifications, telling which link changed (undefined: any); undefined when there are none. */
  watch?: ((onChange: (ifindex: number | undefined) => void) => Promise<{ close(): void } | undefined>) | undefined;
  /** How soon a subscription that failed is tried again (ms; at the first pass after that). */
  followRetryMs?: number;
  log?: Logger;
}

export class EthernetStatusController implements Controller {
  readonly name = 'EthernetStatusController';
  readonly inputs = [
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.state, type: T.AppliedEthernet },
    { namespace: NS.network, type: T.EthernetSpec },
  ];
  readonly outputs = [{ namespace: NS.network, type: T.EthernetStatus, kind: 'exclusive' as const }];
  readonly after = ['LinkStatusController', 'EthernetSpecController'];

  private client: EthtoolClient | undefined;
  /** What each link read as, and what it was read after (its ifindex and the versions of what concerns it). */
  private readonly read = new Map<string, { after: string; status: EthernetStatus | undefined }>();
  /** Links (ifindex) that kernel events named since the last pass began; 'all' after an event that named none. */
  private dirty: Set<number> | 'all' = new Set();

  private monitor: { close(): void } | undefined;
  private following = false;
  /** When a failed subscription may be tried again (ms, monotonic). */
  private followAgainAt = 0;
  private stopped = false;
  private wake: ((hint: WakeHint) => void) | undefined;

  private readonly retryMs: number;
  private readonly followRetryMs: number;
  private readonly watch: EthernetStatusOptions['watch'];
  private readonly log: Logger | undefined;

  /** `open`: the ethtool client of the namespace worked on, opened on the first pass with a link to read. */
  constructor(
    private readonly open: () => EthtoolClient,
    options: EthernetStatusOptions = {},
  ) {
    this.retryMs = options.retryMs ?? RETRY_MS;
    this.followRetryMs = options.followRetryMs ?? FOLLOW_RETRY_MS;
    this.watch = options.watch;
    this.log = options.log;
  }

  start(_wake: () => void, outside: (hint: WakeHint) => void): void {
    this.wake = outside;
  }

  /**
   * Starts following ethtool's notifications (once, from the first pass: off the boot path, and not waited
   * for). Once subscribed, every link is read again: a change made before would have gone unheard.
   */
  private follow(): void {
    const watch = this.watch;
    const wake = this.wake;
    if (!watch || !wake || this.following || monotonicMs() < this.followAgainAt) return;
    this.following = true;
    // as a link event is: the runtime hands the hint over and coalesces the wake-ups
    const changed = (ifindex: number | undefined) => wake(ifindex === undefined ? {} : { ifindex });
    watch(changed).then(
      (monitor) => {
        if (this.stopped) return monitor?.close();
        this.monitor = monitor;
        if (!monitor) this.log?.info('ethtool has no monitor group here: ring and channel changes show at the next link event');
        else changed(undefined);
      },
      (err: unknown) => {
        // tried again at a pass a minute on (they come with link events)
        this.following = false;
        this.followAgainAt = monotonicMs() + this.followRetryMs;
        this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot follow ethtool notifications now: ring and channel changes show at the next link event');
      },
    );
  }

  hint(hint: WakeHint): void {
    if (hint.ifindex === undefined) this.dirty = 'all';
    else if (this.dirty !== 'all') this.dirty.add(hint.ifindex);
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    this.follow();
    const dirty = this.dirty;
    this.dirty = new Set();
    const desired = new Map<string, EthernetStatus>();
    const links = ctx.list<LinkStatus>(NS.network, T.LinkStatus).filter((l) => l.spec.type !== 'loopback');
    // versions restart at 1 when a resource is made again: its creation time tells the two apart
    const version = (r: Resource<unknown> | undefined) => (r ? `${r.metadata.version}@${r.metadata.created}` : '-');
    for (const l of links) {
      const name = l.metadata.id;
      const applied = version(ctx.get(NS.state, T.AppliedEthernet, name));
      const spec = version(ctx.get(NS.network, T.EthernetSpec, name));
      const after = `${l.spec.index}/${version(l)}/${applied}/${spec}`;
      let entry = this.read.get(name);
      if (entry === undefined || entry.after !== after || dirty === 'all' || dirty.has(l.spec.index)) {
        try {
          this.read.set(name, (entry = { after, status: await ethernetStatusOf((this.client ??= this.open()), name) }));
        } catch (err) {
          // a passing failure: what was read before stays shown, and the link is read again soon
          ctx.log.debug({ link: name, err }, 'ethtool: cannot read the link now; trying again');
          this.hint({ ifindex: l.spec.index });
          ctx.requeueAfter(this.retryMs);
        }
      }
      if (entry?.status) desired.set(name, entry.status);
    }
    const present = new Set(links.map((l) => l.metadata.id));
    for (const name of this.read.keys()) if (!present.has(name)) this.read.delete(name);
    syncOutputs(ctx, this.name, NS.network, T.EthernetStatus, desired);
  }

  stop(): void {
    this.stopped = true;
    this.monitor?.close();
    this.monitor = undefined;
    this.client?.close();
    this.client = undefined;
    this.read.clear();
  }
}
