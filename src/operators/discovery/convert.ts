// Affiliates between their protobuf form (what goes inside the encrypted data,
// §2.2) and the AffiliateSpec resource, as Talos's pbAffiliate and
// NewAffiliateSpec (controllers/cluster/discovery_service.go).
import type { PbAffiliate, PbEndpoint, PbIPPrefix } from '../../discovery/messages.js';
import { formatBytes, parseIP, parsePrefix } from '../../net/ip.js';
import type { AffiliateKubeSpan, AffiliateSpec } from '../../resources/cluster/types.js';

function ipBytes(text: string): Uint8Array | undefined {
  return parseIP(text)?.bytes;
}

function ipText(bytes: Uint8Array): string | undefined {
  return bytes.length === 4 || bytes.length === 16 ? formatBytes(bytes) : undefined;
}

function prefixPb(text: string): PbIPPrefix | undefined {
  const p = parsePrefix(text);
  return p ? { ip: p.bytes, bits: p.bits } : undefined;
}

function prefixText(p: PbIPPrefix): string | undefined {
  const ip = ipText(p.ip);
  const max = p.ip.length * 8;
  return ip !== undefined && p.bits <= max ? `${ip}/${p.bits}` : undefined;
}

const defined = <T>(x: T | undefined): x is T => x !== undefined;

/** "ip:port" or "[v6]:port". */
export function parseEndpoint(text: string): PbEndpoint {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const ip = m ? parseIP((m[1] ?? m[2])!) : undefined;
  const port = m ? Number(m[3]) : NaN;
  if (!ip || !(port >= 0 && port <= 65535)) throw new Error(`invalid endpoint ${JSON.stringify(text)}: expected ip:port`);
  return { ip: ip.bytes, port };
}

export function formatEndpoint(e: PbEndpoint): string {
  const ip = ipText(e.ip);
  if (ip === undefined) throw new Error(`endpoint IP of ${e.ip.length} bytes`);
  return e.ip.length === 16 ? `[${ip}]:${e.port}` : `${ip}:${e.port}`;
}

/** Talos machine.ParseType, folded into the three kinds the resources know. */
export function parseMachineType(s: string): AffiliateSpec['machineType'] {
  if (s === 'controlplane' || s === 'init') return 'controlplane';
  if (s === 'worker' || s === 'join' || s === '') return 'worker';
  return 'unknown';
}

/** The protobuf of an affiliate and its (separately encrypted) endpoints. */
export function affiliateToPb(spec: AffiliateSpec): { affiliate: PbAffiliate; endpoints: PbEndpoint[] } {
  const ks = spec.kubespan;
  const affiliate: PbAffiliate = {
    nodeId: spec.nodeId,
    addresses: spec.addresses.map(ipBytes).filter(defined),
    hostname: spec.hostname,
    nodename: spec.nodename,
    machineType: spec.machineType,
    operatingSystem: spec.operatingSystem,
  };
  if (ks && ks.publicKey !== '') {
    affiliate.kubespan = {
      publicKey: ks.publicKey,
      address: ipBytes(ks.address) ?? new Uint8Array(0),
      additionalAddresses: ks.additionalAddresses.map(prefixPb).filter(defined),
      excludeAdvertisedAddresses: ks.excludeAdvertisedNetworks.map(prefixPb).filter(defined),
    };
  }
  if (spec.controlPlane) affiliate.controlPlane = { apiServerPort: spec.controlPlane.apiServerPort };
  const endpoints: PbEndpoint[] = [];
  for (const text of ks && ks.publicKey !== '' ? ks.endpoints : []) {
    try {
      endpoints.push(parseEndpoint(text));
    } catch {
      // not ip:port: not announced
    }
  }
  return { affiliate, endpoints };
}

/** The AffiliateSpec of a discovered affiliate; bytes that are not an IP are skipped. */
export function affiliateFromPb(pb: PbAffiliate, endpoints: PbEndpoint[]): AffiliateSpec {
  const spec: AffiliateSpec = {
    nodeId: pb.nodeId,
    addresses: pb.addresses.map(ipText).filter(defined),
    hostname: pb.hostname,
    nodename: pb.nodename,
    operatingSystem: pb.operatingSystem,
    machineType: parseMachineType(pb.machineType),
  };
  if (pb.kubespan) {
    const kubespan: AffiliateKubeSpan = {
      publicKey: pb.kubespan.publicKey,
      address: ipText(pb.kubespan.address) ?? '',
      additionalAddresses: pb.kubespan.additionalAddresses.map(prefixText).filter(defined),
      endpoints: endpoints.filter((e) => ipText(e.ip) !== undefined).map(formatEndpoint),
      excludeAdvertisedNetworks: pb.kubespan.excludeAdvertisedAddresses.map(prefixText).filter(defined),
    };
    spec.kubespan = kubespan;
  }
  if (pb.controlPlane) spec.controlPlane = { apiServerPort: pb.controlPlane.apiServerPort };
  return spec;
}
