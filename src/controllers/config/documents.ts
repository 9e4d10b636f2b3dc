// The loaded configuration as resources in the config namespace: the v1alpha1
// machine config (ID v1alpha1, present only when the file has one) and one
// ConfigDocument per other document (ID `<Kind>/<name>`), put there by
// `netcfg apply`, `netcfg get -c` and the daemon.
import type { ConfigSet } from '../../config/load.js';
import { ConfigContainer } from '../../config/container.js';
import type { MachineConfig } from '../../config/schema.js';
import type { ConfigDocument } from '../../config/documents/decode.js';
import type { KnownKind } from '../../config/documents/kinds.js';
import { NS } from '../../resources/resource.js';
import type { Store } from '../../resources/store.js';
import { T } from '../../resources/network/types.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import { MACHINE_CONFIG_ID } from './machine-config.js';

export const DocumentsInput = { namespace: NS.config, type: T.ConfigDocument } as const;

/** Every document, in file order. */
export function documents(ctx: Pick<ReconcileContext, 'list'>): ConfigDocument[] {
  return ctx
    .list<ConfigDocument>(NS.config, T.ConfigDocument)
    .map((r) => r.spec)
    .sort((a, b) => a.index - b.index);
}

/** The documents of some kinds, in file order. */
export function documentsOf(ctx: Pick<ReconcileContext, 'list'>, ...kinds: KnownKind[]): ConfigDocument[] {
  return documents(ctx).filter((d) => kinds.includes(d.kind));
}

/** Makes the config namespace hold exactly `set` (documents gone from it are destroyed). */
export function putConfig(store: Store, set: ConfigSet, owner: string): void {
  if (set.machine) store.put(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, set.machine, owner);
  else if (store.get(NS.config, T.MachineConfig, MACHINE_CONFIG_ID)) store.destroy(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, owner);
  const wanted = new Set(set.documents.map((d) => d.id));
  for (const d of set.documents) store.put(NS.config, T.ConfigDocument, d.id, d, owner);
  for (const r of store.list(NS.config, T.ConfigDocument)) if (!wanted.has(r.metadata.id)) store.destroy(NS.config, T.ConfigDocument, r.metadata.id, owner);
}

/** The machine config and the documents, read through Talos' accessors. */
export function configContainer(ctx: Pick<ReconcileContext, 'list' | 'get'>): ConfigContainer {
  return new ConfigContainer(ctx.get<MachineConfig>(NS.config, T.MachineConfig, MACHINE_CONFIG_ID)?.spec, documents(ctx));
}
