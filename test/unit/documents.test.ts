// A config file as a stream of documents: identification (talos-multidoc.md
// §1.1), duplicates (§1.3), and every issue located in its own document.
import fs from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { KNOWN_KINDS } from '../../src/config/documents/kinds.js';
import { ConfigInvalidError, formatIssue } from '../../src/config/issues.js';
import { describeWithShared, sharedAvailable, sharedPath } from '../helpers/shared.js';
import { configIssues } from '../helpers/config-issues.js';

const issues = configIssues;

describe('kinds validated but not applied', () => {
  it('are said once, at the first document; the firewall, EthernetConfig and the probes are applied and say nothing', () => {
    const bgp = (name: string, asn: number) => `apiVersion: v1alpha1\nkind: BGPInstanceConfig\nname: ${name}\nlocalASN: ${asn}\nneighbors:\n  - address: 10.5.0.1\n    peerASN: 65000\n`;
    expect(issues(`${bgp('a', 65001)}---\n${bgp('b', 65002)}`)).toEqual(['c.yaml:1:1: warning: BGPInstanceConfig/a: BGP instances are validated but not run yet by this netcfg version (this document and 1 more)']);
    const applied = [
      'apiVersion: v1alpha1\nkind: NetworkDefaultActionConfig\ningress: block\n',
      'apiVersion: v1alpha1\nkind: NetworkRuleConfig\nname: ssh\nportSelector:\n  ports: [22]\n  protocol: tcp\ningress:\n  - subnet: 192.0.2.0/24\n',
      'apiVersion: v1alpha1\nkind: EthernetConfig\nname: eth0\nchannels:\n  combined: 2\n',
      'apiVersion: v1alpha1\nkind: TCPProbeConfig\nname: gw\nendpoint: 192.0.2.1:22\n',
      'apiVersion: v1alpha1\nkind: HTTPProbeConfig\nname: web\nurl: http://192.0.2.1/\n',
    ];
    expect(issues(applied.join('---\n'))).toEqual([]);
  });
});

describe('the document stream', () => {
  it('a file of documents alone is a config (no v1alpha1 document needed)', () => {
    const loaded = parseConfig('c.yaml', '---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: node-1\n---\n# nothing here\n---\napiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\n');
    expect(loaded.hasMachineConfig).toBe(false);
    expect(loaded.documents.map((d) => [d.id, d.index, d.line])).toEqual([
      ['HostnameConfig/', 0, 2],
      ['LinkConfig/eth0', 1, 8],
    ]);
  });

  it('identifies documents as Talos does, each error at its own document', () => {
    expect(
      issues(`version: v1alpha1
machine:
  network:
    hostname: node-1
---
apiVersion: v1alpha1
kind: LinkConfg
name: eth1
---
kind: LinkConfig
name: eth2
---
apiVersion: v1alpha2
kind: LinkConfig
name: eth3
---
name: eth4
mtu: 1500
---
- a list
---
apiVersion: v1alpha1
kind: VolumeConfig
name: EPHEMERAL
`),
    ).toEqual([
      'c.yaml: info: documents netcfg does not use (ignored): VolumeConfig/EPHEMERAL',
      'c.yaml:7:7: error: kind: "LinkConfg" "v1alpha1": not registered; did you mean "LinkConfig"?',
      'c.yaml:10:1: error: LinkConfig/eth2: missing apiVersion: LinkConfig takes apiVersion: v1alpha1',
      'c.yaml:13:13: error: apiVersion: "LinkConfig" "v1alpha2": not registered; LinkConfig takes apiVersion: v1alpha1',
      'c.yaml:17:1: error: (document): missing kind: a document needs "kind" and "apiVersion" (or is the v1alpha1 machine config, with "machine" or "cluster")',
      'c.yaml:20:1: error: (document): expected a YAML document at line 20: a mapping of keys, got a list',
    ]);
  });

  it('rejects duplicate documents and a second machine config', () => {
    expect(
      issues(`apiVersion: v1alpha1
kind: LinkConfig
name: eth0
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
---
apiVersion: v1alpha1
kind: LinkConfig
name: eth0
---
apiVersion: v1alpha1
kind: HostnameConfig
hostname: a
---
machine: {}
---
cluster: {}
`),
    ).toEqual([
      'c.yaml:9:1: error: LinkConfig/eth0: duplicate document v1alpha1/LinkConfig/eth0 is not allowed (line 9): the first one starts at line 1',
      'c.yaml:13:1: error: HostnameConfig: duplicate document v1alpha1/HostnameConfig/ is not allowed (line 13): the first one starts at line 5',
      'c.yaml:19:1: error: v1alpha1: duplicate document v1alpha1 (the machine config) is not allowed (line 19): the first one starts at line 17',
    ]);
  });

  it('reports a syntax error in a later document at its file position', () => {
    expect(issues('apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n---\napiVersion: v1alpha1\nkind: LinkConfig\nname: [eth0\n')).toEqual([
      expect.stringMatching(/^c\.yaml:8:1: error: \(document\): YAML syntax error: /),
    ]);
  });

  it('an empty stream is "config not found"', () => {
    expect(issues('# nothing\n---\n')).toEqual(['c.yaml:1:1: error: (document): config not found: the file holds no YAML document']);
  });
});

