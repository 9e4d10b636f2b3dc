// Link-kind driver registry: each kind (bond, vlan, bridge, wireguard, dummy,
// veth…) encodes and decodes its own IFLA_INFO_DATA, so new kinds slot in
// without touching the link codec.
import type { AttrReader, NlWriter } from '../codec.js';

export interface LinkKindDriver<T = unknown> {
  readonly kind: string;
  /** Writes the contents of IFLA_INFO_DATA for a create or change request. */
  encodeData?(w: NlWriter, data: T): void;
  /** Reads IFLA_INFO_DATA of a dumped link. */
  decodeData?(r: AttrReader): T;
  /** Writes the contents of IFLA_INFO_SLAVE_DATA (for ports of this kind of master). */
  encodeSlaveData?(w: NlWriter, data: unknown): void;
  decodeSlaveData?(r: AttrReader): unknown;
}

const registry = new Map<string, LinkKindDriver>();

export function registerLinkKind<T>(driver: LinkKindDriver<T>): void {
  if (registry.has(driver.kind)) throw new Error(`link kind "${driver.kind}" registered twice`);
  registry.set(driver.kind, driver as LinkKindDriver);
}

export function linkKindDriver(kind: string): LinkKindDriver | undefined {
  return registry.get(kind);
}
