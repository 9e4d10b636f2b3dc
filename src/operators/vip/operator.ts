// The VIP operator (Talos operator/vip.go): while its link is up, it campaigns
// in the etcd election for its VIP; the winner holds `<VIP>/32` (or /128) at
// the operator layer, which the address controller adds and announces.
//
// The etcd session is this operator's background task: start() returns at once
// and nothing in a reconcile waits on etcd. The owner fences itself: it holds
// the VIP only while its lease is provably alive (the last answered renewal's
// send time + TTL, minus a margin for clock and scheduling), so a partitioned
// owner has dropped the address before etcd can expire its lease and let
// another node win. Losing or stopping: the address goes first (the controller,
// or stepDown here, waits until it has left the kernel), then the lease is
// revoked, which deletes our election key so the next candidate wins at once.
import os from 'node:os';
import type { Logger } from '../../log.js';
import { ipFamily } from '../../net/ip.js';
import type { AddressSpec } from '../../resources/network/types.js';
import { NO_SPECS, type Operator, type OperatorContext, type OperatorDetail, type OperatorFactory, type OperatorSpecs } from '../operator.js';
import { EtcdClient, type EtcdEndpoint, type EtcdTlsFiles } from './etcd/client.js';
import { Election, electionPrefix, type ElectionState } from './election.js';
import type { VipOptions } from './options.js';
import { platformHandler, type PlatformHandler } from './platform/handler.js';
import { LeaseSession, realClock, type SessionClock } from './session.js';

/** Talos' campaignRetryInterval: a failed campaign is tried again after this long. */
export const CAMPAIGN_RETRY_MS = 1000;
/** How long a stepping-down owner waits for its address to leave the kernel before revoking anyway. */
const WITHDRAW_WAIT_MS = 2000;

/**
 * How long before the lease's earliest possible expiry the owner drops the VIP:
 * a quarter of the TTL, at least 500 ms (timer and reconcile latency on a
 * loaded machine, the address removal itself), at most 2 s.
 */
export function fenceMarginMs(ttlSeconds: number): number {
  return Math.min(2000, Math.max(500, ttlSeconds * 250));
}

export type VipPhase = 'waiting' | 'connecting' | 'standby' | 'acquiring' | 'owner' | 'fenced' | 'stepping-down' | 'retrying' | 'stopped';

class Stopped extends Error {
  constructor() {
    super('stopped');
  }
}

/** Opens an etcd client (tests pass a fake). */
export type EtcdConnect = (endpoint: EtcdEndpoint, tls: EtcdTlsFiles | undefined) => Promise<EtcdClient>;

export function vipOperator(options: VipOptions, clock: SessionClock = realClock, connect: EtcdConnect = (e, t) => EtcdClient.open(e, t)): OperatorFactory {
  return (ctx) => new VipOperator(ctx, options, clock, connect);
}

export class VipOperator implements Operator {
  readonly withdrawOnShutdown = true;
  private readonly ip: string;
  private readonly address: AddressSpec;
  private readonly hostname: string | undefined;
  private readonly handler: PlatformHandler | undefined;
  private readonly margin: number;
  private readonly log: Logger;

