// Operators: long-running protocol clients (DHCPv4, DHCPv6, …) that the
// OperatorSpecController runs while their link is up. Each produces specs at the
// operator layer (Talos §6); the controller writes them and wakes on `notify`.
import type { Kernel } from '../controllers/kernel.js';
import type { Logger } from '../log.js';
import type { OperatorSpec, OperatorSpecs } from '../resources/network/types.js';

export type { OperatorSpecs };

export const NO_SPECS: OperatorSpecs = Object.freeze({ addresses: [], routes: [], links: [], resolvers: [], hostnames: [], timeServers: [] }) as OperatorSpecs;

export interface Operator {
  start(): void;
  stop(): void;
  /** What the operator wants configured now. */
  specs(): OperatorSpecs;
  /** Wall-clock ms when what specs() returns stops being valid (a lease's end), if it has such an end. */
  expiresAt?(): number | undefined;
}

/** The link an operator runs on, as it was when the operator started. */
export interface OperatorLink {
  name: string;
  index: number;
  hardwareAddr: string;
}

export interface OperatorContext {
  spec: OperatorSpec;
  link: OperatorLink;
  /** The namespace's path for sockets (/run/netns/NAME), or undefined for our own. */
  netnsPath: string | undefined;
  kernel: Kernel;
  log: Logger;
  /** A hostname that did not come from an operator (DHCPv4 sends it instead of asking for one). */
  hostname: { hostname: string; domainname: string } | undefined;
  /** Tells the controller the operator's specs changed. */
  notify(): void;
  /** What a previous run of this operator had (a restarted daemon): e.g. the address to ask for again. */
  previous: OperatorSpecs | undefined;
}

export type OperatorFactory = (ctx: OperatorContext) => Operator;
