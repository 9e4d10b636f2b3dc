// The DHCPv4 client state machine (RFC 2131 §4.4) with Talos's choices
// (operator/dhcp4.go): the parameter request list, the hostname rule, the
// client identifier modes, a 30 min default lease, renewal at lease/2 with the
// interval halved after each unanswered attempt (never under 5 s).
//
//   INIT ─DISCOVER→ SELECTING ─OFFER/REQUEST→ REQUESTING ─ACK→ BOUND
//   INIT-REBOOT ─REQUEST(50)→ REBOOTING ─ACK→ BOUND        (an address was held)
//   BOUND ─T1→ RENEWING (unicast to the server) ─T2→ REBINDING (broadcast) ─end→ INIT
//   NAK in any requesting state → INIT; no answer to REQUEST/INIT-REBOOT → INIT
//
// Everything outside (sockets, time, randomness) is injected; the client only
// decides what to send when, and reports the lease through onLease.
import type { Dhcp4DecodeError } from './errors.js';
import { leaseFromAck, leaseTimes, type Dhcp4Lease } from './lease.js';
import { MessageType, OPT, decodeIP, writeOptions, type Dhcp4OptionValues, type MessageTypeValue } from './options.js';
import { BOOTREPLY, FLAG_BROADCAST, decodeMessage, encodeMessage, newMessage, type Dhcp4Message } from './packet.js';
import type { Clock, Dhcp4Transport } from './transport.js';

export type Dhcp4State = 'stopped' | 'init' | 'selecting' | 'requesting' | 'init-reboot' | 'rebooting' | 'bound' | 'renewing' | 'rebinding';

export type Dhcp4ClientIdentifier = 'none' | 'mac' | 'duid';

export interface Dhcp4ClientOptions {
  /** The link's hardware address, "aa:bb:cc:dd:ee:ff". */
  mac: string;
  /**
   * A hostname to send (option 12), with `domain` as option 15. When set,
   * no hostname is requested whatever `requestHostname` says: Talos never
   * both sends and requests one (no "hostname parroting").
   */
  hostname?: string;
  domain?: string;
  /** Ask for options 12 and 15 (ignored while a hostname is sent). */
  requestHostname: boolean;
  /** Option 61: none (default), mac (0x01 + MAC, RFC 2132 §9.14) or duid (the raw `duid` bytes, as Talos). */
  clientIdentifier?: Dhcp4ClientIdentifier;
  duid?: Uint8Array;
  /** An address held before: start in INIT-REBOOT asking for it (option 50). */
  previousAddress?: string;
  /** Ask for option 26 (default true; Talos does not on Azure, where it suppresses the offer). */
  requestMtu?: boolean;
  /** Set the broadcast flag in messages sent without an address (default true). */
  broadcastFlag?: boolean;
  /** Send DHCPRELEASE on stop() (default false, as Talos). */
  releaseOnStop?: boolean;
  /** REQUESTs sent for one offer before starting over with DISCOVER (default 4: ~60 s). */
  requestAttempts?: number;
  /** INIT-REBOOT REQUESTs before falling back to DISCOVER (default 3: ~28 s). */
  rebootAttempts?: number;
  /** The current lease after each ACK, or undefined when it is gone (expired, NAK, restart). */
  onLease(lease: Dhcp4Lease | undefined): void;
  onState?(state: Dhcp4State): void;
  /** Send failures and malformed replies (which are otherwise ignored). */
  onError?(error: unknown): void;
}

export interface Dhcp4ClientDeps {
  transport: Dhcp4Transport;
  clock: Clock;
  /** Uniform in [0, 1): transaction ids and retransmission jitter. Default Math.random. */
  random?: () => number;
}

/** The options Talos asks for, in code order (12/15 only when asking for a hostname, 26 unless told not to). */
export function parameterRequestList(requestHostname: boolean, requestMtu = true): number[] {
  const list: number[] = [OPT.SubnetMask, OPT.Router, OPT.DNS, OPT.NTP, OPT.LeaseTime, OPT.DomainSearch, OPT.ClasslessRoutes];
  if (requestHostname) list.push(OPT.Hostname, OPT.DomainName);
  if (requestMtu) list.push(OPT.MTU);
  return list.sort((a, b) => a - b);
}

const FIRST_RETRANSMIT_MS = 4_000;
const MAX_RETRANSMIT_MS = 64_000;
const MIN_RENEW_MS = 5_000;
/** setTimeout's limit; longer waits are done in steps. */
const MAX_TIMER_MS = 0x7fffffff;

