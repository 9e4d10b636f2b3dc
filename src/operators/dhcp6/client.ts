// The DHCPv6 client of the dhcp6 operator (Talos §6.3): each cycle is a
// Rapid-Commit SOLICIT (RFC 8415 §18.2.1), and a server that answers with an
// ADVERTISE instead gets a REQUEST (§18.2.2). Renewal is a fresh cycle, as in
// Talos (nclient6.RapidSolicit every time), not a RENEW to the server: it keeps
// one code path, survives a server that changed or lost its state, and needs
// no server unicast. The held address is sent as a hint so a server that
// honours hints keeps it.
//
// Timing, with I = max(valid lifetime / 2, 5 s):
// * acquisition (no lease): SOLICIT retransmitted per RFC 8415 §15 (1 s, doubling,
//   at most 3600 s) until a server answers; the first one waits a random 0–1 s.
// * renewal: a cycle starts I after the lease. A cycle that gets no lease within
//   max(I/2, 5 s) fails; then I is halved (5 s floor) and the next cycle starts
//   right away. Cycles thus start when Talos's would (it halves the wait after a
//   failure), and each one retransmits inside its window.
// * the lease expires at its valid lifetime: onLease(undefined), then acquisition again.
import { randomBytes } from 'node:crypto';
import { type Dhcp6Lease, buildLease, examineOffer, isForClient, type Offer } from './lease.js';
import {
  INFINITY,
  MessageType,
  OptionCode,
  StatusCode,
  clientIdOption,
  decodeMessage,
  elapsedTimeOption,
  encodeMessage,
  iaNaOption,
  oroOption,
  rapidCommitOption,
  serverIdOption,
  type Dhcp6Message,
  type Dhcp6Option,
  type IaAddress,
} from './message.js';
import { duidLL, parseDuidHex, parseMac } from './duid.js';
import { REQUEST, Retransmission, SOLICIT, SOL_MAX_DELAY } from './retransmit.js';
import { Timer } from './timer.js';
import { systemClock, type Clock, type Dhcp6Transport } from './transport.js';

export type { Dhcp6Lease } from './lease.js';

/** Talos minRenewDuration: never renew more often than this. */
export const MIN_RENEW_MS = 5000;

/** Options requested with ORO: DNS servers, domain list, NTP servers, then the client FQDN unless skipped. */
export const REQUESTED_OPTIONS = [OptionCode.DnsServers, OptionCode.DomainList, OptionCode.NtpServer] as const;

/** Structured logging, as pino's Logger provides it. */
export interface Dhcp6Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const noLog: Dhcp6Log = { debug() {}, info() {}, warn() {} };

export interface Dhcp6ClientOptions {
  /** For logs. */
  linkName: string;
  /** The link's MAC ("aa:bb:cc:dd:ee:ff"): the default DUID-LL and the IAID (its last 4 bytes). */
  hardwareAddr: string;
  /** Configured raw DUID (hex, `duidv6`); "" or absent: DUID-LL of the MAC. Invalid: logged and ignored. */
  duid?: string;
  /** Do not request option 39 (client FQDN). */
  skipHostnameRequest?: boolean;
  transport: Dhcp6Transport;
  /** A new or renewed lease, or undefined when the lease expired. Not called by stop(). */
  onLease: (lease: Dhcp6Lease | undefined) => void;
  clock?: Clock;
  /** Uniform in [0, 1): RAND of §15 and the first Solicit's delay. */
  random?: () => number;
  /** A new 24-bit transaction id; default: crypto random. */
  transactionId?: () => number;
  log?: Dhcp6Log;
}

type Accepted = Extract<Offer, { ok: true }>;

interface SolicitExchange {
  kind: 'solicit';
  xid: number;
  startedAt: number;
  retrans: Retransmission;
  /** Still within the first RT, collecting Advertises (§18.2.1). */
  collecting: boolean;
  best?: Accepted;
}

