// The record of kernel changes a run made (or, in dry-run, would make).
export type ChangeAction = 'add' | 'change' | 'remove';
export type ObjectKind = 'link' | 'address' | 'route' | 'rule' | 'hostname' | 'file' | 'wireguard' | 'nftables' | 'ethernet';

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ObjectKind;
  /** Resource-style ID, e.g. "eth0/10.0.0.2/24". */
  readonly id: string;
  /** One line for humans, e.g. "mtu 1500 → 9000". */
  readonly detail?: string | undefined;
}

/** What a controller's pass records: kernel changes, and what waits. */
export interface ChangeRecorder {
  record(change: Change): void;
  /** Something that cannot be applied yet (e.g. its link is not there), until this controller's next pass. */
  wait(id: string, reason: string): void;
}

export class ChangeLog implements ChangeRecorder {
  readonly changes: Change[] = [];
  /** Things that could not be applied yet and are waiting (e.g. for a link to appear). */
  readonly pending = new Map<string, string>();

  /**
   * `onRecord` sees every change as it is recorded (the daemon logs each one);
   * with `keep` false the changes are not kept (a daemon's background log).
   */
  constructor(
    private readonly onRecord?: (change: Change) => void,
    private readonly keep = true,
  ) {}

  wait(id: string, reason: string): void {
    this.pending.set(id, reason);
  }

  /** Changes kept, by action (counted as they come: a bulk apply records 100k). */
  private readonly counts: Record<ChangeAction, number> = { add: 0, change: 0, remove: 0 };

  record(change: Change): void {
    if (this.keep) {
      this.changes.push(change);
      this.counts[change.action]++;
    }
    this.onRecord?.(change);
  }

  count(action: ChangeAction): number {
    return this.counts[action];
  }

  summary(): string {
    return `${this.count('add')} added, ${this.count('change')} changed, ${this.count('remove')} removed`;
  }
}
