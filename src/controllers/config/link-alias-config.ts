// LinkAliasConfigController (talos-multidoc.md §3.2): evaluates each
// LinkAliasConfig's CEL selector against the physical links (Ethernet, no
// kind), in the order of their permanent (else current) MAC, documents in the
// order of their names; a fixed alias needs exactly one match, a `%d` pattern
// numbers its matches from 0; a link keeps the first alias it gets. Output:
// network/LinkAliasSpec per link. A selector that fails at run time fails the
// whole pass (retried), as in Talos.
import { compileLinkSelector, type CompiledSelector, type SelectorLink } from '../../config/cel/link-selector.js';
import { aliasPattern } from '../../config/documents/values.js';
import { OPER_STATES } from '../../netlink/rtnetlink/constants.js';
import { NS } from '../../resources/resource.js';
import { duplexNumber, LinkType, linkFlagsNumber, portNumber } from '../../resources/network/enums.js';
import { T, type LinkAliasSpec, type LinkStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { DocumentsInput, documentsOf } from './documents.js';

/** What a selector sees of a LinkStatus: Talos' link fields, port and duplex as ethtool's numbers (none known: PORT_OTHER, DUPLEX_UNKNOWN, speed 0). */
export function selectorLink(s: LinkStatus): SelectorLink {
  return {
    index: s.index,
    type: LinkType.number(s.type) ?? 0,
    linkIndex: s.linkIndex,
    flags: linkFlagsNumber(s.flags),
    hardwareAddr: s.hardwareAddr,
    broadcastAddr: s.broadcastAddr,
    mtu: s.mtu,
    queueDisc: s.queueDisc,
    masterIndex: s.masterIndex,
    operationalState: Math.max(0, OPER_STATES.indexOf(s.operationalState)),
    kind: s.kind,
    slaveKind: s.slaveKind,
    busPath: s.busPath,
    pciID: s.pciID,
    driver: s.driver,
    driverVersion: s.driverVersion,
    firmwareVersion: s.firmwareVersion,
    productID: s.productID,
    vendorID: s.vendorID,
    product: s.product,
    vendor: s.vendor,
    linkState: s.linkState,
    speedMbit: s.speedMbit ?? 0,
    port: portNumber(s.port),
    duplex: duplexNumber(s.duplex),
    permanentAddr: s.permanentAddr,
    alias: s.alias,
    altNames: s.altNames,
  };
}

const macKey = (s: LinkStatus) => (s.permanentAddr || s.hardwareAddr).toLowerCase();

export class LinkAliasConfigController implements Controller {
  readonly name = 'LinkAliasConfigController';
  readonly inputs = [DocumentsInput, { namespace: NS.network, type: T.LinkStatus }];
  readonly outputs = [{ namespace: NS.network, type: T.LinkAliasSpec, kind: 'exclusive' as const }];
  private readonly compiled = new Map<string, CompiledSelector>();

  private selector(expression: string): CompiledSelector {
    let run = this.compiled.get(expression);
    if (!run) {
      const c = compileLinkSelector(expression);
      if (!c.ok) throw new Error(`link selector is invalid: ${c.error}`); // validation rejects it first
      run = c.run;
      this.compiled.set(expression, run);
    }
    return run;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, LinkAliasSpec>();
    const docs = documentsOf(ctx, 'LinkAliasConfig').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (docs.length > 0) {
      const candidates = ctx
        .list<LinkStatus>(NS.network, T.LinkStatus)
        .filter((r) => r.spec.type === 'ether' && r.spec.kind === '')
        .sort((a, b) => (macKey(a.spec) < macKey(b.spec) ? -1 : macKey(a.spec) > macKey(b.spec) ? 1 : 0));
      for (const d of docs) {
        if (d.kind !== 'LinkAliasConfig') continue;
        const run = this.selector(d.spec.selector?.match ?? '');
        const matched = candidates.filter((r) => run(selectorLink(r.spec)));
        const pattern = aliasPattern(d.name);
        if (pattern === undefined && matched.length > 1) {
          ctx.log.warn({ alias: d.name, links: matched.map((r) => r.metadata.id) }, 'link selector matched multiple links, skipping');
          ctx.changes.wait(`alias/${d.name}`, `LinkAliasConfig ${d.name}: the selector matches ${matched.length} links (${matched.map((r) => r.metadata.id).join(', ')}); it must match one`);
          continue;
        }
        const free = matched.filter((r) => {
          if (!desired.has(r.metadata.id)) return true;
          ctx.log.warn({ alias: d.name, link: r.metadata.id }, 'link already has an alias, skipping');
          return false;
        });
        if (pattern === undefined) {
          if (free[0]) desired.set(free[0].metadata.id, { alias: d.name, source: d.id });
        } else {
          free.forEach((r, i) => desired.set(r.metadata.id, { alias: `${pattern}${i}`, source: d.id }));
        }
        if (matched.length === 0) ctx.changes.wait(`alias/${d.name}`, `LinkAliasConfig ${d.name}: no physical link matches the selector yet`);
      }
    }
    syncOutputs(ctx, this.name, NS.network, T.LinkAliasSpec, desired);
  }
}
