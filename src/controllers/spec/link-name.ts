// LinkNameController: predictable interface names without udev (spec §4.3).
// Registered first, so that LinkStatus, device selectors and every spec see the
// final names. It renames only where sysfs describes the links netcfg works on
// (src/hw/hardware.ts), never with net.ifnames=0 on the kernel command line, and
// keeps names set by userspace. Renames are not undone when the config goes away
// (udev never renames back either); AppliedRename records what netcfg did.
import { altNamesRequest, setLinkRequest } from '../../netlink/rtnetlink/link.js';
import { trustedLinkFacts, type HardwareSource } from '../../hw/hardware.js';
import { readPciSlots } from '../../hw/sysfs.js';
import { NS } from '../../resources/resource.js';
import { T, type AppliedRename } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import type { Request } from '../../netlink/connection.js';
import { CmdlineInput, cmdline } from '../config/cmdline.js';
import type { Kernel } from '../kernel.js';
import { runOperations, type Operation } from '../outcomes.js';
import { forget, keep } from './applied.js';
import { isPhysical, planNames, type NamePlan } from './link-name-plan.js';

export class LinkNameController implements Controller {
  readonly name = 'LinkNameController';
  readonly bootPath = true;
  readonly inputs = [CmdlineInput];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedRename, kind: 'exclusive' as const }];
  private toldWhy = false;
  /** Conflicts already warned about (a daemon reconciles on every link event). */
  private readonly warned = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly hardware: HardwareSource | undefined,
  ) {}

  /** Says once (debug) why nothing is renamed. */
  private skip(ctx: ReconcileContext, why: string): void {
    if (!this.toldWhy) ctx.log.debug({ why }, 'predictable names: no link is renamed');
    this.toldWhy = true;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const root = this.hardware?.sysfsRoot;
    if (root === undefined) return this.skip(ctx, this.hardware?.sysfsSkipped ?? 'no sysfs to read hardware facts from');
    if (cmdline(ctx)?.predictableNames === false) return this.skip(ctx, 'net.ifnames=0 on the kernel command line');

    const links = await this.kernel.listLinks();
    const records = new Map(ctx.list<AppliedRename>(NS.state, T.AppliedRename).map((r) => [r.metadata.id, r.spec]));
    const inputs = links.map((link) => ({
      link,
      facts: isPhysical(link) ? trustedLinkFacts(root, link, ctx.log) : undefined,
      renamed: records.get(link.name),
    }));
    const plans = planNames(inputs, readPciSlots(root));

    const ops: Operation[] = [];
    const errors: Error[] = [];
    for (const plan of plans) {
      if (plan.action === 'keep') {
        const key = `${plan.name}: ${plan.reason}`;
        if (!plan.conflict) ctx.log.debug({ link: plan.name, why: plan.reason }, 'link keeps its name');
        else if (!this.warned.has(key)) {
          ctx.log.warn({ link: plan.name }, `not renamed: ${plan.reason}`);
          this.warned.add(key);
        }
        continue;
      }
      if (plan.action === 'rename') ops.push(this.renameOp(ctx, plan, records.get(plan.to), errors));
      ops.push(...this.altNameOps(ctx, plan, errors));
    }
    if (ctx.dryRun) {
      for (const op of ops) op.ok();
      return;
    }
    if (ops.length === 0) return;
    await ctx.flushState(); // the records first: a crash mid-rename still leaves them
    await runOperations(this.kernel, ops);
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }

  /** Down (if up), rename, back up: the kernel refuses to rename a running link. */
  private renameOp(ctx: ReconcileContext, plan: Extract<NamePlan, { action: 'rename' }>, previous: AppliedRename | undefined, errors: Error[]): Operation {
    const requests: Request[] = [];
    if (plan.up) requests.push(setLinkRequest(plan.index, plan.from, { up: false }));
    requests.push(setLinkRequest(plan.index, plan.from, { name: plan.to }));
    // sent even when the rename failed: the link is not left down
    if (plan.up) requests.push(setLinkRequest(plan.index, plan.to, { up: true }));
    keep(ctx, T.AppliedRename, plan.to, { from: plan.from, name: plan.to, altNames: plan.altNames } satisfies AppliedRename);
    const alts = plan.altNames.length > 0 ? `; altnames ${plan.altNames.join(', ')}` : '';
    return {
      requests,
      ok: () => ctx.changes.record({ action: 'change', kind: 'link', id: plan.from, detail: `rename → ${plan.to}${alts}` }),
      failed: (err) => {
        errors.push(err);
        if (previous) keep(ctx, T.AppliedRename, plan.to, previous);
        else forget(ctx, T.AppliedRename, plan.to);
      },
    };
  }

  /** One request per altname, so that one refused name does not hold back the others. */
  private altNameOps(ctx: ReconcileContext, plan: Exclude<NamePlan, { action: 'keep' }>, errors: Error[]): Operation[] {
    const name = plan.action === 'rename' ? plan.to : plan.name;
    return plan.altNames.map((alt) => ({
      requests: [altNamesRequest(plan.index, name, [alt])],
      // a rename's altnames are part of its change line
      ok: () => {
        if (plan.action === 'altnames') ctx.changes.record({ action: 'change', kind: 'link', id: name, detail: `altname + ${alt}` });
      },
      failed: (err) => errors.push(err),
    }));
  }
}
