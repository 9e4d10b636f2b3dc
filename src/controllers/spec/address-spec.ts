// AddressSpecController: makes kernel addresses match the merged AddressSpecs.
// It adds missing addresses, replaces one whose scope, flags or priority differ,
// and on removal deletes only addresses it added (restoring one it replaced).
// It sees the kernel through the link and address statuses.
import { parsePrefix } from '../../net/ip.js';
import { addAddressRequest, deleteAddressRequest } from '../../netlink/rtnetlink/address.js';
import { IFA_F_MANAGED_MASK, IFA_F_PERMANENT } from '../../netlink/rtnetlink/constants.js';
import type { Request } from '../../netlink/connection.js';
import { NS } from '../../resources/resource.js';
import { Scope, addressFlagsText, parseAddressFlags } from '../../resources/network/enums.js';
import { T, type AddressRecord, type AddressSpec, type AddressStatus, type AppliedAddress, type LinkStatus } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { StatusLinks } from '../link-resolver.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, hold, keep, forget, partition } from './applied.js';
import type { Announcer } from './announce.js';

// The kernel marks every address without a lifetime permanent, so that flag never decides a replace.
const COMPARED_FLAGS = IFA_F_MANAGED_MASK & ~IFA_F_PERMANENT;

function key(index: number, address: string): string {
  return `${index}/${address}`;
}

/** A kernel address as netcfg records it (the flags it manages only). */
function record(a: AddressStatus, linkName: string): AddressRecord {
  return {
    address: a.address,
    linkName,
    family: a.family,
    scope: a.scope,
    flags: addressFlagsText((parseAddressFlags(a.flags) ?? 0) & IFA_F_MANAGED_MASK),
    priority: a.priority,
  };
}

function addRequest(r: AddressRecord, index: number, okIfExists = false): Request {
  const p = parsePrefix(r.address)!;
  const req = addAddressRequest({
    family: r.family,
    address: r.address.slice(0, r.address.lastIndexOf('/')),
    prefixLen: p.bits,
    index,
    linkName: r.linkName,
    scope: Scope.number(r.scope) ?? 0,
    flags: (parseAddressFlags(r.flags) ?? IFA_F_PERMANENT) & IFA_F_MANAGED_MASK,
    priority: r.priority,
  });
  return okIfExists ? { ...req, okErrors: ['EEXIST'] } : req;
}

function deleteRequest(r: AddressRecord, index: number): Request {
  const p = parsePrefix(r.address)!;
  return deleteAddressRequest({ family: r.family, address: r.address.slice(0, r.address.lastIndexOf('/')), prefixLen: p.bits, index, linkName: r.linkName });
}

