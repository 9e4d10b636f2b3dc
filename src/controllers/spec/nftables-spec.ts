// NftTableSpecController: makes the nftables tables netcfg owns whole (today
// KubeSpan's `inet netcfg_kubespan`) match the merged NftTableSpecs, through
// `nft -j` (src/nftables): each table is replaced in one transaction when it
// differs, left alone when it is as described, and deleted when its spec goes.
// netcfg records the tables it made (state namespace) so that it deletes
// exactly those, also after a restart; no other table is ever listed or
// touched. The daemon re-checks its tables every `recheckMs` (nftables changes
// send no rtnetlink events): a table someone deleted or changed comes back.
import { canonicalSpec, sameTable } from '../../nftables/render.js';
import type { NftTables } from '../../nftables/nft.js';
import type { NftTableSpec as NftTableDescription } from '../../nftables/types.js';
import { NS } from '../../resources/resource.js';
import { T, type AppliedNftTable, type NftTableSpec } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { finishUndo, hold, keep, partition } from './applied.js';

function description(s: NftTableSpec): NftTableDescription {
  return { family: s.family, name: s.name, sets: s.sets, chains: s.chains };
}

function summary(s: NftTableSpec): string {
  const elements = s.sets.reduce((n, set) => n + set.elements.length, 0);
  const rules = s.chains.reduce((n, c) => n + c.rules.length, 0);
  return `${s.chains.length} chains, ${rules} rules, ${elements} set elements`;
}

export class NftTableSpecController implements Controller {
  readonly name = 'NftTableSpecController';
  readonly inputs = [{ namespace: NS.network, type: T.NftTableSpec }];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedNftTable, kind: 'exclusive' as const }];

  /** `tables`: nft in the namespace worked on (made on first use: no nft run without a table to manage). */
  constructor(
    private readonly tables: () => NftTables,
    private readonly recheckMs = 30_000,
  ) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<NftTableSpec, AppliedNftTable>(ctx, T.NftTableSpec, T.AppliedNftTable);
    if (running.length === 0 && undo.length === 0) return;
    const nft = this.tables();
    const errors: Error[] = [];

    for (const { id, record: rec, tearingDown } of undo) {
      if (rec) {
        try {
          const there = ctx.dryRun ? (await nft.list(rec.family, rec.name)) !== undefined : await nft.remove(rec.family, rec.name);
          if (there) ctx.changes.record({ action: 'remove', kind: 'nftables', id, detail: `delete table ${rec.family} ${rec.name}` });
        } catch (err) {
          errors.push(err as Error);
          continue;
        }
      }
      finishUndo(ctx, T.NftTableSpec, T.AppliedNftTable, id, tearingDown);
    }

    for (const r of running) {
      const id = r.metadata.id;
      const spec = r.spec;
      hold(ctx, this.name, T.NftTableSpec, r);
      try {
        if (ctx.dryRun) {
          const have = await nft.current(spec.family, spec.name);
          if (!have || !sameTable(have, canonicalSpec(description(spec)))) {
            ctx.changes.record({ action: have ? 'change' : 'add', kind: 'nftables', id, detail: `${have ? 'replace' : 'create'} table ${spec.family} ${spec.name}: ${summary(spec)}` });
          }
          continue;
        }
        // recorded first: a crash after the kernel change still leaves netcfg knowing the table is its own
        if (!record(id)) {
          keep(ctx, T.AppliedNftTable, id, { family: spec.family, name: spec.name } satisfies AppliedNftTable);
          await ctx.flushState();
        }
        const result = await nft.apply(description(spec));
        if (result !== 'unchanged') {
          ctx.changes.record({ action: result === 'created' ? 'add' : 'change', kind: 'nftables', id, detail: `${result === 'created' ? 'create' : 'replace'} table ${spec.family} ${spec.name}: ${summary(spec)}` });
        }
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (running.length > 0) ctx.requeueAfter(this.recheckMs);
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
