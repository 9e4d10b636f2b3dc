// An etcd lease kept alive for the election: granted with the configured TTL,
// renewed every TTL/3 on a LeaseKeepAlive stream. It knows how long the lease
// is provably alive on the etcd side: a renewal sent at time s and answered
// with TTL t > 0 means etcd refreshed it no earlier than s, so it cannot expire
// before s + t. The VIP owner fences itself on that bound (operator.ts).
import type { EtcdClient, EtcdStream } from './etcd/client.js';
import { EtcdError } from './etcd/client.js';
import { monotonicMs } from '../../util/clock.js';

const GRPC_NOT_FOUND = 5;

/** Monotonic milliseconds (monotonicMs()), the clock every bound here uses. */
export type MonoMs = number;

export interface SessionEvents {
  /** A renewal was answered: aliveUntil moved on. */
  renewed(): void;
  /** The lease is gone or can no longer be proven alive; the session is over. */
  lost(reason: string): void;
}

export interface SessionClock {
  now(): MonoMs;
  wall(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(t: NodeJS.Timeout): void;
}

export const realClock: SessionClock = {
  now: monotonicMs,
  wall: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (t) => clearTimeout(t),
};

/** Deadline for one unary call: a lease's RPCs must answer well within its TTL. */
export function callTimeoutMs(ttlSeconds: number): number {
  return Math.min(2000, Math.max(500, (ttlSeconds * 1000) / 3));
}

export class LeaseSession {
  /** Until when (monotonic ms) the lease is proven alive on the etcd side. */
  private alive: MonoMs;
  /** Wall-clock ms of the last answered renewal (or the grant). */
  private renewedAtWall: number;
  private stream: EtcdStream<bigint> | undefined;
  /** Send times of the keepalives not answered yet, oldest first (answers come in order). */
  private inFlight: MonoMs[] = [];
  private tick: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private over = false;
  private events: SessionEvents | undefined;

  private constructor(
    private readonly client: EtcdClient,
    readonly id: bigint,
    /** Seconds, as granted. */
    readonly ttl: number,
    grantSentAt: MonoMs,
    private readonly clock: SessionClock,
  ) {
    this.alive = grantSentAt + ttl * 1000;
    this.renewedAtWall = clock.wall();
  }

  /** Grants a lease (etcd may raise a TTL below its minimum; the granted one counts). */
  static async grant(client: EtcdClient, ttlSeconds: number, clock: SessionClock = realClock): Promise<LeaseSession> {
    const sent = clock.now();
    const res = await client.leaseGrant(ttlSeconds, callTimeoutMs(ttlSeconds));
    if (res.error !== '') throw new EtcdError(client.endpoint.url, -1, `lease grant: ${res.error}`);
    if (res.id === 0n || res.ttl <= 0n) throw new EtcdError(client.endpoint.url, -1, 'lease grant returned no lease');
    return new LeaseSession(client, res.id, Number(res.ttl), sent, clock);
  }

  /** Starts renewing; `events` hear about renewals and the end. */
  start(events: SessionEvents): void {
    this.events = events;
    this.armDeadline();
    this.renew();
  }

  aliveUntil(): MonoMs {
    return this.alive;
  }

  lastRenewalWall(): number {
    return this.renewedAtWall;
  }

  get ended(): boolean {
    return this.over;
  }

  private renew(): void {
    if (this.over) return;
    // etcd answers a stream's keepalives one after another: one stuck behind a
    // leader change holds up every later one, so an unanswered stream is dropped
    if (this.stream && this.inFlight.length > 0) {
      this.lastStreamError = `keepalive unanswered for ${Math.round(this.clock.now() - this.inFlight[0]!)} ms`;
      this.stream.cancel();
      this.stream = undefined;
    }
    if (!this.stream) this.openStream();
    this.inFlight.push(this.clock.now());
    this.stream!.write(this.id);
    this.tick = this.clock.setTimeout(() => this.renew(), (this.ttl * 1000) / 3);
  }

  private openStream(): void {
    this.inFlight = [];
    const stream = this.client.keepAlive({
      data: (res) => {
        if (this.stream !== stream) return;
        const sentAt = this.inFlight.shift();
        if (res.ttl <= 0n) {
          this.end('the lease expired on the etcd side');
          return;
        }
        if (sentAt === undefined) return;
        const until = sentAt + Number(res.ttl) * 1000;
        if (until > this.alive) {
          this.alive = until;
          this.renewedAtWall = this.clock.wall();
          this.armDeadline();
        }
        this.lastStreamError = '';
        this.events?.renewed();
      },
      end: (err) => {
        if (this.stream !== stream) return;
        if (err instanceof EtcdError && err.code === GRPC_NOT_FOUND) {
          this.end('the lease is gone on the etcd side');
          return;
        }
        // the next tick opens a fresh stream; requests in flight on this one are lost
        this.stream = undefined;
        this.inFlight = [];
        this.lastStreamError = err.message;
      },
    });
    this.stream = stream;
  }

  private lastStreamError = '';

  /**
   * Past aliveUntil the lease cannot be proven alive (the owner has fenced
   * itself already), but etcd may still hold it (a leader change extends
   * leases): renewals go on for two more TTLs, then the session gives up.
   */
  private armDeadline(): void {
    if (this.deadline) this.clock.clearTimeout(this.deadline);
    const giveUp = this.alive + 2 * this.ttl * 1000;
    this.deadline = this.clock.setTimeout(() => {
      if (this.clock.now() < giveUp) {
        this.armDeadline();
        return;
      }
      this.end(`no keepalive answered for ${Math.round(this.clock.now() - (this.alive - this.ttl * 1000))} ms${this.lastStreamError ? ` (${this.lastStreamError})` : ''}`);
    }, giveUp - this.clock.now());
  }

  private end(reason: string): void {
    if (this.over) return;
    this.stopTimers();
    this.over = true;
    this.events?.lost(reason);
  }

  private stopTimers(): void {
    if (this.tick) this.clock.clearTimeout(this.tick);
    if (this.deadline) this.clock.clearTimeout(this.deadline);
    this.tick = undefined;
    this.deadline = undefined;
    this.stream?.cancel();
    this.stream = undefined;
  }

  /**
   * Ends the session. With `revoke`, the lease is revoked (its election key goes
   * with it, so waiting candidates move on at once); errors are returned, not thrown.
   */
  async close(revoke: boolean): Promise<string | undefined> {
    const wasOver = this.over;
    this.stopTimers();
    this.over = true;
    if (!revoke || (wasOver && this.clock.now() >= this.alive)) return undefined;
    try {
      await this.client.leaseRevoke(this.id, callTimeoutMs(this.ttl));
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }
}
