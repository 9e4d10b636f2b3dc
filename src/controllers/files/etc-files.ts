// EtcFileController: writes resolv.conf and hosts under the etc directory, but
// only when something above the defaults configures them (nameservers, search
// domains, a hostname, extra hosts, DHCP…): on a general host netcfg must not
// replace the DNS setup nobody asked it to manage. It records each file's
// previous content and restores it when the file is no longer managed (unless
// someone changed the file since).
import path from 'node:path';
import { NS } from '../../resources/resource.js';
import { isSpecialIP, parsePrefix } from '../../net/ip.js';
import {
  T,
  type AddressSpec,
  type OperatorSpec,
  type AppliedFile,
  type EtcFileStatus,
  type HostnameSpec,
  type HostnameStatus,
  type ResolverSpec,
  type ResolverStatus,
  type HostDNSStatus,
} from '../../resources/network/types.js';
import { HOST_DNS_ADDRESS, HOST_DNS_STATUS_ID } from '../status/host-dns-id.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { MachineConfigInput } from '../config/machine-config.js';
import { DocumentsInput, configContainer } from '../config/documents.js';
import { lineDiff, renderHosts, renderResolvConf } from './render.js';
import { digest, ensureDir, firstMissingDir, readOrNull, removeEmptyDir, removeFile, writeFile } from './write.js';
import { compareText } from '../../util/compare.js';

/** The first global, non-loopback, non-link-local address netcfg configures (sorted by link, then address). */
export function nodeAddress(specs: ReadonlyArray<AddressSpec>): string | undefined {
  return specs
    .filter((s) => s.scope === 'global')
    .filter((s) => {
      const p = parsePrefix(s.address);
      return p !== undefined && !isSpecialIP(p.bytes, p.family);
    })
    .map((s) => ({ link: s.linkName, ip: s.address.slice(0, s.address.lastIndexOf('/')) }))
    .sort((a, b) => compareText(a.link, b.link) || compareText(a.ip, b.ip))[0]?.ip;
}

/**
 * The node's own entry in /etc/hosts (and host DNS): the configured names (also where netcfg may not set them:
 * another namespace's hosts file still names it so), else the kernel's, and its first configured address; a shared
 * VIP is never the node's own address (the entry would change on every failover).
 */
export function nodeNames(ctx: ReconcileContext): { hostname: HostnameStatus | undefined; address: string | undefined } {
  const spec = ctx.get<HostnameSpec>(NS.network, T.HostnameSpec, 'hostname');
  const hostname = spec && spec.metadata.phase === 'running' ? { hostname: spec.spec.hostname, domainname: spec.spec.domainname } : ctx.get<HostnameStatus>(NS.network, T.HostnameStatus, 'hostname')?.spec;
  const vips = new Set(ctx.list<OperatorSpec>(NS.network, T.OperatorSpec).flatMap((r) => (r.spec.vip ? [r.spec.vip.ip] : [])));
  const addresses = ctx
    .list<AddressSpec>(NS.network, T.AddressSpec)
    .filter((r) => r.metadata.phase === 'running' && !vips.has(r.spec.address.slice(0, r.spec.address.lastIndexOf('/'))))
    .map((r) => r.spec);
  return { hostname, address: nodeAddress(addresses) };
}

export class EtcFileController implements Controller {
  readonly name = 'EtcFileController';
  readonly inputs = [
    MachineConfigInput,
    DocumentsInput,
    { namespace: NS.network, type: T.ResolverStatus },
    { namespace: NS.network, type: T.ResolverSpec },
    { namespace: NS.network, type: T.HostDNSStatus },
    { namespace: NS.network, type: T.HostnameStatus },
    { namespace: NS.network, type: T.HostnameSpec },
    { namespace: NS.network, type: T.AddressSpec },
    { namespace: NS.network, type: T.OperatorSpec },
  ];
  readonly outputs = [
    { namespace: NS.state, type: T.AppliedFile, kind: 'exclusive' as const },
    { namespace: NS.network, type: T.EtcFileStatus, kind: 'exclusive' as const },
  ];