describeWithShared('the examples of the multi-document spec', () => {
  it('every example document validates (the DoT resolver only with host DNS, KubeSpan only with discovery, discovery only with an identity)', () => {
    if (!sharedAvailable()) return;
    const text = fs.readFileSync(sharedPath('specs', 'talos-multidoc.md'), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(25);
    for (const block of blocks) {
      // alone, two examples fail the whole-config checks, as in Talos
      const needsHostDNS = /protocol: DoT/.test(block) && !/hostDNS/.test(block);
      const needsDiscovery = /kind: KubeSpanConfig\nenabled: true/.test(block) && !/DiscoveryServiceConfig/.test(block);
      const needsIdentity = /kind: DiscoveryServiceConfig/.test(block) && !/DiscoveryIdentityConfig|cluster:/.test(block);
      const got = issues(block).filter((l) => l.includes(': error: '));
      if (needsIdentity) expect(got, block).toEqual([expect.stringContaining('cluster ID (.cluster.id or DiscoveryIdentityConfig) should be set'), expect.stringContaining('cluster secret (.cluster.secret or DiscoveryIdentityConfig) should be set')]);
      else if (needsHostDNS) expect(got, block).toEqual([expect.stringContaining('hostDNS must be enabled when using non-default DNS protocols')]);
      else if (needsDiscovery) expect(got, block).toEqual([expect.stringContaining('KubeSpan requires cluster discovery to be enabled')]);
      else expect(got, block).toEqual([]);
    }
  });

  it('gives the validation outcomes the spec lists (§5.2)', () => {
    const doc = (kind: string, body: string) => `apiVersion: v1alpha1\nkind: ${kind}\n${body}`;
    const errors = (yaml: string) => issues(yaml).filter((l) => l.includes(': error: '));
    expect(errors(`${doc('LinkConfig', 'name: eth0\n')}---\n${doc('LinkConfig', 'name: eth0\n')}`)).toEqual([expect.stringContaining('duplicate document v1alpha1/LinkConfig/eth0 is not allowed')]);
    expect(errors(`${doc('LinkConfig', 'name: eth0\n')}---\n${doc('BondConfig', 'name: eth0\nlinks: [a]\nbondMode: active-backup\n')}`)).toEqual([expect.stringContaining('conflicting documents: LinkConfig/eth0 and BondConfig/eth0')]);
    expect(errors(`${doc('VethConfig', 'name: veth-host\npeer:\n  name: veth-router\n')}---\n${doc('LinkConfig', 'name: veth-router\n')}`)).toEqual([
      expect.stringContaining('conflicting link configurations: VethConfig/veth-host and LinkConfig/veth-router both configure "veth-router"'),
    ]);
    expect(errors(doc('LinkConfig', 'name: eth0\nroutes:\n  - destination: 0.0.0.0/0\n    gateway: 10.0.0.1\n'))).toEqual([expect.stringContaining('LinkConfig/eth0: routes[0].destination: route 0 destination must be a valid IP prefix')]);
    expect(errors(doc('LinkConfig', 'name: eth0\naddresses:\n  - address: 10.0.0.5\n'))).toEqual([expect.stringContaining('invalid address "10.0.0.5"')]);
    expect(errors('apiVersion: v1alpha2\nkind: LinkConfig\nname: eth0\n')).toEqual([expect.stringContaining('"LinkConfig" "v1alpha2": not registered')]);
    expect(errors(doc('LinkConfig', 'name: eth0\nmtuu: 9000\n'))).toEqual([expect.stringContaining('unknown key "mtuu"; did you mean "mtu"?')]);
    expect(errors(`machine:\n  features:\n    stableHostname: true\n---\n${doc('HostnameConfig', 'hostname: a\n')}`)).toEqual([expect.stringContaining('stable hostname is already set in v1alpha1 config')]);
    expect(errors(doc('KubeSpanConfig', 'enabled: true\n'))).toEqual([expect.stringContaining('KubeSpan requires cluster discovery to be enabled')]);
    expect(errors(doc('VLANConfig', 'name: v\nvlanID: 0\nparent: eth0\n'))).toEqual([expect.stringContaining('vlanID must be specified and between 1 and 4094')]);
    expect(errors(doc('RoutingRuleConfig', 'name: "32500"\ntable: "100"\n'))).toEqual([expect.stringContaining('priority must be between 1 and 32765 (excluding reserved priorities [0 32500 32766 32767])')]);
  });

  it('counts a DiscoveryServiceConfig as discovery for KubeSpan (patch115-refconfig-L1755)', () => {
    const ok = `machine:\n  network:\n    kubespan:\n      enabled: true\n---\napiVersion: v1alpha1\nkind: DiscoveryServiceConfig\nname: default\nendpoint: https://discovery.talos.dev/\n---\napiVersion: v1alpha1\nkind: DiscoveryIdentityConfig\nclusterID: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=\nclusterSecret: vlf2HU1NEZL3Ezi9Tk+RZBLJUbjnsHnTzs3wK9JNk6Q=\n`;
    expect(issues(ok).filter((l) => l.includes(': error: '))).toEqual([]);
  });
});

describe('documents of random shape', () => {
  it('every kind: random fields and values load or fail with located issues, never anything else', () => {
    const keys = ['name', 'up', 'mtu', 'addresses', 'routes', 'links', 'bondMode', 'peer', 'vlanID', 'parent', 'table', 'privateKey', 'peers', 'selector', 'auto', 'hostname', 'nameservers', 'hostDNS', 'ntp', 'ptp', 'ports', 'portSelector', 'ingress', 'endpoint', 'neighbors', 'importRoutes', 'filters', 'clusterSecret', 'apiUrl', 'hostnames', 'duidRaw', 'clientIdentifier', 'link', 'metric'];
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...keys), tie('v'), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_KINDS), fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }), (kind, fields) => {
        const text = stringify({ apiVersion: 'v1alpha1', kind, ...fields });
        try {
          parseConfig('r.yaml', text);
        } catch (err) {
          if (!(err instanceof ConfigInvalidError)) throw err;
          for (const i of err.issues) if (i.severity === 'error') expect(i.line, formatIssue('r.yaml', i)).toBeGreaterThan(0);
        }
      }),
      { numRuns: 600 },
    );
  });
});