interface RequestExchange {
  kind: 'request';
  xid: number;
  startedAt: number;
  retrans: Retransmission;
  offer: Accepted;
  /** Resumed (with a new transaction id and its backoff kept) when the Request fails. */
  solicit: SolicitExchange;
}

type Exchange = SolicitExchange | RequestExchange;

/** The highest preference: request at once, without waiting for other Advertises (§18.2.9). */
const MAX_PREFERENCE = 255;

export class Dhcp6Client {
  /** The DUID sent as Client Identifier. */
  readonly clientId: Buffer;
  /** IAID of the IA_NA: the last 4 bytes of the MAC. */
  readonly iaid: number;

  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Dhcp6Log;
  private readonly requested: number[];
  private readonly exchangeTimer: Timer;
  private readonly renewTimer: Timer;
  private readonly expiryTimer: Timer;

  private running = false;
  private stopListening: (() => void) | undefined;
  private exchange: Exchange | undefined;
  /** End of the current renewal cycle; undefined while acquiring. */
  private deadline: number | undefined;
  private current: Dhcp6Lease | undefined;
  private renewInterval = MIN_RENEW_MS;

  constructor(private readonly opts: Dhcp6ClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? noLog;
    const mac = parseMac(opts.hardwareAddr);
    if (!mac) throw new Error(`dhcp6 ${opts.linkName}: hardware address ${JSON.stringify(opts.hardwareAddr)} is not a MAC`);
    this.iaid = mac.readUInt32BE(mac.length - 4);
    this.clientId = this.chooseClientId(opts.duid ?? '', mac);
    this.requested = [...REQUESTED_OPTIONS, ...(opts.skipHostnameRequest === true ? [] : [OptionCode.ClientFqdn])];
    this.exchangeTimer = new Timer(this.clock);
    this.renewTimer = new Timer(this.clock);
    this.expiryTimer = new Timer(this.clock);
  }

  get lease(): Dhcp6Lease | undefined {
    return this.current;
  }

  /** Start listening and soliciting; the caller has seen a non-tentative link-local address. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopListening = this.opts.transport.listen((payload, from) => this.receive(payload, from));
    this.deadline = undefined;
    this.exchangeTimer.set(this.random() * SOL_MAX_DELAY, () => this.beginSolicit());
  }

  /** Stop everything and forget the lease, without calling onLease. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.stopListening?.();
    this.stopListening = undefined;
    this.exchangeTimer.cancel();
    this.renewTimer.cancel();
    this.expiryTimer.cancel();
    this.exchange = undefined;
    this.current = undefined;
    this.renewInterval = MIN_RENEW_MS;
  }

  private chooseClientId(configured: string, mac: Buffer): Buffer {
    if (configured !== '') {
      try {
        return parseDuidHex(configured);
      } catch (err) {
        this.log.warn({ link: this.opts.linkName, err: (err as Error).message }, 'dhcp6: configured DUID ignored, using DUID-LL');
      }
    }
    return duidLL(mac);
  }

  private newXid(): number {
    return (this.opts.transactionId?.() ?? randomBytes(3).readUIntBE(0, 3)) & 0xffffff;
  }

  // ---- exchanges ----

  private beginSolicit(): void {
    this.exchange = {
      kind: 'solicit',
      xid: this.newXid(),
      startedAt: this.clock.now(),
      retrans: new Retransmission(SOLICIT, this.random, this.deadline, true),
      collecting: true,
    };
    this.transmit();
  }

  private beginRequest(solicit: SolicitExchange, offer: Accepted): void {
    this.log.debug({ link: this.opts.linkName, server: offer.serverId.toString('hex'), address: offer.address.address }, 'dhcp6: requesting advertised address');
    this.exchange = {
      kind: 'request',
      xid: this.newXid(),
      startedAt: this.clock.now(),
      retrans: new Retransmission(REQUEST, this.random, this.deadline),
      offer,
      solicit,
    };
    this.transmit();
  }

  /** Send the current exchange's message (again), or fail the exchange when its retransmissions are used up. */
  private transmit(): void {
    const ex = this.exchange;
    if (!ex) return;
    const now = this.clock.now();
    const wait = ex.retrans.next(now);
    if (wait === undefined) {
      this.exchangeFailed(ex);
      return;
    }
    this.send(this.buildMessage(ex, now));
    this.exchangeTimer.set(wait, () => this.timedOut());
  }

