// How the VIP operators reach etcd: `netcfg daemon --etcd-endpoints URL[,URL…]
// [--etcd-ca F --etcd-cert F --etcd-key F] [--vip-lease-ttl 3s]`. Without
// endpoints: https://127.0.0.1:2379 with kubeadm's health-check client
// certificate when its files exist, else http://127.0.0.1:2379.
import fs from 'node:fs';
import { parseEndpoint, type EtcdEndpoint, type EtcdTlsFiles } from './etcd/client.js';
import { DEFAULT_PLATFORM_URLS, type PlatformUrls } from './platform/handler.js';

export interface VipOptions {
  endpoints: EtcdEndpoint[];
  tls: EtcdTlsFiles | undefined;
  /** Lease TTL in seconds (etcd grants whole seconds; 2 is its floor). */
  leaseTtl: number;
  platform: PlatformUrls;
}

export const DEFAULT_LEASE_TTL = 3;
export const MIN_LEASE_TTL = 2;

export const KUBEADM_ETCD_CLIENT: Required<EtcdTlsFiles> = {
  ca: '/etc/kubernetes/pki/etcd/ca.crt',
  cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  key: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
};

export interface VipFlags {
  endpoints?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  leaseTtl?: string | undefined;
}

export class VipOptionsError extends Error {}

/** "3", "3s", "3000ms" → whole seconds ≥ 2. */
export function parseLeaseTtl(text: string): number {
  const m = /^(\d+)(s|ms)?$/.exec(text.trim());
  const ms = m ? (m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000) : NaN;
  if (!Number.isFinite(ms) || ms % 1000 !== 0) throw new VipOptionsError(`--vip-lease-ttl must be whole seconds (e.g. 3s), not "${text}"`);
  const s = ms / 1000;
  if (s < MIN_LEASE_TTL) throw new VipOptionsError(`--vip-lease-ttl must be at least ${MIN_LEASE_TTL}s (etcd's minimum lease TTL), not "${text}"`);
  if (s > 3600) throw new VipOptionsError(`--vip-lease-ttl must be at most 3600s, not "${text}"`);
  return s;
}

export function vipOptions(flags: VipFlags, platform: PlatformUrls = DEFAULT_PLATFORM_URLS, exists: (f: string) => boolean = fs.existsSync): VipOptions {
  const leaseTtl = flags.leaseTtl === undefined ? DEFAULT_LEASE_TTL : parseLeaseTtl(flags.leaseTtl);
  const given: EtcdTlsFiles = { ca: flags.ca, cert: flags.cert, key: flags.key };
  for (const [name, f] of Object.entries(given)) {
    if (f !== undefined && !exists(f)) throw new VipOptionsError(`--etcd-${name} ${f}: no such file`);
  }
  if ((given.cert === undefined) !== (given.key === undefined)) throw new VipOptionsError('--etcd-cert and --etcd-key go together');
  if (flags.endpoints === undefined) {
    if (given.ca === undefined && given.cert === undefined) {
      const kubeadm = Object.values(KUBEADM_ETCD_CLIENT).every((f) => exists(f));
      if (kubeadm) return { endpoints: [parseEndpoint('https://127.0.0.1:2379')], tls: { ...KUBEADM_ETCD_CLIENT }, leaseTtl, platform };
      return { endpoints: [parseEndpoint('http://127.0.0.1:2379')], tls: undefined, leaseTtl, platform };
    }
    return { endpoints: [parseEndpoint('https://127.0.0.1:2379')], tls: given, leaseTtl, platform };
  }
  const endpoints: EtcdEndpoint[] = [];
  for (const part of flags.endpoints.split(',')) {
    if (part.trim() === '') continue;
    try {
      endpoints.push(parseEndpoint(part.trim()));
    } catch (err) {
      throw new VipOptionsError(`--etcd-endpoints: ${(err as Error).message}`);
    }
  }
  if (endpoints.length === 0) throw new VipOptionsError('--etcd-endpoints needs at least one URL');
  const tls = endpoints.some((e) => e.tls);
  if (tls && !endpoints.every((e) => e.tls)) throw new VipOptionsError('--etcd-endpoints: use https for all endpoints or for none');
  if (!tls && (given.ca !== undefined || given.cert !== undefined)) throw new VipOptionsError('--etcd-ca/--etcd-cert/--etcd-key need https:// endpoints');
  return { endpoints, tls: tls ? given : undefined, leaseTtl, platform };
}
