// What netcfg trusts over TLS (the discovery client, DoT and DoH upstreams):
// Node's bundled roots, the system CA bundle (so roots an administrator
// installed count, as they do for Talos), and PEM that machine.files appends to
// the CA bundle path (the corporate MITM proxy recipe): read as extra roots,
// never written to a system file.
import fs from 'node:fs';
import tls from 'node:tls';

/** Where distributions keep the system bundle (Debian/Ubuntu, Fedora/RHEL, Alpine/Arch, Talos). */
export const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/certs/ca-certificates'];

function systemBundle(): string {
  for (const file of SYSTEM_BUNDLES) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      // next
    }
  }
  return '';
}

/** Root certificates in PEM: Node's, the system's, then the extra ones. */
export function trustRoots(extraPem: string): string[] {
  return [...tls.rootCertificates, systemBundle(), extraPem].filter((p) => p.includes('-----BEGIN CERTIFICATE-----'));
}
