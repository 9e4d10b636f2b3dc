// The table description as libnftables JSON (what `nft -j -f -` reads), and a
// canonical form of both a description and `nft -j list table` output, so that
// "what the kernel holds is what netcfg wants" is one comparison. Statements are
// written in the form nft lists them back (e.g. a mark set as `& mask | bits`).
import { parseIPOrPrefix, formatIP, networkOf } from '../net/ip.js';
import type { NftChain, NftSet, NftStatement, NftTableSpec } from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type NftCommand = { [verb: string]: { [object: string]: Json } };

const u32 = (v: number) => v >>> 0;

/** A port ("53") or an inclusive range ("8000-9000"), as nft lists it: a single port is a number. */
function portElement(text: string): Json {
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(text);
  if (!m) throw new Error(`nftables set element "${text}" is not a port or a port range`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo === hi ? lo : { range: [lo, hi] };
}

function element(text: string): Json {
  const p = parseIPOrPrefix(text);
  if (!p) throw new Error(`nftables set element "${text}" is not an address or prefix`);
  const addr = formatIP(networkOf(p));
  return p.bits === p.bytes.length * 8 ? addr : { prefix: { addr, len: p.bits } };
}

function flags(list: readonly string[]): Json {
  return list.length === 1 ? list[0]! : [...list];
}

/** One value, or an anonymous set of several. */
function oneOrSet(list: readonly string[]): Json {
  return list.length === 1 ? list[0]! : { set: [...list] };
}

function statement(s: NftStatement): Json {
  if ('match' in s) {
    switch (s.match) {
      case 'mark':
        return { match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, u32(s.mask)] }, right: u32(s.value) } };
      case 'oifname':
        return { match: { op: '==', left: { meta: { key: 'oifname' } }, right: s.name } };
      case 'daddr':
        return { match: { op: '==', left: { payload: { protocol: s.protocol, field: 'daddr' } }, right: `@${s.set}` } };
      case 'tcp flags':
        return { match: { op: '==', left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, flags(s.mask)] }, right: flags(s.value) } };
      case 'iifname':
        return { match: { op: '==', left: { meta: { key: 'iifname' } }, right: oneOrSet(s.names) } };
      case 'saddr':
        return { match: { op: s.negate ? '!=' : '==', left: { payload: { protocol: s.protocol, field: 'saddr' } }, right: `@${s.set}` } };
      case 'port':
        return { match: { op: '==', left: { payload: { protocol: s.protocol, field: s.field } }, right: 'set' in s ? `@${s.set}` : s.port } };
      case 'l4proto':
        return { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: oneOrSet(s.protocols) } };
      case 'ct state':
        // nft lists one state as a bit test ("in"), several as a set
        return s.states.length === 1 ? { match: { op: 'in', left: { ct: { key: 'state' } }, right: s.states[0]! } } : { match: { op: '==', left: { ct: { key: 'state' } }, right: { set: [...s.states] } } };
      case 'icmp type':
        return { match: { op: '==', left: { payload: { protocol: s.protocol, field: 'type' } }, right: oneOrSet(s.types) } };
      case 'local daddr':
        return { match: { op: '==', left: { fib: { result: 'type', flags: ['daddr'] } }, right: 'local' } };
    }
  }
  if ('limit' in s) return { limit: { rate: s.limit.perSecond, burst: 5, per: 'second' } };
  if ('setMark' in s) {
    const { clear, set } = s.setMark;
    // nft lists (mark & m) ^ x with x inside the cleared bits as (mark & (m | x)) | x
    return { mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ '&': [{ meta: { key: 'mark' } }, u32(~clear | set)] }, u32(set)] } } };
  }
  if ('setMss' in s) return { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: s.setMss } };
  return { [s.verdict]: null };
}

function setObject(t: NftTableSpec, s: NftSet): Json {
  const o: { [key: string]: Json } = { family: t.family, table: t.name, name: s.name, type: s.type, flags: ['interval'] };
  if (s.elements.length > 0) o.elem = s.elements.map(s.type === 'inet_service' ? portElement : element);
  return o;
}

function chainObject(t: NftTableSpec, c: NftChain): Json {
  const o: { [key: string]: Json } = { family: t.family, table: t.name, name: c.name };
  if (c.base) Object.assign(o, { type: c.base.type, hook: c.base.hook, prio: c.base.priority, policy: c.base.policy });
  return o;
}

