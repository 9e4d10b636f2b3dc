// What the rest of netcfg needs from the machine config's definition without the
// schema library: the Talos sections netcfg ignores, its defaults, and the route
// table numbers. The daemon's way to a configured network loads this, not zod
// (a config it validated before comes from the validated copy, config/validated-copy.ts).
import { routeTableNumber } from '../resources/network/enums.js';
import type { RouteConfig } from './schema/network.js';

/** Talos machine.* keys netcfg does not use. */
export const UNUSED_MACHINE_KEYS = [
  'token',
  'ca',
  'acceptedCAs',
  'certSANs',
  'controlPlane',
  'kubelet',
  'pods',
  'disks',
  'install',
  'time',
  'sysctls',
  'sysfs',
  'registries',
  'systemDiskEncryption',
  'features',
  'udev',
  'logging',
  'kernel',
  'seccompProfiles',
  'baseRuntimeSpecOverrides',
  'nodeLabels',
  'nodeAnnotations',
  'nodeTaints',
] as const;

/** Talos cluster.* keys netcfg does not use. */
export const UNUSED_CLUSTER_KEYS = [
  'controlPlane',
  'clusterName',
  'token',
  'aescbcEncryptionSecret',
  'secretboxEncryptionSecret',
  'ca',
  'acceptedCAs',
  'aggregatorCA',
  'serviceAccount',
  'apiServer',
  'controllerManager',
  'proxy',
  'scheduler',
  'etcd',
  'coreDNS',
  'externalCloudProvider',
  'extraManifests',
  'extraManifestHeaders',
  'inlineManifests',
  'adminKubeconfig',
  'allowSchedulingOnControlPlanes',
  'allowSchedulingOnMasters',
] as const;

export const DEFAULT_DISCOVERY_ENDPOINT = 'https://discovery.talos.dev/';

/** Where Talos keeps the CA bundle that machine.files appends trust roots to (the corporate proxy recipe). */
export const CA_BUNDLE_PATHS = ['/etc/ssl/certs/ca-certificates', '/etc/ssl/certs/ca-certificates.crt'] as const;

/** Route table as a kernel number. */
export function tableNumber(table: RouteConfig['table']): number {
  return typeof table === 'number' ? table : routeTableNumber(table);
}