  private timedOut(): void {
    const ex = this.exchange;
    if (!ex) return;
    if (ex.kind === 'solicit') {
      ex.collecting = false;
      if (ex.best) {
        this.beginRequest(ex, ex.best);
        return;
      }
    }
    this.transmit();
  }

  private exchangeFailed(ex: Exchange): void {
    const now = this.clock.now();
    if (ex.kind === 'request' && (this.deadline === undefined || now < this.deadline)) {
      // Back to soliciting with a new transaction, waiting the Solicit's last
      // RT first so that a server refusing every Request is not asked in a tight loop.
      const solicit: SolicitExchange = { ...ex.solicit, xid: this.newXid(), startedAt: now, collecting: false };
      delete solicit.best;
      this.exchange = solicit;
      const wait = this.deadline === undefined ? solicit.retrans.lastWait : Math.min(solicit.retrans.lastWait, this.deadline - now);
      this.exchangeTimer.set(wait, () => {
        solicit.startedAt = this.clock.now(); // elapsed time counts from the first message sent
        this.transmit();
      });
      return;
    }
    this.cycleFailed();
  }

  /** A renewal cycle ran out of time: halve the interval (5 s floor) and start the next one. */
  private cycleFailed(): void {
    this.exchange = undefined;
    this.renewInterval = Math.max(this.renewInterval / 2, MIN_RENEW_MS);
    this.log.warn({ link: this.opts.linkName, nextWindowMs: this.renewWindow() }, 'dhcp6: renewal failed, trying again');
    this.beginCycle();
  }

  /** How long a renewal cycle may take: until Talos would start the next attempt. */
  private renewWindow(): number {
    return Math.max(this.renewInterval / 2, MIN_RENEW_MS);
  }

  private beginCycle(): void {
    this.deadline = this.clock.now() + this.renewWindow();
    this.beginSolicit();
  }

  private buildMessage(ex: Exchange, now: number): Buffer {
    const options: Dhcp6Option[] = [clientIdOption(this.clientId)];
    let hints: IaAddress[] = [];
    if (ex.kind === 'solicit') {
      options.push(rapidCommitOption());
      if (this.current) hints = [{ address: this.current.address, preferredLifetime: 0, validLifetime: 0 }];
    } else {
      options.push(serverIdOption(ex.offer.serverId));
      hints = [{ address: ex.offer.address.address, preferredLifetime: 0, validLifetime: 0 }];
    }
    // T1/T2 are 0 in a client's IA_NA: the server chooses (§21.4).
    options.push(iaNaOption({ iaid: this.iaid, t1: 0, t2: 0, addresses: hints }));
    options.push(oroOption(this.requested));
    options.push(elapsedTimeOption((now - ex.startedAt) / 10));
    const msg: Dhcp6Message = { type: ex.kind === 'solicit' ? MessageType.Solicit : MessageType.Request, transactionId: ex.xid, options };
    return encodeMessage(msg);
  }

