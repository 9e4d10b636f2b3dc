// Kubernetes' subnets: the KubeNetworkConfig document (Talos' Validate() rules
// and its conflict with v1alpha1 cluster.network), and what the rest of netcfg
// reads through ConfigContainer.kubernetesNetwork(): the document, else the
// v1alpha1 cluster section with Talos' defaults, else nothing.
import { describe, expect, it } from 'vitest';
import { configSet, parseConfig } from '../../src/config/load.js';
import { ConfigContainer } from '../../src/config/container.js';
import { configIssues } from '../helpers/config-issues.js';

const issues = configIssues;

function network(yaml: string) {
  const set = configSet(parseConfig('c.yaml', yaml));
  return new ConfigContainer(set.machine, set.documents).kubernetesNetwork();
}

const doc = (pods: string, services: string) => `apiVersion: v1alpha1
kind: KubeNetworkConfig
dnsDomain: cluster.local
podSubnets: ${pods}
serviceSubnets: ${services}
`;

describe('KubeNetworkConfig', () => {
  it('is read, not ignored: a dual-stack document loads without a note', () => {
    expect(issues(doc('[10.244.0.0/16, fd00:10:244::/56]', '[10.96.0.0/12, fd00:10:96::/112]'))).toEqual([]);
  });

  it('rejects what Talos rejects, at the document', () => {
    expect(issues(doc('[10.244.0.1/16]', '[10.96.0.0/12]'))).toEqual(['c.yaml:4:13: error: KubeNetworkConfig: podSubnets: invalid subnet: 10.244.0.1/16 is not a valid CIDR']);
    expect(issues(doc('[10.244.0.0/16]', '[10.96.0.0/30]'))).toEqual(['c.yaml:5:17: error: KubeNetworkConfig: serviceSubnets: invalid subnet: 10.96.0.0/30 is too small, it must be at least /4 IPs']);
    expect(issues(doc('[10.244.0.0/16, 10.245.0.0/16]', '[10.96.0.0/12, fd00::/112]'))).toEqual(['c.yaml:4:13: error: KubeNetworkConfig: podSubnets: at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters']);
    expect(issues(doc('[10.244.0.0/16, fd00:1::/64]', '[10.96.0.0/12]'))).toEqual(['c.yaml:1:1: error: KubeNetworkConfig: the number of pod subnets must match the number of service subnets']);
    expect(issues(doc('[]', '[]'))).toEqual([
      'c.yaml:4:13: error: KubeNetworkConfig: podSubnets: at least one subnets must be specified',
      'c.yaml:5:17: error: KubeNetworkConfig: serviceSubnets: at least one subnets must be specified',
    ]);
    expect(issues(doc('[10.244.0.0]', '[10.96.0.0/12]'))[0]).toMatch(/^c\.yaml:4:\d+: error: KubeNetworkConfig: podSubnets\[0\]: invalid pod subnet "10\.244\.0\.0"/);
  });

  it('conflicts with v1alpha1 cluster.network', () => {
    const v1 = 'version: v1alpha1\ncluster:\n  network:\n    podSubnets: [10.244.0.0/16]\n---\n';
    expect(issues(v1 + doc('[10.244.0.0/16]', '[10.96.0.0/12]'))).toEqual([
      "c.yaml:6:1: error: KubeNetworkConfig: cluster network config in v1alpha1 config (.cluster.network) can't be used with KubeNetworkConfig document, please remove it to avoid conflicts",
    ]);
  });
});

describe('kubernetesNetwork()', () => {
  it('takes the document first', () => {
    expect(network('version: v1alpha1\ncluster:\n  id: x\n---\n' + doc('[fd00:10:244::/56]', '[fd00:10:96::/112]'))).toEqual({ podSubnets: ['fd00:10:244::/56'], serviceSubnets: ['fd00:10:96::/112'], source: 'KubeNetworkConfig/' });
  });

  it('else the v1alpha1 cluster section, with Talos’ defaults for what it leaves out', () => {
    expect(network('cluster:\n  network:\n    podSubnets: [10.1.0.0/16]\n')).toEqual({ podSubnets: ['10.1.0.0/16'], serviceSubnets: ['10.96.0.0/12'], source: 'v1alpha1' });
    expect(network('cluster:\n  id: x\n')).toEqual({ podSubnets: ['10.244.0.0/16'], serviceSubnets: ['10.96.0.0/12'], source: 'v1alpha1' });
  });

  it('else none: a host outside any cluster', () => {
    expect(network('machine:\n  network:\n    hostname: a\n')).toBeUndefined();
  });
});