  constructor(
    private readonly etcDir: string,
    /** Rewrite existing files in place (per-namespace /etc/netns/NAME files that `ip netns exec` bind-mounts). */
    private readonly options: { inPlace: boolean } = { inPlace: false },
  ) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const wanted = new Map<string, string>();
    const resolver = ctx.get<ResolverSpec>(NS.network, T.ResolverSpec, 'resolvers');
    const resolverStatus = ctx.get<ResolverStatus>(NS.network, T.ResolverStatus, 'resolvers')?.spec;
    // host DNS (the daemon's) listening on 127.0.0.53: the host asks it, and it asks the resolvers (Talos §7.3)
    const hostDNS = ctx.get<HostDNSStatus>(NS.network, T.HostDNSStatus, HOST_DNS_STATUS_ID)?.spec;
    if (hostDNS?.listening.includes(HOST_DNS_ADDRESS)) {
      wanted.set('resolv.conf', renderResolvConf({ dnsServers: [HOST_DNS_ADDRESS], searchDomains: resolverStatus?.searchDomains ?? [] }));
    } else if (resolver && resolver.metadata.phase === 'running' && resolver.spec.layer !== 'default' && resolverStatus) {
      wanted.set('resolv.conf', renderResolvConf(resolverStatus));
    }
    // machine.network.extraHostEntries first, then every StaticHostConfig
    const extra = configContainer(ctx)
      .staticHosts()
      .map((e) => ({ ip: e.ip, aliases: e.aliases }));
    const hostnameSpec = ctx.get<HostnameSpec>(NS.network, T.HostnameSpec, 'hostname');
    if ((hostnameSpec && hostnameSpec.metadata.phase === 'running') || extra.length > 0) {
      const node = nodeNames(ctx);
      wanted.set('hosts', renderHosts(node.hostname, node.address, extra));
    }

    for (const name of ['resolv.conf', 'hosts']) {
      const file = path.join(this.etcDir, name);
      const record = ctx.get<AppliedFile>(NS.state, T.AppliedFile, name)?.spec;
      const current = readOrNull(file);
      const content = wanted.get(name);
      ctx.put(NS.network, T.EtcFileStatus, name, { path: file, managed: content !== undefined } satisfies EtcFileStatus);
      if (content !== undefined) {
        if (current === content) {
          if (!record && !ctx.dryRun) ctx.put(NS.state, T.AppliedFile, name, { path: file, existed: true, original: current, written: digest(content) });
          continue;
        }
        const change = { action: current === null ? ('add' as const) : ('change' as const), kind: 'file' as const, id: file, detail: lineDiff(current, content) };
        if (ctx.dryRun) {
          ctx.changes.record(change);
          continue;
        }
        // record first: netcfg must know what to put back even if it stops right after writing
        // a directory netcfg creates (/etc/netns/NAME, mode 0755) goes again with its last file
        // (a file written while another one's record says netcfg made the directory carries that on)
        const missing = firstMissingDir(this.etcDir) ?? ctx.list<AppliedFile>(NS.state, T.AppliedFile).find((r) => (r.spec.createdDir ?? '') !== '')?.spec.createdDir;
        const next: AppliedFile = record
          ? { ...record, written: digest(content), ...(missing !== undefined ? { createdDir: missing } : {}) }
          : { path: file, existed: current !== null, original: current ?? '', written: digest(content), ...(missing !== undefined ? { createdDir: missing } : {}) };
        ctx.put(NS.state, T.AppliedFile, name, next);
        await ctx.flushState();
        ensureDir(this.etcDir);
        writeFile(file, content, this.options);
        ctx.changes.record(change);
      } else if (record) {
        // no longer managed: put back what was there, unless someone changed the file since
        const original = record.existed ? record.original : null;
        if (current !== null && digest(current) === record.written && current !== original) {
          const change = { action: 'remove' as const, kind: 'file' as const, id: file, detail: original === null ? 'delete (it did not exist before netcfg)' : `restore: ${lineDiff(current, original)}` };
          if (!ctx.dryRun) {
            if (original === null) removeFile(file);
            else writeFile(file, original, this.options);
          }
          ctx.changes.record(change);
        } else if (current !== null && digest(current) !== record.written) {
          ctx.log.warn({ file }, 'not restoring a file changed since netcfg wrote it');
        }
        if (!ctx.dryRun) {
          ctx.destroy(NS.state, T.AppliedFile, name);
          const dir = record.createdDir ?? '';
          if (dir !== '' && !ctx.list<AppliedFile>(NS.state, T.AppliedFile).some((r) => (r.spec.createdDir ?? '') === dir)) {
            removeEmptyDir(this.etcDir);
            if (path.resolve(dir) !== path.resolve(this.etcDir)) removeEmptyDir(dir);
          }
        }
      }
    }
  }
}