  private send(payload: Buffer): void {
    const failed = (err: unknown) => this.log.warn({ link: this.opts.linkName, err: (err as Error)?.message ?? String(err) }, 'dhcp6: send failed');
    try {
      this.opts.transport.send(payload).catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  // ---- receiving ----

  private receive(payload: Buffer, from: string): void {
    const ex = this.exchange;
    if (!this.running || !ex) return;
    let msg: Dhcp6Message;
    try {
      msg = decodeMessage(payload);
    } catch (err) {
      this.log.debug({ link: this.opts.linkName, from, err: (err as Error).message }, 'dhcp6: malformed message dropped');
      return;
    }
    if (msg.transactionId !== ex.xid || !isForClient(msg, this.clientId)) return;
    try {
      if (ex.kind === 'solicit') this.onSolicitAnswer(ex, msg, from);
      else this.onRequestAnswer(ex, msg, from);
    } catch (err) {
      // a malformed IA_NA or status code: the message is dropped, the exchange goes on
      this.log.debug({ link: this.opts.linkName, from, err: (err as Error).message }, 'dhcp6: malformed message dropped');
    }
  }

  private onSolicitAnswer(ex: SolicitExchange, msg: Dhcp6Message, from: string): void {
    if (msg.type === MessageType.Reply) {
      // A Reply to a Solicit is the rapid-commit answer. Its Rapid Commit option
      // is not insisted on (nclient6 does not either).
      const offer = examineOffer(msg, this.iaid);
      if (!offer.ok) {
        // NoAddrsAvail and the like: keep retransmitting, which is the retry
        this.log.warn({ link: this.opts.linkName, from, reason: offer.reason }, 'dhcp6: server replied without an address, retrying');
        return;
      }
      this.accept(msg, offer);
      return;
    }
    if (msg.type !== MessageType.Advertise) return;
    const offer = examineOffer(msg, this.iaid);
    if (!offer.ok) {
      // §18.2.9: an Advertise without addresses is ignored
      this.log.debug({ link: this.opts.linkName, from, reason: offer.reason }, 'dhcp6: advertise ignored');
      return;
    }
    if (offer.preference === MAX_PREFERENCE || !ex.collecting) {
      this.beginRequest(ex, offer);
      return;
    }
    if (!ex.best || offer.preference > ex.best.preference) ex.best = offer;
  }

  private onRequestAnswer(ex: RequestExchange, msg: Dhcp6Message, from: string): void {
    if (msg.type !== MessageType.Reply) return;
    const offer = examineOffer(msg, this.iaid);
    if (offer.ok) {
      this.accept(msg, offer);
      return;
    }
    this.log.warn(
      { link: this.opts.linkName, from, reason: offer.reason, noAddrs: offer.status === StatusCode.NoAddrsAvail },
      'dhcp6: request refused, soliciting again',
    );
    this.exchangeFailed(ex);
  }

  // ---- leases ----

  private accept(msg: Dhcp6Message, offer: Accepted): void {
    const now = this.clock.now();
    const { lease, warnings } = buildLease(msg, offer, now);
    for (const w of warnings) this.log.warn({ link: this.opts.linkName }, `dhcp6: ${w}`);
    this.exchange = undefined;
    this.exchangeTimer.cancel();
    this.current = lease;
    this.renewInterval = Math.max((lease.validLifetime * 1000) / 2, MIN_RENEW_MS);
    this.renewTimer.set(this.renewInterval, () => this.beginCycle());
    if (lease.validLifetime === INFINITY) this.expiryTimer.cancel();
    else this.expiryTimer.set(lease.validLifetime * 1000, () => this.expire());
    this.log.info({ link: this.opts.linkName, address: lease.address, valid: lease.validLifetime, renewInMs: this.renewInterval }, 'dhcp6: lease');
    this.notify(lease);
  }

  private expire(): void {
    const lease = this.current;
    this.log.warn({ link: this.opts.linkName, address: lease?.address }, 'dhcp6: lease expired');
    this.current = undefined;
    this.renewTimer.cancel();
    this.exchangeTimer.cancel();
    this.exchange = undefined;
    this.renewInterval = MIN_RENEW_MS;
    this.deadline = undefined;
    this.notify(undefined);
    if (this.running) this.beginSolicit();
  }

  private notify(lease: Dhcp6Lease | undefined): void {
    try {
      this.opts.onLease(lease);
    } catch (err) {
      this.log.warn({ link: this.opts.linkName, err: (err as Error).message }, 'dhcp6: onLease failed');
    }
  }
}
