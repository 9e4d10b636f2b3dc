// The KubeSpan manager's view of its WireGuard device: a background task that
// reads `kubespan` (handshake times, transfer counters, endpoints) on a ticker
// (Talos: every 30 s) and tells its owner after each read. The manager's
// reconcile reads the latest observation and never waits for the device.
import type { Logger } from '../../log.js';
import type { WgDevice } from '../../netlink/wireguard.js';

export interface WireguardObservation {
  /** Epoch ms when the read started (what WireGuard had then, or later). */
  at: number;
  /** undefined: no such device (or it could not be read). */
  device: WgDevice | undefined;
}

export class WireguardPoller {
  latest: WireguardObservation | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastError = '';

  constructor(
    private readonly read: () => Promise<WgDevice | undefined>,
    private readonly intervalMs: number,
    /** Called after each read. */
    private readonly onRead: () => void,
    private readonly log: Logger,
  ) {}

  /** Reads now, then every interval. */
  start(): void {
    this.stopped = false;
    void this.poll();
  }

  /** A read now (unless one is under way); the interval starts again after it. */
  pollNow(): void {
    if (!this.running && !this.stopped) void this.poll();
  }

  private poll(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const at = Date.now();
    this.running = this.read()
      .then(
        (device) => {
          this.lastError = '';
          return device;
        },
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          if (message !== this.lastError) this.log.debug({ err: message }, 'KubeSpan: WireGuard device not readable');
          this.lastError = message;
          return undefined;
        },
      )
      .then((device) => {
        this.running = undefined;
        if (this.stopped) return;
        this.latest = { at, device };
        this.timer = setTimeout(() => void this.poll(), this.intervalMs);
        this.timer.unref?.();
        this.onRead();
      });
    return this.running;
  }

  /** Stops the ticker; a read under way is let finish (its result dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    await this.running;
  }
}
