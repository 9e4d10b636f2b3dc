// The whole-config checks (talos-multidoc.md §1.5): DoT/DoH need host DNS, a
// discovery service from documents needs a cluster identity, KubeSpan needs a
// discovery service (a DiscoveryServiceConfig counts). They run on every
// config, documents or not, without loading the document kinds.
import { ConfigContainer } from '../container.js';
import type { MachineConfig } from '../schema.js';
import type { ConfigDocument } from './decode.js';
import { documentLabel, type AssemblyIssue } from './types.js';

export function wholeConfig(documents: readonly ConfigDocument[], machine: MachineConfig | undefined): AssemblyIssue[] {
  const out: AssemblyIssue[] = [];
  const error = (d: ConfigDocument, message: string, path: ReadonlyArray<string | number> = []): void => {
    out.push({ severity: 'error', document: documentLabel(d.kind, d.name, d.id !== `${d.kind}/`), documentId: d.id, path, message });
  };
  const c = new ConfigContainer(machine, documents);
  const resolverDoc = c.ofKind('ResolverConfig')[0];
  const encrypted = resolverDoc?.spec.nameservers?.findIndex((n) => n.protocol !== undefined && n.protocol !== 'Do53') ?? -1;
  if (resolverDoc && encrypted >= 0 && c.hostDNS()?.enabled !== true) {
    error(resolverDoc, 'hostDNS must be enabled when using non-default DNS protocols (set hostDNS.enabled: true)', ['nameservers', encrypted, 'protocol']);
  }
  const services = c.discoveryServices();
  const fromDocuments = services.length > 0 && services[0]!.name !== 'legacy';
  const identity = c.discoveryIdentity();
  const firstService = c.ofKind('DiscoveryServiceConfig')[0];
  if (fromDocuments && firstService) {
    if (!identity?.clusterId) error(firstService, 'cluster ID (.cluster.id or DiscoveryIdentityConfig) should be set when cluster discovery (DiscoveryServiceConfig) is enabled');
    if (!identity?.clusterSecret) error(firstService, 'cluster secret (.cluster.secret or DiscoveryIdentityConfig) should be set when cluster discovery (DiscoveryServiceConfig) is enabled');
  }
  const kubespan = c.kubeSpan();
  if (kubespan?.enabled && services.length === 0) {
    const message = 'KubeSpan requires cluster discovery to be enabled: set cluster.discovery.enabled: true, or add a DiscoveryServiceConfig document';
    const doc = c.ofKind('KubeSpanConfig')[0];
    if (doc) error(doc, message, ['enabled']);
    else out.push({ severity: 'error', path: ['machine', 'network', 'kubespan', 'enabled'], message });
  }
  return out;
}
