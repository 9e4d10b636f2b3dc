// Operators: long-running protocol clients (DHCPv4, DHCPv6, the VIP election…)
// that the OperatorSpecController runs while their link is up. Each produces
// specs at the operator layer (Talos §6); the controller writes them and wakes
// on `notify`. Operators see the kernel only through a read-only view of the
// statuses (never their own dumps) and change it only through their specs.
import type { Logger } from '../log.js';
import type { AddressStatus, LinkStatus, OperatorSpec, OperatorSpecs } from '../resources/network/types.js';

export type { OperatorSpecs };

export const NO_SPECS: OperatorSpecs = Object.freeze({ addresses: [], routes: [], links: [], resolvers: [], hostnames: [], timeServers: [] }) as OperatorSpecs;

/** What an operator reports for `netcfg get operatorstatuses` (plain JSON; never secrets). */
export type OperatorDetail = Record<string, string | number | boolean | null | string[]>;

export interface Operator {
  /**
   * Starts the operator's background work and returns at once (no reconcile
   * waits on network I/O). A returned promise that rejects counts as a failed
   * start: the operator is stopped and started again with backoff.
   */
  start(): void | Promise<void>;
  /**
   * Stops it. The promise resolves once its goodbyes are done (a VIP owner
   * resigns its election, a DHCP client may release): the controller does not
   * wait for it in a reconcile, but the daemon waits for every stop before it exits.
   * Its specs are withdrawn first, and stop() is called once its addresses
   * have left the kernel (or after a short timeout), so that, for example, a VIP
   * is gone from this node before its election is resigned.
   */
  stop(): void | Promise<void>;
  /** What the operator wants configured now. */
  specs(): OperatorSpecs;
  /** Wall-clock ms when what specs() returns stops being valid (a lease's end), if it has such an end. */
  expiresAt?(): number | undefined;
  /** How it is doing, for `netcfg get operatorstatuses` and `netcfg status`. */
  status?(): OperatorDetail;
  /**
   * When the daemon stops, withdraw this operator's specs (and wait for its
   * addresses to leave the kernel) before stopping it: a VIP owner hands over.
   * Other operators leave the network as it is (a DHCP lease stays configured).
   */
  readonly withdrawOnShutdown?: boolean;
}

/** The link an operator runs on, as it was when the operator started. */
export interface OperatorLink {
  name: string;
  index: number;
  hardwareAddr: string;
}

/** The kernel as the status controllers see it: read-only, current as of the last reconcile. */
export interface KernelView {
  /** The operator's link now (undefined: gone). */
  link(): LinkStatus | undefined;
  /** The addresses on the operator's link now. */
  addresses(): readonly AddressStatus[];
  /** `listener` runs after the link's status or its addresses change; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export interface OperatorContext {
  spec: OperatorSpec;
  link: OperatorLink;
  /** The namespace's path for sockets (/run/netns/NAME), or undefined for our own. */
  netnsPath: string | undefined;
  /** Read-only statuses of the operator's link. */
  view: KernelView;
  log: Logger;
  /** A hostname that did not come from an operator (DHCPv4 sends it instead of asking for one). */
  hostname: { hostname: string; domainname: string } | undefined;
  /** The node's hostname as configured (the merged HostnameSpec, any layer): the VIP election's value. */
  nodeHostname?: string | undefined;
  /** Tells the controller the operator's specs (or status) changed. */
  notify(): void;
  /** What a previous run of this operator had (a restarted daemon): e.g. the address to ask for again. */
  previous: OperatorSpecs | undefined;
}

export type OperatorFactory = (ctx: OperatorContext) => Operator;
