// Snapshots of the discovery server's state (§5.4): a StateSnapshot protobuf
// written as one length-delimited `clusters` record per cluster (so the file as a
// whole is a valid StateSnapshot), with each affiliate's and endpoint's remaining
// TTL in whole seconds. Written to PATH.tmp, fsynced, renamed over PATH; loaded
// once at start. The blobs are stored as the clients encrypted them: the server
// holds no key, so the file holds no plaintext.
import fs from 'node:fs';
import path from 'node:path';
import { ClusterSnapshotCodec, StateSnapshotCodec, type ClusterSnapshot, type Duration } from '../discovery/messages.js';
import { Affiliate, State } from './state.js';

const seconds = (ms: number): Duration => ({ seconds: Math.max(0, Math.floor(ms / 1000)) });
const durationMs = (d: Duration | null | undefined): number | undefined => (d ? d.seconds * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : undefined);

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

export interface SnapshotStats {
  clusters: number;
  affiliates: number;
  endpoints: number;
  bytes: number;
}

/** The state as StateSnapshot bytes, one buffer per cluster record. */
export function encodeSnapshot(state: State, now: number): { chunks: Buffer[]; stats: SnapshotStats } {
  const chunks: Buffer[] = [];
  const stats: SnapshotStats = { clusters: 0, affiliates: 0, endpoints: 0, bytes: 0 };
  for (const c of state.clusters.values()) {
    if (c.affiliates.size === 0) continue;
    const record: ClusterSnapshot = { id: c.id, affiliates: [] };
    for (const a of c.affiliates.values()) {
      record.affiliates.push({
        id: a.id,
        data: a.data,
        ttl: seconds(a.expiration - now),
        endpoints: a.endpoints.map((e) => ({ data: e.data, ttl: seconds(e.expiration - now) })),
      });
      stats.affiliates++;
      stats.endpoints += a.endpoints.length;
    }
    const body = ClusterSnapshotCodec.encode(record);
    chunks.push(Buffer.from([0x0a]), varint(body.length), body);
    stats.clusters++;
    stats.bytes += 1 + varint(body.length).length + body.length;
  }
  return { chunks, stats };
}

/** Writes the snapshot atomically (PATH.tmp, fsync, rename, fsync of the directory). */
export function writeSnapshot(file: string, state: State, now: number): SnapshotStats {
  const { chunks, stats } = encodeSnapshot(state, now);
  const tmp = `${file}.tmp`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    for (const c of chunks) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
  return stats;
}

/** Fills `state` from snapshot bytes; entries already expired are skipped. */
export function loadSnapshot(bytes: Uint8Array, state: State, now: number): SnapshotStats {
  const snapshot = StateSnapshotCodec.decode(bytes);
  const stats: SnapshotStats = { clusters: 0, affiliates: 0, endpoints: 0, bytes: bytes.length };
  for (const c of snapshot.clusters) {
    const cluster = state.cluster(c.id);
    stats.clusters++;
    for (const s of c.affiliates) {
      const ttl = durationMs(s.ttl);
      const expiration = ttl !== undefined ? now + ttl : (durationMs(s.expiration) ?? 0);
      if (expiration < now) continue;
      const a = new Affiliate(s.id);
      a.data = Buffer.from(s.data);
      a.expiration = expiration;
      for (const e of s.endpoints) {
        const ettl = durationMs(e.ttl);
        const eexp = ettl !== undefined ? now + ettl : (durationMs(e.expiration) ?? 0);
        if (eexp >= now) a.endpoints.push({ data: Buffer.from(e.data), expiration: eexp });
      }
      cluster.affiliates.set(a.id, a);
      stats.affiliates++;
      stats.endpoints += a.endpoints.length;
    }
  }
  return stats;
}
