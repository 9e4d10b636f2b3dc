// A DHCPv4 lease: what an ACK granted, typed, plus the timing the client
// follows (Talos: renew at lease/2, rebind at 7/8, expire at the lease end).
import type { Dhcp4DecodeError } from './errors.js';
import { maskBits, readOptions, type ClasslessRoute } from './options.js';
import type { Dhcp4Message } from './packet.js';

/** Lease time when the ACK has no option 51 (Talos). */
export const DEFAULT_LEASE_SECONDS = 30 * 60;
/** Talos's minRenewDuration: no renewal attempt comes sooner than this. */
export const MIN_RENEW_SECONDS = 5;
/** Option 51 value meaning "forever" (RFC 2131 §3.3). */
export const INFINITE_LEASE = 0xffffffff;

export interface Dhcp4Lease {
  /** The leased address (yiaddr). */
  address: string;
  /** From option 1, or the address's classful default when the server sent no mask. */
  prefixLength: number;
  /** Option 54: where renewals are unicast. */
  serverId: string;
  /** Seconds (option 51, or 30 min); INFINITE_LEASE for a lease that never ends. */
  leaseTime: number;
  /** Seconds after `acquired` when the client renews (lease/2, at least 5 s); options 58/59 are in `options`. */
  t1: number;
  /** Seconds after `acquired` when the client rebinds (7/8 of the lease). */
  t2: number;
  /** Clock milliseconds when the ACK arrived. */
  acquired: number;
  /** Option 3 (0.0.0.0 entries left out). */
  routers: string[];
  /** Option 121. */
  classlessRoutes: ClasslessRoute[];
  /** Option 6. */
  dns: string[];
  /** Option 119. */
  searchDomains: string[];
  /** Option 15. */
  domain?: string;
  /** Option 12, NULs trimmed. */
  hostname?: string;
  /** The exchange that got this lease asked for options 12 and 15 (only then is the hostname used). */
  hostnameRequested: boolean;
  /** Option 42. */
  ntp: string[];
  /** Option 26 (values below 68 are left out). */
  mtu?: number;
  /** Every option of the ACK, raw. */
  options: ReadonlyMap<number, Buffer>;
}

export interface LeaseTimes {
  t1: number;
  t2: number;
  /** Seconds after acquisition when the lease is gone; Infinity for an infinite lease. */
  end: number;
}

/**
 * Renewal timing for a lease of `leaseTime` seconds. T1 = lease/2 as Talos
 * (options 58/59 are not followed), T2 = 7/8 lease (RFC 2131 §4.4.5 default).
 * Talos renews no sooner than 5 s; so that a renewal can still happen before
 * the lease ends, a lease under 10 s is treated as 10 s.
 */
export function leaseTimes(leaseTime: number): LeaseTimes {
  if (leaseTime === INFINITE_LEASE) return { t1: Infinity, t2: Infinity, end: Infinity };
  const lease = Math.max(leaseTime, 2 * MIN_RENEW_SECONDS);
  return { t1: lease / 2, t2: (lease * 7) / 8, end: lease };
}

/** RFC 2131 says nothing about a missing mask; like dhcpcd and systemd-networkd, use the address class. */
export function classfulPrefix(address: string): number {
  const first = Number(address.split('.')[0]);
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 32;
}

export interface LeaseFromAckOptions {
  /** Clock milliseconds. */
  now: number;
  hostnameRequested: boolean;
  /** Server id to use when the ACK lacks option 54 (the offer's, or the previous lease's). */
  serverId?: string;
  /** Malformed options are reported here and left out. */
  onError?: (e: Dhcp4DecodeError) => void;
}

/** The lease an ACK grants, or undefined when it grants none (no yiaddr, or no server to renew with). */
export function leaseFromAck(ack: Dhcp4Message, o: LeaseFromAckOptions): Dhcp4Lease | undefined {
  if (ack.yiaddr === '0.0.0.0') return undefined;
  const v = readOptions(ack.options, o.onError ?? (() => {}));
  const serverId = v.serverId ?? o.serverId;
  if (serverId === undefined || serverId === '0.0.0.0') return undefined;
  const leaseTime = v.leaseTime ?? DEFAULT_LEASE_SECONDS;
  const { t1, t2 } = leaseTimes(leaseTime);
  const specified = (ips: string[] | undefined) => (ips ?? []).filter((ip) => ip !== '0.0.0.0');
  const lease: Dhcp4Lease = {
    address: ack.yiaddr,
    prefixLength: (v.subnetMask !== undefined ? maskBits(v.subnetMask) : undefined) ?? classfulPrefix(ack.yiaddr),
    serverId,
    leaseTime,
    t1,
    t2,
    acquired: o.now,
    routers: specified(v.routers),
    classlessRoutes: v.classlessRoutes ?? [],
    dns: specified(v.dns),
    searchDomains: v.domainSearch ?? [],
    hostnameRequested: o.hostnameRequested,
    ntp: specified(v.ntp),
    options: ack.options,
  };
  if (v.domainName) lease.domain = v.domainName;
  if (v.hostname) lease.hostname = v.hostname;
  if (v.mtu !== undefined) lease.mtu = v.mtu;
  return lease;
}
