// LinkAliasConfig selectors (talos-multidoc.md §3.2): CEL expressions over one
// variable, `link` (the link's status with Talos' protobuf field names), and
// two functions besides CEL's standard ones: mac(bytes) and glob(pattern,
// text). Compiled (parsed and type-checked) when the config is validated,
// evaluated once per physical link. @bufbuild/cel (parser and evaluator) is
// loaded on first use: most configs have no selector.
import { lazy } from '../../util/lazy.js';
import { globMatch } from '../../util/glob.js';
import { BOOL, BYTES, CelCheckError, DYN, INT, STRING, UINT, checkExpression, listOf, typeName, type CelT } from './check.js';

const cel = lazy<typeof import('@bufbuild/cel')>('@bufbuild/cel');

/** The fields of `link` (Talos LinkStatusSpec, snake_case proto names) and their CEL types. */
export const LINK_FIELDS: Readonly<Record<string, CelT>> = {
  index: UINT,
  type: INT,
  link_index: UINT,
  flags: UINT,
  hardware_addr: BYTES,
  broadcast_addr: BYTES,
  mtu: UINT,
  queue_disc: STRING,
  master_index: UINT,
  operational_state: INT,
  kind: STRING,
  slave_kind: STRING,
  bus_path: STRING,
  pciid: STRING,
  driver: STRING,
  driver_version: STRING,
  firmware_version: STRING,
  product_id: STRING,
  vendor_id: STRING,
  product: STRING,
  vendor: STRING,
  link_state: BOOL,
  speed_megabits: INT,
  port: INT,
  duplex: INT,
  permanent_addr: BYTES,
  alias: STRING,
  alt_names: listOf(STRING),
  // kind-specific parts: empty for the physical links selectors see
  vlan: DYN,
  bridge_master: DYN,
  bond_master: DYN,
  wireguard: DYN,
  vrf_master: DYN,
  veth: DYN,
};

const LINK_TYPE: CelT = { k: 'message', name: 'talos.resource.definitions.network.LinkStatusSpec', fields: LINK_FIELDS };

/** Bytes as lower-case colon-separated hex ("00:1a:2b:3c:4d:5e"). */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** What a selector sees of a link (values already in CEL's JS representation is done by `bind`). */
export interface SelectorLink {
  index: number;
  type: number;
  linkIndex: number;
  flags: number;
  hardwareAddr: string;
  broadcastAddr: string;
  mtu: number;
  queueDisc: string;
  masterIndex: number;
  operationalState: number;
  kind: string;
  slaveKind: string;
  busPath: string;
  pciID: string;
  driver: string;
  driverVersion: string;
  firmwareVersion: string;
  productID: string;
  vendorID: string;
  product: string;
  vendor: string;
  linkState: boolean;
  speedMbit: number;
  port: number;
  duplex: number;
  permanentAddr: string;
  alias: string;
  altNames: readonly string[];
}

const macBytes = (s: string) => Uint8Array.from((s.replaceAll(':', '').match(/../g) ?? []).map((h) => parseInt(h, 16)));

export type CompiledSelector = (link: SelectorLink) => boolean;

/** Compiles an expression: a function that evaluates it, or the reason it does not compile. */
export function compileLinkSelector(expression: string): { ok: true; run: CompiledSelector } | { ok: false; error: string } {
  const lib = cel();
  let parsed: ReturnType<typeof lib.parse>;
  try {
    parsed = lib.parse(expression);
  } catch (err) {
    return { ok: false, error: `ERROR: ${(err as Error).message}` };
  }
  try {
    const out = checkExpression(parsed, expression, {
      variables: { link: LINK_TYPE },
      functions: { mac: [{ args: [BYTES], result: STRING }], glob: [{ args: [STRING, STRING], result: BOOL }] },
    });
    if (out.k !== 'bool' && out.k !== 'dyn') return { ok: false, error: `expression output type is ${typeName(out)}, expected bool` };
  } catch (err) {
    if (err instanceof CelCheckError) return { ok: false, error: err.message };
    throw err;
  }
  const funcs = [
    lib.celFunc('mac', [lib.CelScalar.BYTES], lib.CelScalar.STRING, (b: Uint8Array) => formatMac(b)),
    lib.celFunc('glob', [lib.CelScalar.STRING, lib.CelScalar.STRING], lib.CelScalar.BOOL, (pattern: string, text: string) => globMatch(pattern, text)),
  ];
  const env = lib.celEnv({ funcs, variables: { link: lib.CelScalar.DYN } });
  const program = lib.plan(env, parsed);
  return {
    ok: true,
    run(link) {
      const u = (n: number) => lib.celUint(BigInt(n));
      const bound = new Map<string, unknown>([
        ['index', u(link.index)],
        ['type', BigInt(link.type)],
        ['link_index', u(link.linkIndex)],
        ['flags', u(link.flags)],
        ['hardware_addr', macBytes(link.hardwareAddr)],
        ['broadcast_addr', macBytes(link.broadcastAddr)],
        ['mtu', u(link.mtu)],
        ['queue_disc', link.queueDisc],
        ['master_index', u(link.masterIndex)],
        ['operational_state', BigInt(link.operationalState)],
        ['kind', link.kind],
        ['slave_kind', link.slaveKind],
        ['bus_path', link.busPath],
        ['pciid', link.pciID],
        ['driver', link.driver],
        ['driver_version', link.driverVersion],
        ['firmware_version', link.firmwareVersion],
        ['product_id', link.productID],
        ['vendor_id', link.vendorID],
        ['product', link.product],
        ['vendor', link.vendor],
        ['link_state', link.linkState],
        ['speed_megabits', BigInt(link.speedMbit)],
        ['port', BigInt(link.port)],
        ['duplex', BigInt(link.duplex)],
        ['permanent_addr', macBytes(link.permanentAddr)],
        ['alias', link.alias],
        ['alt_names', [...link.altNames]],
      ]);
      const result = program({ link: bound as never });
      if (lib.isCelError(result)) throw new Error(`link selector: ${result.message}`);
      if (typeof result !== 'boolean') throw new Error(`link selector: expression output type is ${typeof result}, expected bool`);
      return result;
    },
  };
}
