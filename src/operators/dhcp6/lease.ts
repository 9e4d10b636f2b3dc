// What a server's Advertise or Reply offers this client: validation of the
// identities and the IA_NA (RFC 8415 §16, §21.4, §21.6), and the lease built
// from a Reply.
import {
  OptionCode,
  StatusCode,
  decodeDnsServers,
  decodeDomainList,
  decodeFqdn,
  decodeIaNa,
  decodeNtpServer,
  decodePreference,
  decodeStatusCode,
  findOption,
  findOptions,
  type Dhcp6Message,
  type IaAddress,
  type IaNa,
} from './message.js';

export interface Dhcp6Lease {
  /** The IA_NA address. */
  address: string;
  /** Seconds (0xffffffff: infinity). */
  preferredLifetime: number;
  /** Seconds (0xffffffff: infinity); the lease time. */
  validLifetime: number;
  /** Seconds, as the server sent them (informational: renewal follows the valid lifetime). */
  t1: number;
  t2: number;
  /** The server's DUID, hex. */
  serverDuid: string;
  /** Option 23. */
  dns: string[];
  /** Option 24. */
  domains: string[];
  /** Option 56: server addresses and FQDNs (multicast addresses are left out). */
  ntp: string[];
  /** Option 39, without a trailing dot. */
  fqdn?: string;
  /** Clock time (ms) the Reply was accepted. */
  acquiredAt: number;
}

export type Offer =
  | { ok: true; ia: IaNa; address: IaAddress; serverId: Buffer; preference: number }
  | { ok: false; reason: string; status?: number };

function statusName(code: number): string {
  const entry = Object.entries(StatusCode).find(([, v]) => v === code);
  return entry ? entry[0] : `status ${code}`;
}

/**
 * RFC 8415 §16.3, §16.10: an Advertise or Reply without a Server ID, or whose
 * Client ID is missing or not ours, is discarded.
 */
export function isForClient(msg: Dhcp6Message, clientId: Buffer): boolean {
  const server = findOption(msg.options, OptionCode.ServerId);
  const client = findOption(msg.options, OptionCode.ClientId);
  return server !== undefined && server.data.length > 0 && client !== undefined && client.data.equals(clientId);
}

/**
 * What an Advertise or Reply (already checked with isForClient) offers: no
 * failure status, and an IA_NA with our IAID holding a usable address.
 * Throws Dhcp6DecodeError when the IA_NA or a status code is malformed.
 */
export function examineOffer(msg: Dhcp6Message, iaid: number): Offer {
  const server = findOption(msg.options, OptionCode.ServerId);
  if (!server) return { ok: false, reason: 'no server identifier' };
  const top = findOption(msg.options, OptionCode.StatusCode);
  if (top) {
    const status = decodeStatusCode(top.data);
    if (status.code !== StatusCode.Success) return { ok: false, reason: `${statusName(status.code)}: ${status.message}`, status: status.code };
  }
  const ia = findOptions(msg.options, OptionCode.IaNa)
    .map((o) => decodeIaNa(o.data))
    .find((i) => i.iaid === iaid);
  if (!ia) return { ok: false, reason: `no IA_NA with IAID ${iaid}` };
  if (ia.status && ia.status.code !== StatusCode.Success) {
    return { ok: false, reason: `IA_NA ${statusName(ia.status.code)}: ${ia.status.message}`, status: ia.status.code };
  }
  // RFC 8415 §21.4: T1 > T2 (both non-zero) makes the whole IA_NA invalid.
  if (ia.t1 > 0 && ia.t2 > 0 && ia.t1 > ia.t2) return { ok: false, reason: `IA_NA T1 ${ia.t1} > T2 ${ia.t2}` };
  // §21.6: an address whose preferred lifetime exceeds its valid lifetime is
  // discarded; a valid lifetime of 0 withdraws the address.
  const address = ia.addresses.find(
    (a) => (a.status === undefined || a.status.code === StatusCode.Success) && a.validLifetime > 0 && a.preferredLifetime <= a.validLifetime,
  );
  if (!address) return { ok: false, reason: 'IA_NA holds no usable address', status: StatusCode.NoAddrsAvail };
  const pref = findOption(msg.options, OptionCode.Preference);
  return { ok: true, ia, address, serverId: server.data, preference: pref ? decodePreference(pref.data) : 0 };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/**
 * The lease of an accepted Reply. Malformed configuration options (DNS, domain
 * list, NTP, FQDN) are left out and reported in `warnings`; they never cost the address.
 */
export function buildLease(msg: Dhcp6Message, offer: Extract<Offer, { ok: true }>, now: number): { lease: Dhcp6Lease; warnings: string[] } {
  const warnings: string[] = [];
  function each<T>(code: number, decode: (data: Buffer) => T[]): T[] {
    const out: T[] = [];
    for (const o of findOptions(msg.options, code)) {
      try {
        out.push(...decode(o.data));
      } catch (err) {
        warnings.push(`option ${code} ignored: ${(err as Error).message}`);
      }
    }
    return out;
  }
  const ntp = each(OptionCode.NtpServer, decodeNtpServer).flatMap((s) =>
    s.kind === 'address' ? [s.address] : s.kind === 'fqdn' ? [s.name] : [],
  );
  const fqdn = each(OptionCode.ClientFqdn, (d) => [decodeFqdn(d)]).find((f) => f.name !== '');
  const lease: Dhcp6Lease = {
    address: offer.address.address,
    preferredLifetime: offer.address.preferredLifetime,
    validLifetime: offer.address.validLifetime,
    t1: offer.ia.t1,
    t2: offer.ia.t2,
    serverDuid: offer.serverId.toString('hex'),
    dns: unique(each(OptionCode.DnsServers, decodeDnsServers)),
    domains: unique(each(OptionCode.DomainList, decodeDomainList)),
    ntp: unique(ntp),
    ...(fqdn ? { fqdn: fqdn.name } : {}),
    acquiredAt: now,
  };
  return { lease, warnings };
}
