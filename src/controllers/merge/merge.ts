// Merge controllers: per-layer specs (network-config; the config's routes held
// as one RouteSpecSet a layer) → one merged spec per ID (network), lowest layer
// first, with a per-type merge rule. Merged specs that are no longer wanted are
// torn down and destroyed once their finalizers are gone.
import { NS } from '../../resources/resource.js';
import { layerRank, type ConfigLayer, type LayerSpecs } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';

export interface MergeRule<S extends { layer: ConfigLayer }> {
  type: string;
  /** The merged ID (the layered ID without its layer prefix). */
  id(spec: S): string;
  /** Folds a higher-layer spec onto the result so far. */
  merge(lower: S, higher: S): S;
  /**
   * The records of what netcfg applied under merged IDs (the state file's, loaded
   * at start): a merged ID that one of them has takes its string, so that a
   * re-apply holds each ID once, not twice (100k routes: ~5 MB at its peak).
   */
  recorded?: { namespace: string; type: string };
  /** A type of network-config resources that each hold many specs of one layer (LayerSpecs), read as if each were its own. */
  sets?: string;
}

export class MergeController<S extends { layer: ConfigLayer }> implements Controller {
  readonly name: string;
  readonly inputs;
  readonly outputs;

  constructor(private readonly rule: MergeRule<S>) {
    this.name = `${rule.type}MergeController`;
    this.inputs = [
      { namespace: NS.networkConfig, type: rule.type },
      ...(rule.sets ? [{ namespace: NS.networkConfig, type: rule.sets }] : []),
      ...(rule.recorded ? [{ ...rule.recorded, passive: true }] : []),
    ];
    this.outputs = [{ namespace: NS.network, type: rule.type, kind: 'exclusive' as const }];
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    // each input with its merged ID, made once: a set gives its routes' IDs
    const recorded = this.rule.recorded;
    const idOf = (spec: S): string => {
      const id = this.rule.id(spec);
      return recorded ? (ctx.get(recorded.namespace, recorded.type, id)?.metadata.id ?? id) : id;
    };
    const inputs: S[] = [];
    const ids: string[] = [];
    for (const r of ctx.list<S>(NS.networkConfig, this.rule.type)) {
      if (r.metadata.phase !== 'running') continue;
      inputs.push(r.spec);
      ids.push(idOf(r.spec));
    }
    if (this.rule.sets) {
      for (const set of ctx.list<LayerSpecs<S>>(NS.networkConfig, this.rule.sets)) {
        if (set.metadata.phase !== 'running') continue;
        for (const spec of set.spec.specs) inputs.push(spec);
        for (const id of set.spec.ids) ids.push(id);
      }
    }
    // Fast path (a fresh run, one layer: e.g. 100k configured routes): put every
    // input as is; when the output count then equals the input count, no two
    // inputs shared an ID and nothing needed merging.
    if (ctx.count(NS.network, this.rule.type) === 0 && inputs.every((spec) => spec.layer === inputs[0]!.layer)) {
      for (let i = 0; i < inputs.length; i++) ctx.put(NS.network, this.rule.type, ids[i]!, inputs[i]!);
      if (ctx.count(NS.network, this.rule.type) === inputs.length) return;
    }
    // most IDs come from one layer only: keep a single spec until a second one shows up
    const groups = new Map<string, S | S[]>();
    for (let i = 0; i < inputs.length; i++) {
      const spec = inputs[i]!;
      const id = ids[i]!;
      const group = groups.get(id);
      if (group === undefined) groups.set(id, spec);
      else if (Array.isArray(group)) group.push(spec);
      else groups.set(id, [group, spec]);
    }
    groups.forEach((group, id) => {
      let merged: S;
      if (Array.isArray(group)) {
        // stable: same-layer specs keep their input order
        group.sort((a, b) => layerRank(a.layer) - layerRank(b.layer));
        merged = group[0]!;
        for (let i = 1; i < group.length; i++) merged = this.rule.merge(merged, group[i]!);
      } else {
        merged = group;
      }
      ctx.put(NS.network, this.rule.type, id, merged);
    });
    // every wanted ID exists now: only when there are more outputs is something stale
    if (ctx.count(NS.network, this.rule.type) === groups.size) return;
    for (const r of ctx.list<S>(NS.network, this.rule.type)) {
      if (groups.has(r.metadata.id)) continue;
      if (ctx.teardown(NS.network, this.rule.type, r.metadata.id)) ctx.destroy(NS.network, this.rule.type, r.metadata.id);
    }
  }
}
