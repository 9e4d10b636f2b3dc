// One Watch stream's delivery queue: the snapshot first, then one affiliate per
// message (§1.3). The reference server gives each watcher a buffer of 32
// notifications and aborts the stream ("lost update") when it is full.
//
// Here, on purpose, notifications for an affiliate that is still waiting are
// replaced by the newer one (the latest state wins, in the first one's place):
// the backlog can never exceed the cluster's affiliates, so a burst (a GC pass
// expiring many nodes, a thousand nodes registering at once) does not abort
// healthy watchers. A watcher whose client takes nothing for `stuckMs` while
// changes wait is aborted with the reference server's status, and it reconnects
// to a fresh snapshot as with the reference server.
import type { Notification, Subscriber } from './state.js';

export interface WatchSink {
  /** Writes one encoded WatchResponse; `done` runs once the transport took it. False: stop writing until 'drain'. */
  write(message: Buffer, done: () => void): boolean;
  onDrain(fn: () => void): void;
  /** Ends the stream with Aborted "subscription canceled: lost update". */
  abort(): void;
}

export const STUCK_MS = 10_000;

export class WatchQueue implements Subscriber {
  private readonly queue = new Map<string, Notification>();
  private blocked = false;
  private inflight = 0;
  private lastProgress: number;
  private closed = false;

  constructor(
    private readonly sink: WatchSink,
    private readonly encode: (n: Notification) => Buffer,
    private readonly now: () => number = Date.now,
    private readonly stuckMs = STUCK_MS,
  ) {
    this.lastProgress = now();
    sink.onDrain(() => {
      this.blocked = false;
      this.flush();
    });
  }

  /** Writes a message ahead of any queued notification (the snapshot). */
  first(message: Buffer): void {
    this.send(message);
  }

  private send(message: Buffer): void {
    this.inflight++;
    const ok = this.sink.write(message, () => {
      this.inflight--;
      this.lastProgress = this.now();
    });
    if (!ok) this.blocked = true;
  }

  /** Waiting too long with work pending: the client is not reading. */
  stuck(): boolean {
    return (this.queue.size > 0 || this.inflight > 0) && this.now() - this.lastProgress > this.stuckMs;
  }

  notify(n: Notification): boolean {
    if (this.closed) return true;
    if (this.stuck()) return false;
    const waiting = this.queue.get(n.id);
    if (waiting) this.queue.set(n.id, n);
    else {
      if (this.queue.size === 0 && this.inflight === 0) this.lastProgress = this.now();
      this.queue.set(n.id, n);
    }
    this.flush();
    return true;
  }

  private flush(): void {
    while (!this.blocked && !this.closed && this.queue.size > 0) {
      const [id, n] = this.queue.entries().next().value as [string, Notification];
      this.queue.delete(id);
      this.send(this.encode(n));
    }
  }

  lost(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.sink.abort();
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  get waiting(): number {
    return this.queue.size;
  }
}
