// machine.files YAML (under `machine:`) that appends a PEM certificate to the CA bundle path: how a Talos config
// makes a private CA trusted, and how netcfg's TLS clients (discovery, DoT, DoH) learn extra roots.
export function caBundleFiles(pem: string): string {
  const content = pem
    .trimEnd()
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');
  return `  files:
    - content: |
${content}
      permissions: 0644
      path: /etc/ssl/certs/ca-certificates
      op: append
`;
}
