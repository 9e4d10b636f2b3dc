// The VIP election as Talos runs it (etcd's concurrency.Election): under the
// prefix `talos:v1:vip:election:<VIP>`, each candidate puts
// `<prefix>/<lease ID in hex>` = its hostname on its lease; the leader is the
// key with the lowest create revision (FIFO). A key of ours left over from an
// earlier run (same hostname, another lease) is deleted first, so a restarted
// node does not hold up the election until that lease expires.
import type { Logger } from '../../log.js';
import type { EtcdClient, EtcdStream } from './etcd/client.js';
import { EtcdError } from './etcd/client.js';
import { CompareResult, SortOrder, SortTarget, encodeWatchCancel, encodeWatchCreate, prefixEnd, type KeyValue } from './etcd/messages.js';
import type { LeaseSession } from './session.js';
import { callTimeoutMs } from './session.js';

export function electionPrefix(vip: string): string {
  return `talos:v1:vip:election:${vip}`;
}

export interface ElectionState {
  /** The leader's value (its hostname); undefined when nobody campaigns. */
  leader: string | undefined;
  /** The leader's key is ours. */
  mine: boolean;
}

export class Election {
  /** Our key: `<prefix>/<lease ID hex>`. */
  readonly key: string;
  private readonly keys: string;
  private readonly end: Buffer;
  private readonly timeout: number;

  constructor(
    private readonly client: EtcdClient,
    prefix: string,
    readonly value: string,
    private readonly session: LeaseSession,
    private readonly log: Logger,
  ) {
    this.keys = `${prefix}/`;
    this.end = prefixEnd(this.keys);
    this.key = `${this.keys}${session.id.toString(16)}`;
    this.timeout = callTimeoutMs(session.ttl);
  }

  /** Deletes keys with our value on another lease (a previous run of this node); returns them. */
  async resignLeftovers(): Promise<string[]> {
    const all = await this.client.range({ key: this.keys, rangeEnd: this.end }, this.timeout);
    const leftovers = all.kvs.filter((kv) => kv.value.toString('utf8') === this.value && kv.lease !== this.session.id);
    for (const kv of leftovers) {
      // only that very key on that very lease: never a newer campaign's
      await this.client.txn(
        { compare: [{ key: kv.key, target: 'lease', result: CompareResult.equal, lease: kv.lease }], success: [{ deleteRange: { key: kv.key } }], failure: [] },
        this.timeout,
      );
      this.log.info({ key: kv.key.toString('utf8') }, 'resigned an election key this node left behind');
    }
    return leftovers.map((kv) => kv.key.toString('utf8'));
  }

  /** Puts our key (unless it exists); returns the revision to watch from. */
  async campaign(): Promise<bigint> {
    const res = await this.client.txn(
      {
        compare: [{ key: this.key, target: 'create', result: CompareResult.equal, createRevision: 0n }],
        success: [{ put: { key: this.key, value: this.value, lease: this.session.id } }],
        failure: [{ range: { key: this.key } }],
      },
      this.timeout,
    );
    return res.header.revision;
  }

  /** Who leads now (a linearizable read). */
  async state(): Promise<ElectionState> {
    const res = await this.client.range({ key: this.keys, rangeEnd: this.end, sortOrder: SortOrder.ascend, sortTarget: SortTarget.create, limit: 1 }, this.timeout);
    const first: KeyValue | undefined = res.kvs[0];
    if (!first) return { leader: undefined, mine: false };
    return { leader: first.value.toString('utf8'), mine: first.key.toString('utf8') === this.key };
  }

  /**
   * Watches the election from `revision` on: `changed` gets the state after
   * every change (and once at the start); `ended` is called once when the
   * watch fails or our own key is deleted. Returns a function that stops it.
   */
  observe(revision: bigint, changed: (s: ElectionState) => void, ended: (err: Error) => void): () => void {
    let stopped = false;
    let busy = false;
    let again = false;
    const finish = (err: Error) => {
      if (stopped) return;
      stopped = true;
      stream.cancel();
      ended(err);
    };
    const evaluate = () => {
      if (stopped) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      this.state()
        .then((s) => {
          if (!stopped) changed(s);
        })
        .catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))))
        .finally(() => {
          busy = false;
          if (again) {
            again = false;
            evaluate();
          }
        });
    };
    const watchId = 1n;
    const stream: EtcdStream<Buffer> = this.client.watch({
      data: (res) => {
        if (res.canceled) {
          finish(new EtcdError(this.client.endpoint.url, -1, `election watch cancelled${res.cancelReason ? `: ${res.cancelReason}` : ''}`));
          return;
        }
        if (res.created) {
          evaluate();
          return;
        }
        if (res.events.some((e) => e.type === 'delete' && e.kv.key.toString('utf8') === this.key)) {
          finish(new Error('our election key was deleted'));
          return;
        }
        if (res.events.length > 0) evaluate();
      },
      end: (err) => finish(err),
    });
    stream.write(encodeWatchCreate({ key: this.keys, rangeEnd: this.end, startRevision: revision + 1n, watchId }));
    return () => {
      if (stopped) return;
      stopped = true;
      stream.write(encodeWatchCancel(watchId));
      stream.cancel();
    };
  }
}
