// Host DNS' upstream health (CoreDNS forward's rules): a failing upstream is
// checked every 0.5 s, is down after two failures in a row and asked last, and
// is asked in its place again as soon as it answers a check.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECK_INTERVAL_MS, healthQuery, UpstreamHealth } from '../../src/operators/hostdns/health.js';
import { parseQuery } from '../../src/operators/hostdns/wire.js';
import type { NameServerSpec } from '../../src/resources/network/types.js';

const dead: NameServerSpec = { addr: '192.0.2.9', protocol: 'Do53', tlsServerName: '' };
const live: NameServerSpec = { addr: '192.0.2.1', protocol: 'Do53', tlsServerName: '' };
const dot: NameServerSpec = { addr: '192.0.2.9', protocol: 'DoT', tlsServerName: 'dns.test' };

describe('host DNS upstream health', () => {
  let lines: Array<{ level: number; msg: string; upstream?: string }>;
  let answers: Map<string, boolean>;
  let checks: string[];
  let health: UpstreamHealth;
  let changes: number;

  beforeEach(() => {
    vi.useFakeTimers();
    lines = [];
    answers = new Map();
    checks = [];
    changes = 0;
    const log = pino({ base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    health = new UpstreamHealth(log, async (s) => {
      checks.push(`${s.addr} ${s.protocol}`);
      if (!answers.get(`${s.addr} ${s.protocol}`)) throw new Error('no answer within 1000 ms');
    }, () => changes++);
  });
  afterEach(() => {
    health.close();
    vi.useRealTimers();
  });

  it('asks in the configured order while all answer', () => {
    expect(health.ordered([dead, live])).toEqual([dead, live]);
    health.failed(dead, new Error('timeout'));
    // one failure is not enough: still first
    expect(health.ordered([dead, live])).toEqual([dead, live]);
  });

  it('down after two failures (the question and a check): asked last, logged once; up again at its first answer', async () => {
    health.failed(dead, new Error('timeout'));
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);
    expect(checks).toEqual(['192.0.2.9 Do53']);
    expect(health.down(dead)).toBe(true);
    expect(health.ordered([dead, live])).toEqual([live, dead]);
    expect(lines.filter((l) => l.level === 40).map((l) => l.upstream)).toEqual(['192.0.2.9']);
    expect(changes).toBe(1);
    // checked every interval while down, without more warnings
    await vi.advanceTimersByTimeAsync(3 * CHECK_INTERVAL_MS);
    expect(checks).toHaveLength(4);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    // it answers: first again, checks stop
    answers.set('192.0.2.9 Do53', true);
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);
    expect(health.down(dead)).toBe(false);
    expect(health.ordered([dead, live])).toEqual([dead, live]);
    expect(lines.some((l) => l.level === 30 && /answers again/.test(l.msg))).toBe(true);
    expect(changes).toBe(2);
    await vi.advanceTimersByTimeAsync(5 * CHECK_INTERVAL_MS);
    expect(checks).toHaveLength(5);
  });

  it('an upstream that answers its first check was never down', async () => {
    answers.set('192.0.2.9 Do53', true);
    health.failed(dead, new Error('timeout'));
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);
    expect(health.down(dead)).toBe(false);
    expect(lines).toEqual([]);
    expect(changes).toBe(0);
  });

  it('each protocol of one address is its own upstream; with all down, the configured order', async () => {
    health.failed(dot, new Error('TLS handshake failed'));
    health.failed(live, new Error('timeout'));
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);
    expect(health.down(dot)).toBe(true);
    expect(health.down(dead)).toBe(false);
    expect(health.ordered([dot, live, dead])).toEqual([dead, dot, live]);
    expect(health.ordered([dot, live])).toEqual([dot, live]);
  });

  it('close stops the checks', async () => {
    health.failed(dead, new Error('timeout'));
    health.close();
    await vi.advanceTimersByTimeAsync(5 * CHECK_INTERVAL_MS);
    expect(checks).toEqual([]);
  });

  it('the check is `. IN NS` with recursion desired', () => {
    const q = parseQuery(healthQuery(7));
    expect(q.id).toBe(7);
    expect(q.question).toEqual({ name: '', type: 2, class: 1 });
    expect(q.rd).toBe(true);
  });
});
