// Which upstream servers answer, as CoreDNS' forward plugin tracks it: an
// upstream that fails a question (no answer in time, connection refused, TLS
// failure — an answer of any rcode counts as healthy) is checked in the
// background with `. IN NS` every 0.5 s until it answers again; after two
// failures in a row (max_fails) it is down, and questions go to the healthy
// upstreams first, in the configured order, the down ones last. So a dead first
// nameserver costs one slow question, not one per question, and is asked first
// again as soon as it answers a check. Transitions are logged once each.
import type { Logger } from '../../log.js';
import type { NameServerSpec } from '../../resources/network/types.js';
import { upstreamLabel } from './label.js';

/** CoreDNS forward's defaults: health checks every 0.5 s, down after 2 failures. */
export const CHECK_INTERVAL_MS = 500;
export const MAX_FAILS = 2;
/** How long a health check waits for its answer. */
export const CHECK_TIMEOUT_MS = 1000;

/** `. IN NS`, recursion desired: what CoreDNS asks an upstream to see whether it answers. */
export function healthQuery(id: number): Buffer {
  const q = Buffer.alloc(17);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4); // one question
  // name: the root (one zero byte at 12), type NS (2), class IN (1)
  q.writeUInt16BE(2, 13);
  q.writeUInt16BE(1, 15);
  return q;
}

interface State {
  fails: number;
  checking: NodeJS.Timeout | undefined;
}

export class UpstreamHealth {
  private readonly states = new Map<string, State>();
  private closed = false;

  constructor(
    private readonly log: Logger,
    /** Asks `server` the health question; resolves when any answer came. */
    private readonly check: (server: NameServerSpec) => Promise<void>,
    /** Called when an upstream goes down or comes back. */
    private readonly changed: () => void = () => {},
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  private state(server: NameServerSpec): State {
    const key = upstreamLabel(server);
    let s = this.states.get(key);
    if (!s) this.states.set(key, (s = { fails: 0, checking: undefined }));
    return s;
  }

  /** Down: failed MAX_FAILS times in a row, and has not answered since. */
  down(server: NameServerSpec): boolean {
    return (this.states.get(upstreamLabel(server))?.fails ?? 0) >= MAX_FAILS;
  }

  /** The upstreams in the order to ask them: those up in the configured order, then those down. */
  ordered(servers: readonly NameServerSpec[]): NameServerSpec[] {
    const up = servers.filter((s) => !this.down(s));
    return up.length === servers.length ? [...servers] : [...up, ...servers.filter((s) => this.down(s))];
  }

  /** `server` answered (a question or a check). */
  answered(server: NameServerSpec): void {
    const s = this.states.get(upstreamLabel(server));
    if (!s || s.fails === 0) return;
    const wasDown = s.fails >= MAX_FAILS;
    if (wasDown) this.log.info({ upstream: upstreamLabel(server) }, 'host DNS: upstream answers again; asked in its place');
    s.fails = 0;
    clearInterval(s.checking);
    s.checking = undefined;
    if (wasDown) this.changed();
  }

  /** `server` failed a question (or a check): count it, and check it until it answers. */
  failed(server: NameServerSpec, err: Error): void {
    if (this.closed) return;
    const s = this.state(server);
    s.fails++;
    if (s.fails === MAX_FAILS) {
      this.log.warn({ upstream: upstreamLabel(server), err: err.message }, 'host DNS: upstream not answering; asked last until it answers a health check');
      this.changed();
    }
    if (s.checking) return;
    let inFlight = false;
    s.checking = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      this.check(server).then(
        () => this.answered(server),
        (e: unknown) => {
          if (s.checking) this.failed(server, e as Error);
        },
      ).finally(() => (inFlight = false));
    }, this.intervalMs);
    s.checking.unref();
  }

  /** Stops every check (new upstreams, or host DNS stopping). */
  close(): void {
    this.closed = true;
    for (const s of this.states.values()) clearInterval(s.checking);
    this.states.clear();
  }
}
