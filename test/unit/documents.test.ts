// A config file as a stream of documents: identification (talos-multidoc.md
// §1.1), duplicates (§1.3), and every issue located in its own document.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigInvalidError, formatIssue } from '../../src/config/issues.js';

function issues(yaml: string): string[] {
  try {
    const { notes } = parseConfig('c.yaml', yaml);
    return notes.map((n) => formatIssue('c.yaml', n));
  } catch (err) {
    if (err instanceof ConfigInvalidError) return err.issues.map((i) => formatIssue('c.yaml', i));
    throw err;
  }
}

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