/** RFC 2131 §4.1: 4 s before the 2nd try, then doubling up to 64 s, each ±1 s of jitter. */
export function retransmitDelay(attempt: number, random: () => number): number {
  const base = Math.min(FIRST_RETRANSMIT_MS * 2 ** attempt, MAX_RETRANSMIT_MS);
  return base + (random() * 2 - 1) * 1000;
}

export function parseMac(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** Option 54, or undefined when absent or malformed (the rest of the options is read once, into the lease). */
function serverIdOf(m: Dhcp4Message): string | undefined {
  const data = m.options.get(OPT.ServerId);
  return data?.length === 4 ? decodeIP(data, OPT.ServerId) : undefined;
}

export class Dhcp4Client {
  private readonly transport: Dhcp4Transport;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly chaddr: Buffer;
  private readonly clientId: Buffer | undefined;
  private readonly hostnameRequested: boolean;
  private readonly prl: number[];

  private state: Dhcp4State = 'stopped';
  /** Bumped on every state change: lets code after a callback see that the callback moved the client on. */
  private epoch = 0;
  private timer: unknown = undefined;
  private timerToken = 0;
  private unlisten: (() => void) | undefined;
  /** Transaction ids a reply may carry now (renewal attempts each get one; late answers still count). */
  private xids = new Set<number>();
  private xid = 0;
  private attempt = 0;
  /** Clock ms when the current acquisition began: `secs` counts from here. */
  private started = 0;
  /** RFC 2131 §4.4.1: the REQUEST after an offer repeats the DISCOVER's secs. */
  private discoverSecs = 0;
  private offer: { address: string; serverId: string } | undefined;
  private lease: Dhcp4Lease | undefined;
  /** Address to ask for with option 50 (the one held before). */
  private hint: string | undefined;
  /** Renewal interval (ms), halved after every unanswered attempt. */
  private wait = 0;

  constructor(
    private readonly opts: Dhcp4ClientOptions,
    deps: Dhcp4ClientDeps,
  ) {
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
    this.chaddr = parseMac(opts.mac);
    const mode = opts.clientIdentifier ?? 'none';
    if (mode === 'mac') this.clientId = Buffer.concat([Buffer.from([0x01]), this.chaddr]);
    else if (mode === 'duid') {
      if (!opts.duid || opts.duid.length < 2) throw new RangeError('clientIdentifier "duid" needs a duid of at least 2 bytes');
      this.clientId = Buffer.from(opts.duid);
    } else this.clientId = undefined;
    this.hostnameRequested = !opts.hostname && opts.requestHostname;
    this.prl = parameterRequestList(this.hostnameRequested, opts.requestMtu ?? true);
  }

  get currentState(): Dhcp4State {
    return this.state;
  }

  get currentLease(): Dhcp4Lease | undefined {
    return this.lease;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.hint ??= this.opts.previousAddress;
    this.unlisten = this.transport.listen((payload) => this.receive(payload));
    if (this.hint !== undefined) this.initReboot();
    else this.init();
  }

  /** Stops timers and listening. The lease is forgotten (its address is asked for on the next start). */
  stop(): void {
    if (this.state === 'stopped') return;
    this.cancelTimer();
    this.unlisten?.();
    this.unlisten = undefined;
    const lease = this.lease;
    if (lease && this.opts.releaseOnStop) {
      const m = this.message(MessageType.Release, { ciaddr: lease.address, xid: this.newXid(), secs: 0 }, { serverId: lease.serverId });
      this.send(() => this.transport.unicast(m, lease.serverId, lease.address));
    }
    this.lease = undefined;
    this.offer = undefined;
    this.xids.clear();
    this.setState('stopped');
  }

  /**
   * Drops the lease and starts over with DISCOVER (Talos does this when the
   * hostname changes: RENEW or INIT-REBOOT do not update DNS on some servers).
   */
  restart(): void {
    if (this.state === 'stopped') return;
    this.cancelTimer();
    this.dropLease(this.hint);
  }

  // ---- states ----

  private init(): void {
    this.setState('init');
    this.newExchange();
    this.offer = undefined;
    this.setState('selecting');
    this.retransmit(() => this.sendDiscover(), Infinity, () => {});
  }

  private initReboot(): void {
    this.setState('init-reboot');
    this.newExchange();
    this.setState('rebooting');
    // No answer: fall back to DISCOVER, still asking for the address (Talos).
    this.retransmit(() => this.sendRebootRequest(), this.opts.rebootAttempts ?? 3, () => this.init());
  }

  private selected(address: string, serverId: string): void {
    this.offer = { address, serverId };
    this.setState('requesting');
    this.retransmit(() => this.sendSelectingRequest(), this.opts.requestAttempts ?? 4, () => this.init());
  }

  private bind(lease: Dhcp4Lease): void {
    this.lease = lease;
    this.hint = lease.address;
    this.offer = undefined;
    this.xids.clear();
    this.setState('bound');
    const times = leaseTimes(lease.leaseTime);
    this.wait = times.t1 * 1000;
    if (Number.isFinite(times.t1)) this.at(lease.acquired + times.t1 * 1000, () => this.renew());
    // Timers are set before the callback: it may stop or restart the client.
    this.opts.onLease(lease);
  }

  private renew(): void {
    this.setState('renewing');
    this.started = this.clock.now();
    this.xids = new Set();
    this.renewAttempt();
  }

  /** One unicast REQUEST to the server; unanswered, the next comes after half the previous interval. */
  private renewAttempt(): void {
    const lease = this.lease!;
    const { t2, end } = this.deadlines(lease);
    const now = this.clock.now();
    if (now >= end) return this.expire();
    if (now >= t2) return this.rebind();
    const m = this.renewalRequest(lease);
    this.send(() => this.transport.unicast(m, lease.serverId, lease.address));
    this.wait = Math.max(this.wait / 2, MIN_RENEW_MS);
    this.at(Math.min(now + this.wait, t2), () => this.renewAttempt());
  }

  private rebind(): void {
    this.setState('rebinding');
    this.rebindAttempt();
  }

  /** One broadcast REQUEST (any server may answer), the same halving, until the lease ends. */
  private rebindAttempt(): void {
    const lease = this.lease!;
    const { end } = this.deadlines(lease);
    const now = this.clock.now();
    if (now >= end) return this.expire();
    const m = this.renewalRequest(lease);
    this.send(() => this.transport.broadcast(m, lease.address));
    this.wait = Math.max(this.wait / 2, MIN_RENEW_MS);
    this.at(Math.min(now + this.wait, end), () => this.rebindAttempt());
  }

  private expire(): void {
    this.dropLease(this.lease?.address ?? this.hint);
  }

  /** Forgets the lease, tells the owner, and starts over with DISCOVER asking for `hint` (if any). */
  private dropLease(hint: string | undefined): void {
    const had = this.lease !== undefined;
    this.lease = undefined;
    this.hint = hint;
    if (had) {
      const epoch = this.epoch;
      this.opts.onLease(undefined);
      if (this.epoch !== epoch || this.state === 'stopped') return; // the callback moved the client on
    }
    this.init();
  }

  // ---- receiving ----

  private receive(payload: Buffer): void {
    let m: Dhcp4Message;
    try {
      m = decodeMessage(payload);
    } catch (e) {
      this.report(e);
      return;
    }
    if (m.op !== BOOTREPLY || !this.xids.has(m.xid) || !m.chaddr.equals(this.chaddr)) return;
    const type = m.options.get(OPT.MessageType);
    if (type?.length !== 1) return;
    const onError = (e: Dhcp4DecodeError) => this.report(e);
    switch (this.state) {
      case 'selecting': {
        if (type[0] !== MessageType.Offer) return;
        const serverId = serverIdOf(m);
        if (m.yiaddr === '0.0.0.0' || serverId === undefined) return;
        // Like nclient4 (and Talos), the first usable offer wins.
        this.selected(m.yiaddr, serverId);
        return;
      }
      case 'requesting':
      case 'rebooting':
      case 'renewing':
      case 'rebinding': {
        if (type[0] !== MessageType.Ack && type[0] !== MessageType.Nak) return;
        const serverId = serverIdOf(m);
        // After an offer only the selected server answers (RFC 2131 §4.3.2).
        if (this.state === 'requesting' && serverId !== undefined && serverId !== this.offer?.serverId) return;
        if (type[0] === MessageType.Nak) {
          this.cancelTimer();
          this.dropLease(undefined); // the address is wrong here: do not ask for it again
          return;
        }
        const lease = leaseFromAck(m, {
          now: this.clock.now(),
          hostnameRequested: this.hostnameRequested,
          serverId: this.offer?.serverId ?? this.lease?.serverId,
          onError,
        });
        if (!lease) return;
        this.cancelTimer();
        this.bind(lease);
        return;
      }
      default:
        return;
    }
  }

  // ---- messages ----

  private sendDiscover(): void {
    this.discoverSecs = this.secs();
    const m = this.message(MessageType.Discover, { xid: this.xid, secs: this.discoverSecs, flags: this.unaddressedFlags() }, this.hint !== undefined ? { requestedIP: this.hint } : {});
    this.send(() => this.transport.broadcast(m));
  }

  private sendSelectingRequest(): void {
    const offer = this.offer!;
    const m = this.message(MessageType.Request, { xid: this.xid, secs: this.discoverSecs, flags: this.unaddressedFlags() }, { requestedIP: offer.address, serverId: offer.serverId });
    this.send(() => this.transport.broadcast(m));
  }

  private sendRebootRequest(): void {
    const m = this.message(MessageType.Request, { xid: this.xid, secs: this.secs(), flags: this.unaddressedFlags() }, { requestedIP: this.hint! });
    this.send(() => this.transport.broadcast(m));
  }

  /** RENEWING/REBINDING: ciaddr set, no option 50 or 54 (RFC 2131 §4.3.2 table 4); a fresh xid each attempt. */
  private renewalRequest(lease: Dhcp4Lease): Buffer {
    const xid = this.newXid();
    this.xids.add(xid);
    return this.message(MessageType.Request, { xid, secs: this.secs(), ciaddr: lease.address }, {});
  }

  private message(type: MessageTypeValue, header: Partial<Dhcp4Message> & Pick<Dhcp4Message, 'xid'>, extra: Dhcp4OptionValues): Buffer {
    const values: Dhcp4OptionValues = { messageType: type, ...extra };
    if (this.clientId) values.clientId = this.clientId;
    if (type !== MessageType.Release) {
      if (this.opts.hostname) {
        values.hostname = this.opts.hostname;
        if (this.opts.domain) values.domainName = this.opts.domain;
      }
      values.parameterRequestList = this.prl;
    }
    return encodeMessage(newMessage({ ...header, chaddr: this.chaddr, options: writeOptions(values) }));
  }

  // ---- helpers ----

  private setState(state: Dhcp4State): void {
    this.state = state;
    this.epoch++;
    this.opts.onState?.(state);
  }

  private newXid(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0;
  }

  /** A new transaction: fresh xid, attempt 0, and `secs` counted from now. */
  private newExchange(): void {
    this.xid = this.newXid();
    this.xids = new Set([this.xid]);
    this.attempt = 0;
    this.started = this.clock.now();
  }

  private secs(): number {
    return Math.min(0xffff, Math.max(0, Math.floor((this.clock.now() - this.started) / 1000)));
  }

  private unaddressedFlags(): number {
    return this.opts.broadcastFlag === false ? 0 : FLAG_BROADCAST;
  }

  private deadlines(lease: Dhcp4Lease): { t2: number; end: number } {
    const t = leaseTimes(lease.leaseTime);
    return { t2: lease.acquired + t.t2 * 1000, end: lease.acquired + t.end * 1000 };
  }

  /** Sends now, then again with backoff; after `limit` sends go unanswered, `giveUp`. */
  private retransmit(send: () => void, limit: number, giveUp: () => void): void {
    this.attempt = 0;
    send();
    const tick = (): void => {
      this.attempt++;
      if (this.attempt >= limit) return giveUp();
      send();
      this.after(retransmitDelay(this.attempt, this.random), tick);
    };
    this.after(retransmitDelay(this.attempt, this.random), tick);
  }

  private send(op: () => Promise<void>): void {
    try {
      op().catch((e: unknown) => this.report(e));
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    this.opts.onError?.(e);
  }

  private after(ms: number, fn: () => void): void {
    this.at(this.clock.now() + ms, fn);
  }

  /** One timer at a time; waits longer than setTimeout allows are made in steps. */
  private at(deadline: number, fn: () => void): void {
    this.cancelTimer();
    const token = this.timerToken;
    const arm = (): void => {
      const delay = Math.min(Math.max(0, deadline - this.clock.now()), MAX_TIMER_MS);
      this.timer = this.clock.setTimeout(() => {
        if (token !== this.timerToken) return;
        this.timer = undefined;
        if (this.clock.now() < deadline) arm();
        else fn();
      }, delay);
    };
    arm();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerToken++;
  }
}
