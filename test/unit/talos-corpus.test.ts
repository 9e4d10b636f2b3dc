// The real Talos configs (../shared/talos-configs, written by the Talos
// project; see its SOURCES.txt): `netcfg validate` accepts every file Talos
// accepts (exit 0) and rejects every bad-* file Talos rejects (exit 2), with a
// message that names the problem Talos names.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { describeWithShared, sharedAvailable, sharedPath } from '../helpers/shared.js';

/** For each file Talos rejects: what netcfg must say (the problem Talos names in SOURCES.txt). */
const REJECTED: Readonly<Record<string, readonly string[]>> = {
  'bad-doc-v1.11-device-selector-L12.yaml': ['machine.network.interfaces[0].address: unknown key "address"'],
  'bad-doc-v1.11-install-kubevirt-L42.yaml': ['machine.interfaces: unknown key "interfaces"'],
  'bad-doc-v1.11-refconfig-L1159.yaml': ['machine.network.interfaces[0].deviceSelector: expected a mapping, got a list'],
  'bad-doc-v1.11-refconfig-L1190.yaml': ['a device needs "interface" or "deviceSelector"'],
  'bad-doc-v1.11-refconfig-L1221.yaml': ['a device needs "interface" or "deviceSelector"'],
  'bad-doc-v1.11-refconfig-L1288.yaml': ['bond.deviceSelectors: expected a list of device selectors, got a mapping'],
  'bad-doc-v1.11-refconfig-L1597.yaml': ['wireguard.privateKey: invalid private key', 'peers[0].publicKey: invalid public key', 'peers[0].endpoint: invalid endpoint "192.168.1.3"'],
  'bad-doc-v1.11-refconfig-L1667.yaml': ['a device needs "interface" or "deviceSelector"'],
  'bad-doc-v1.11-refconfig-L1755.yaml': ['machine.network.kubespan.enabled: KubeSpan requires cluster discovery to be enabled'],
  'bad-patch115-advanced-networking-L13.yaml': ['HostnameConfig: static hostname is already set in v1alpha1 config', 'ResolverConfig: .machine.network.nameservers is already set in v1alpha1 config'],
  'bad-patch115-patching-L26.yaml': ['HostnameConfig: static hostname is already set in v1alpha1 config'],
  'bad-real-configpatcher-apply-expected.yaml': ['machine.type: invalid machine type ""'],
  'bad-real-decoder-delete_expected.yaml': ['machine.network: expected a mapping, got a list'],
  'bad-real-decoder-double-v1alpha1.yaml': ['duplicate document v1alpha1 (the machine config) is not allowed'],
  'bad-real-hcloud-userdata-plain.yaml': ['cluster.discovery: the discovery service registry needs cluster.id', 'cluster.discovery: the discovery service registry needs cluster.secret'],
};

async function validate(file: string): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(['validate', file], (s) => lines.push(s) > 0, (s) => lines.push(s) > 0);
  return { code, out: lines.join('\n') };
}

describeWithShared('the real Talos configs', () => {
  const files = sharedAvailable() ? fs.readdirSync(sharedPath('talos-configs')).filter((f) => f.endsWith('.yaml')).sort() : [];

  it('has the whole corpus, and an expectation for each file Talos rejects', () => {
    expect(files.length).toBeGreaterThanOrEqual(145);
    expect(files.filter((f) => f.startsWith('bad-'))).toEqual(Object.keys(REJECTED).sort());
  });

  it('accepts every config Talos accepts', async () => {
    for (const f of files.filter((n) => !n.startsWith('bad-'))) {
      const { code, out } = await validate(sharedPath('talos-configs', f));
      expect.soft(code, `${f}\n${out}`).toBe(0);
      expect.soft(out, f).toMatch(/: valid \(/);
    }
  });

  it('rejects every config Talos rejects, naming the problem', async () => {
    for (const f of files.filter((n) => n.startsWith('bad-'))) {
      const { code, out } = await validate(sharedPath('talos-configs', f));
      expect.soft(code, `${f}\n${out}`).toBe(2);
      for (const message of REJECTED[f] ?? []) expect.soft(out, f).toContain(message);
      expect.soft(out, f).toContain('nothing was changed');
    }
  });
});