/** Commands that create the table with everything in it. */
export function tableCommands(t: NftTableSpec): NftCommand[] {
  const table = { family: t.family, name: t.name };
  const out: NftCommand[] = [{ add: { table } }];
  for (const s of t.sets) out.push({ add: { set: setObject(t, s) } });
  for (const c of t.chains) out.push({ add: { chain: chainObject(t, c) } });
  for (const c of t.chains) {
    for (const r of c.rules) out.push({ add: { rule: { family: t.family, table: t.name, chain: c.name, expr: r.map(statement) } } });
  }
  return out;
}

/**
 * One transaction that replaces the table whole: "add" (a no-op when it
 * exists), "delete", then the new table. nft sends a JSON batch as one netlink
 * batch, which the kernel applies all or nothing.
 */
export function replaceCommands(t: NftTableSpec): { nftables: NftCommand[] } {
  const table = { family: t.family, name: t.name };
  return { nftables: [{ add: { table } }, { delete: { table } }, ...tableCommands(t)] };
}

/** One transaction that removes the table if it is there. */
export function removeCommands(family: string, name: string): { nftables: NftCommand[] } {
  const table = { family, name };
  return { nftables: [{ add: { table } }, { delete: { table } }] };
}

/** A table's content, independent of handles, element order and how nft spelled it. */
export interface CanonicalTable {
  sets: Record<string, { type: Json; flags: string[]; elements: string[] }>;
  chains: Record<string, { type?: Json; hook?: Json; prio?: Json; policy?: Json; rules: string[] }>;
}

function elementText(e: Json): string {
  if (typeof e === 'string') {
    const p = parseIPOrPrefix(e);
    return p ? `${formatIP(p)}/${p.bits}` : e;
  }
  if (e && typeof e === 'object' && !Array.isArray(e)) {
    const prefix = e.prefix as { addr?: string; len?: number } | undefined;
    if (prefix?.addr !== undefined) {
      const p = parseIPOrPrefix(`${prefix.addr}/${prefix.len}`);
      return p ? `${formatIP(networkOf(p))}/${p.bits}` : JSON.stringify(e);
    }
  }
  return stable(e);
}

/** JSON with sorted keys. */
function stable(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k]!)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The members of anonymous sets in order (nft lists `iifname { "lo", "kubespan" }` in an order of its own). */
function sortedSets(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortedSets);
  if (v && typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'set' && Array.isArray(x) ? x.map(sortedSets).sort((a, b) => (stable(a) < stable(b) ? -1 : stable(a) > stable(b) ? 1 : 0)) : sortedSets(x);
    return out;
  }
  return v;
}

/** Canonical form of `nft -j list table` output, or of our own commands (the same object shapes). */
export function canonical(items: ReadonlyArray<{ [object: string]: Json }>): CanonicalTable {
  const out: CanonicalTable = { sets: {}, chains: {} };
  const chain = (name: string) => (out.chains[name] ??= { rules: [] });
  for (const item of items) {
    const [kind, value] = Object.entries(item)[0] ?? [];
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    if (kind === 'set') {
      const flagList = Array.isArray(value.flags) ? (value.flags as string[]) : value.flags ? [String(value.flags)] : [];
      const elements = Array.isArray(value.elem) ? value.elem.map(elementText).sort() : [];
      out.sets[String(value.name)] = { type: value.type ?? null, flags: [...flagList].sort(), elements };
    } else if (kind === 'chain') {
      const c = chain(String(value.name));
      for (const k of ['type', 'hook', 'prio', 'policy'] as const) if (value[k] !== undefined) c[k] = value[k]!;
    } else if (kind === 'rule') {
      chain(String(value.chain)).rules.push(stable(sortedSets(value.expr ?? null)));
    }
  }
  return out;
}

/** The canonical form of what `tableCommands(t)` creates. */
export function canonicalSpec(t: NftTableSpec): CanonicalTable {
  return canonical(tableCommands(t).map((c) => c.add!));
}

export function sameTable(a: CanonicalTable, b: CanonicalTable): boolean {
  return stable(a as unknown as Json) === stable(b as unknown as Json);
}
