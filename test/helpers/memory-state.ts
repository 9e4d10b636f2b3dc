// A state file that lives in memory: what a run persists, for the next run of a test.
import type { Resource } from '../../src/resources/resource.js';
import type { StateFile } from '../../src/runtime/state-file.js';

type Kinds = ReturnType<StateFile['load']>;

export class MemoryState {
  kinds: Kinds = [];
  saves = 0;

  load(): Kinds {
    return this.kinds;
  }

  async save(resources: readonly Resource[]): Promise<void> {
    this.saves++;
    const byType = new Map<string, Kinds[number]>();
    for (const r of resources) {
      const k = byType.get(r.metadata.type) ?? { type: r.metadata.type, owner: r.metadata.owner, items: [] };
      k.items.push({ id: r.metadata.id, spec: structuredClone(r.spec) });
      byType.set(r.metadata.type, k);
    }
    this.kinds = [...byType.values()];
  }

  /** The saved items of one type. */
  items<S>(type: string): Array<{ id: string; spec: S }> {
    return (this.kinds.find((k) => k.type === type)?.items ?? []) as Array<{ id: string; spec: S }>;
  }
}