export class AddressSpecController implements Controller {
  readonly name = 'AddressSpecController';
  readonly bootPath = true;
  // AppliedAlias: a link got the alias config names it by
  readonly inputs = [
    { namespace: NS.network, type: T.AddressSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.AddressStatus },
    { namespace: NS.state, type: T.AppliedAlias },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedAddress, kind: 'exclusive' as const }];
  /** Addresses go on links as they are after the link controller's pass, seen through fresh statuses. */
  readonly after = ['LinkSpecController', 'LinkStatusController', 'AddressStatusController'];

  /** `announcer`: gratuitous ARP / unsolicited NA for added addresses with announceWithARP (daemon only). */
  constructor(
    private readonly kernel: Kernel,
    private readonly announcer?: Announcer,
  ) {}

  stop(): void {
    this.announcer?.close();
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record: recordOf } = partition<AddressSpec, AppliedAddress>(ctx, T.AddressSpec, T.AppliedAddress);
    const links = new StatusLinks(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => ({ ...r.spec, name: r.metadata.id })));
    const kernel = new Map<string, AddressStatus>();
    for (const { spec: a } of ctx.list<AddressStatus>(NS.network, T.AddressStatus)) kernel.set(key(a.linkIndex, a.address), a);
    const ops: Operation[] = [];
    const errors: Error[] = [];
    const intents: Array<() => void> = [];

    for (const { id, record: rec, tearingDown } of undo) {
      const link = rec ? links.resolve(rec.linkName) : undefined;
      const requests: Request[] = [];
      if (rec && link) {
        if (rec.created && kernel.has(key(link.index, rec.address))) requests.push(deleteRequest(rec, link.index));
        if (rec.replaced) requests.push(addRequest(rec.replaced, link.index, true));
      }
      if (requests.length === 0) {
        finishUndo(ctx, T.AddressSpec, T.AppliedAddress, id, tearingDown);
        continue;
      }
      ops.push({
        requests,
        ok: () => {
          ctx.changes.record({ action: 'remove', kind: 'address', id, detail: rec?.replaced ? `restore ${rec.replaced.address} as it was` : undefined });
          if (rec && !ctx.dryRun) this.announcer?.cancel(rec.linkName, rec.address);
          finishUndo(ctx, T.AddressSpec, T.AppliedAddress, id, tearingDown);
        },
        failed: (err) => errors.push(err),
      });
    }

    for (const r of running) {
      const spec = r.spec;
      const id = r.metadata.id;
      hold(ctx, this.name, T.AddressSpec, r);
      const link = links.resolve(spec.linkName);
      if (!link) {
        ctx.changes.wait(`address/${id}`, `address ${spec.address}: link ${spec.linkName} is not present`);
        ctx.requeueAfter(5000);
        continue;
      }
      const want: AddressRecord = {
        address: spec.address,
        linkName: spec.linkName,
        family: spec.family,
        scope: spec.scope,
        flags: addressFlagsText((parseAddressFlags(spec.flags) ?? IFA_F_PERMANENT) & IFA_F_MANAGED_MASK),
        priority: spec.priority,
      };
      const previous = recordOf(id);
      const current = kernel.get(key(link.index, spec.address));
      if (!current) {
        const next: AppliedAddress = { ...want, created: true, ...(previous?.replaced ? { replaced: previous.replaced } : {}) };
        intents.push(() => keep(ctx, T.AppliedAddress, id, next));
        ops.push({
          requests: [addRequest(want, link.index)],
          ok: () => {
            ctx.changes.record({ action: 'add', kind: 'address', id });
            if (spec.announceWithARP && !ctx.dryRun) this.announcer?.announce({ index: link.index, name: spec.linkName, hardwareAddr: link.hardwareAddr ?? '' }, spec.address);
          },
          failed: (err) => {
            errors.push(err);
            if (previous) keep(ctx, T.AppliedAddress, id, previous);
            else forget(ctx, T.AppliedAddress, id);
          },
        });
        continue;
      }
      const have = record(current, spec.linkName);
      const differs =
        want.scope !== current.scope ||
        ((parseAddressFlags(want.flags) ?? 0) & COMPARED_FLAGS) !== ((parseAddressFlags(current.flags) ?? 0) & COMPARED_FLAGS) ||
        want.priority !== have.priority;
      if (!differs) {
        // already as wanted: ours if we made it, otherwise someone else's that we leave alone on removal
        keep(ctx, T.AppliedAddress, id, previous ? { ...previous, ...want } : { ...want, created: false });
        continue;
      }
      const mine = previous?.created === true;
      const replaced = mine ? previous?.replaced : have;
      const next: AppliedAddress = { ...want, created: true, ...(replaced ? { replaced } : {}) };
      intents.push(() => keep(ctx, T.AppliedAddress, id, next));
      ops.push({
        requests: [deleteRequest(have, link.index), addRequest(want, link.index)],
        ok: () =>
          ctx.changes.record({
            action: 'change',
            kind: 'address',
            id,
            detail: `scope ${have.scope} → ${want.scope}, flags ${have.flags || '-'} → ${want.flags || '-'}, priority ${have.priority} → ${want.priority}`,
          }),
        failed: (err, succeeded) => {
          errors.push(err);
          // the old address is gone but the new one was refused: put the old one back
          if (succeeded >= 1) ops.push({ requests: [addRequest(have, link.index, true)], ok: () => {}, failed: (e) => errors.push(e) });
          if (previous) keep(ctx, T.AppliedAddress, id, previous);
          else forget(ctx, T.AppliedAddress, id);
        },
      });
    }

    if (ctx.dryRun) {
      for (const op of ops) op.ok();
      return;
    }
    for (const intent of intents) intent();
    // written ahead of the kernel writes, when there are some
    if (ops.length > 0) await ctx.flushState();
    const first = ops.length;
    await runOperations(this.kernel, ops);
    if (ops.length > first) await runOperations(this.kernel, ops.slice(first));
    // the daemon checks its writes once the statuses have caught up (an address removed again
    // before the statuses ever showed it leaves them unchanged: nothing else would wake this controller)
    if (ops.length > 0) ctx.requeueAfter(0);
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
