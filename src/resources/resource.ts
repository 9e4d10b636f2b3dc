// Resources: strict metadata plus a typed spec. Specs are plain data (JSON).
export type Phase = 'running' | 'tearingDown';

export interface Metadata {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  /** Increases on every change that is not a no-op. */
  readonly version: number;
  readonly phase: Phase;
  /** The controller that wrote the resource; only it may change or destroy it. */
  readonly owner: string;
  /** Consumers that must release the resource before it may be destroyed. */
  readonly finalizers: readonly string[];
  readonly created: number;
  readonly updated: number;
}

export interface Resource<S = unknown> {
  readonly metadata: Metadata;
  readonly spec: S;
}

export interface Pointer {
  namespace: string;
  type: string;
  id: string;
}

export function describePointer(p: Pointer): string {
  return `${p.namespace}/${p.type}/${p.id}`;
}

/** Well-known namespaces. */
export const NS = {
  /** Unmerged specs, one copy per configuration layer or operator. */
  networkConfig: 'network-config',
  /** Merged specs and kernel statuses. */
  network: 'network',
  /** Loaded configuration documents. */
  config: 'config',
  /** What netcfg applied to the kernel; persisted in the state directory. */
  state: 'state',
} as const;