  private phase: VipPhase = 'connecting';
  private reason = '';
  private lastLogged = '';
  /** The leader's hostname as last observed. */
  private owner: string | undefined;
  private leader = false;
  private acquired = false;
  private fenced = false;
  private holding = false;
  private stepping = false;
  private stopped = false;
  private generation = 0;
  private endpointIndex = 0;
  private client: EtcdClient | undefined;
  private session: LeaseSession | undefined;
  private election: Election | undefined;
  private lastRenewal = 0;
  private fenceTimer: NodeJS.Timeout | undefined;
  private abort: ((err: Error) => void) | undefined;
  private wakeSleep: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly options: VipOptions,
    private readonly clock: SessionClock,
    private readonly connect: EtcdConnect,
  ) {
    const vip = ctx.spec.vip ?? { ip: '', gratuitousARP: false };
    this.ip = vip.ip;
    const v6 = ipFamily(vip.ip) === 'inet6';
    this.address = {
      address: `${vip.ip}/${v6 ? 128 : 32}`,
      linkName: ctx.link.name,
      family: v6 ? 'inet6' : 'inet4',
      scope: 'global',
      // no DAD for an IPv6 VIP: the election already makes it unique, and DAD would hold it tentative for a second
      flags: v6 ? 'permanent,nodad' : 'permanent',
      // for IPv6 this asks for an unsolicited neighbour advertisement (Talos sends nothing for IPv6)
      announceWithARP: vip.gratuitousARP,
      priority: 0,
      layer: 'operator',
    };
    this.hostname = ctx.nodeHostname || (ctx.netnsPath === undefined ? os.hostname() : undefined) || undefined;
    this.log = ctx.log.child({ operator: 'vip', link: ctx.link.name, vip: vip.ip });
    this.handler = platformHandler(vip, options.platform, this.log);
    this.margin = fenceMarginMs(options.leaseTtl);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.(new Stopped());
    this.wakeSleep?.();
    await this.loop;
  }

  specs(): OperatorSpecs {
    return this.holding ? { ...NO_SPECS, addresses: [this.address] } : NO_SPECS;
  }

  status(): OperatorDetail {
    return {
      vip: this.ip,
      hostname: this.hostname ?? '',
      owner: this.owner ?? '',
      thisNode: this.holding,
      state: this.phase,
      reason: this.reason,
      leaseTTL: this.options.leaseTtl,
      leaseID: this.session ? this.session.id.toString(16) : '',
      lastRenewal: this.lastRenewal > 0 ? new Date(this.lastRenewal).toISOString() : '',
      etcd: this.options.endpoints.map((e) => e.url),
      platform: this.handler?.name ?? 'layer2',
    };
  }

  private setPhase(phase: VipPhase, reason: string): void {
    const changed = phase !== this.phase || reason !== this.reason;
    this.phase = phase;
    this.reason = reason;
    if (changed) this.ctx.notify();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const gen = ++this.generation;
      try {
        await this.campaign(gen);
      } catch (err) {
        if (!(err instanceof Stopped) && !this.stopped) {
          const msg = err instanceof Error ? err.message : String(err);
          // the same failure every second (etcd down) is logged once
          if (msg !== this.lastLogged) this.log.warn({ err: msg }, 'VIP campaign ended');
          else this.log.debug({ err: msg }, 'VIP campaign ended');
          this.lastLogged = msg;
          this.reason = msg;
          this.endpointIndex++;
        }
      }
      await this.stepDown();
      if (this.stopped) break;
      this.setPhase('retrying', this.reason);
      await this.sleep(CAMPAIGN_RETRY_MS);
    }
    this.setPhase('stopped', '');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async campaign(gen: number): Promise<void> {
    const ended = new Promise<never>((_, reject) => {
      this.abort = reject;
    });
    ended.catch(() => {});
    if (this.stopped) throw new Stopped();
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, ended]);
    if (!this.hostname) {
      this.setPhase('waiting', 'no hostname configured: the election value is the node hostname (machine.network.hostname)');
      await ended;
    }
    const endpoint = this.options.endpoints[this.endpointIndex % this.options.endpoints.length]!;
    this.setPhase('connecting', this.reason || `connecting to etcd at ${endpoint.url}`);
    const client = await race(this.connect(endpoint, this.options.tls));
    this.client = client;
    const session = await race(LeaseSession.grant(client, this.options.leaseTtl, this.clock));
    this.session = session;
    this.lastRenewal = this.clock.wall();
    session.start({
      renewed: () => this.onRenewed(gen),
      lost: (why) => this.abort?.(new Error(`etcd lease ${session.id.toString(16)} lost: ${why}`)),
    });
    const election = new Election(client, electionPrefix(this.ip), this.hostname!, session, this.log);
    this.election = election;
    await race(election.resignLeftovers());
    const revision = await race(election.campaign());
    this.log.debug({ key: election.key, lease: session.id.toString(16), ttl: session.ttl }, 'campaigning for the VIP');
    this.lastLogged = '';
    this.setPhase('standby', 'waiting for the election');
    const unobserve = election.observe(
      revision,
      (s) => this.onElection(gen, s),
      (err) => this.abort?.(err),
    );
    try {
      await ended;
    } finally {
      unobserve();
    }
  }

  private onElection(gen: number, s: ElectionState): void {
    if (gen !== this.generation || this.stepping) return;
    if (s.leader !== this.owner) this.log.info({ owner: s.leader ?? null }, 'VIP election leader');
    this.owner = s.leader;
    if (s.mine && !this.leader) {
      this.leader = true;
      this.log.info('won the VIP election');
      if (this.handler) {
        const handler = this.handler;
        this.setPhase('acquiring', `acquiring the VIP through the ${handler.name} API`);
        handler.acquire().then(
          () => {
            if (gen !== this.generation) return;
            this.acquired = true;
            this.update();
          },
          (err: unknown) => {
            if (gen === this.generation) this.abort?.(new Error(`${handler.name}: acquiring the VIP failed: ${err instanceof Error ? err.message : String(err)}`));
          },
        );
      } else {
        this.acquired = true;
      }
    } else if (!s.mine && this.leader) {
      this.abort?.(new Error(`lost the election to ${s.leader ?? 'nobody'}`));
      return;
    }
    this.update();
  }

  private onRenewed(gen: number): void {
    if (gen !== this.generation) return;
    this.lastRenewal = this.clock.wall();
    if (this.fenced && this.leader && this.election) {
      // the lease is provably alive again: take the VIP back once etcd confirms we still lead
      this.election.state().then(
        (s) => {
          if (gen !== this.generation || !this.fenced) return;
          if (s.mine) {
            this.fenced = false;
            this.log.info('the etcd lease is renewed again and this node still leads: holding the VIP again');
          }
          this.update();
        },
        () => {},
      );
    }
    this.update();
    // refreshes the reported last renewal
    this.ctx.notify();
  }

  /** Recomputes whether this node holds the VIP now, and when it must stop at the latest. */
  private update(): void {
    if (this.fenceTimer) this.clock.clearTimeout(this.fenceTimer);
    this.fenceTimer = undefined;
    const now = this.clock.now();
    const session = this.session;
    const fenceAt = session ? session.aliveUntil() - this.margin : 0;
    const eligible = this.leader && this.acquired && !this.stepping && !this.stopped && session !== undefined && !session.ended;
    if (eligible && !this.fenced && now >= fenceAt) {
      this.fenced = true;
      this.log.warn({ lateMs: Math.round(now - fenceAt), marginMs: this.margin }, 'cannot prove the etcd lease alive: dropping the VIP');
    }
    const hold = eligible && !this.fenced;
    if (hold) this.fenceTimer = this.clock.setTimeout(() => this.update(), fenceAt - now);
    if (eligible) {
      if (hold) this.setPhase('owner', '');
      else this.setPhase('fenced', 'no keepalive answered in time: the etcd lease cannot be proven alive');
    } else if (this.leader && !this.acquired && !this.stepping) {
      // acquiring: the phase says so already
    } else if (!this.stepping && session && !this.stopped) {
      this.setPhase('standby', this.owner ? `${this.owner} owns the VIP` : 'waiting for the election');
    }
    if (hold !== this.holding) {
      this.holding = hold;
      this.log.info({ address: this.address.address }, hold ? 'holding the VIP' : 'no longer holding the VIP');
      this.ctx.notify();
    }
  }

  /** Drops the VIP, waits for it to leave the kernel, releases it (cloud), then revokes the lease. */
  private async stepDown(): Promise<void> {
    this.abort = undefined;
    const wasLeader = this.leader;
    this.stepping = true;
    if (this.phase !== 'connecting' || this.session) this.setPhase('stepping-down', this.reason);
    this.update();
    this.leader = false;
    this.acquired = false;
    this.fenced = false;
    if (this.fenceTimer) this.clock.clearTimeout(this.fenceTimer);
    this.fenceTimer = undefined;
    await this.addressGone(WITHDRAW_WAIT_MS);
    if (wasLeader && this.handler) {
      try {
        await this.handler.release();
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.handler.name}: releasing the VIP failed`);
      }
    }
    const session = this.session;
    if (session) {
      // revoking the lease deletes our election key with it: the next candidate wins at once
      const err = await session.close(true);
      if (err) {
        this.log.debug({ err }, 'revoking the election lease failed (it expires on its own)');
        // resign at least: delete the key itself (as Talos' Resign), in case only the lease call failed
        if (this.election && this.client) await this.client.deleteRange({ key: this.election.key }, 1000).catch(() => undefined);
      } else {
        this.log.debug({ lease: session.id.toString(16) }, 'election lease revoked');
      }
    }
    this.session = undefined;
    this.election = undefined;
    this.client?.close();
    this.client = undefined;
    this.owner = undefined;
    this.stepping = false;
  }

  /** Resolves once the VIP is not on the link (as the statuses see it), or after `ms`. */
  private addressGone(ms: number): Promise<void> {
    const present = () => this.ctx.view.addresses().some((a) => a.address === this.address.address);
    if (!present()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        off();
        clearTimeout(timer);
        resolve();
      };
      const off = this.ctx.view.onChange(() => {
        if (!present()) done();
      });
      const timer = setTimeout(done, ms);
    });
  }
}
