// What a spec controller wrote to the kernel since its status controller last
// listed it. A one-shot run hears no events for its own writes, so a later pass
// must not take them for missing; in the daemon the statuses catch up through
// events. The statuses never list while the controller runs (nor it while they
// do: `after` and `waitsOut`), so a listing completed since holds every write
// made before it, and those are dropped here.
import { LinkIndex, type Kernel, type LinkListing } from '../kernel.js';

export class OwnWrites<W> {
  private generation = -1;
  protected writes: W[] = [];

  /** Starts afresh when the statuses have completed a listing (`generation`, their count) since. */
  sync(generation: number): void {
    if (generation === this.generation) return;
    this.generation = generation;
    this.writes = [];
  }

  record(...writes: readonly W[]): void {
    this.writes.push(...writes);
  }

  /** Whether anything was written since the listing last synced to. */
  get any(): boolean {
    return this.writes.length > 0;
  }
}

/**
 * The kernel's links for a controller that writes links: the link statuses'
 * listing, unless it wrote since that listing (or there is none yet); then its
 * own. `wrote()` before each write.
 */
export class LinkReads {
  private readonly written = new OwnWrites<true>();

  constructor(
    private readonly kernel: Kernel,
    private readonly statuses: LinkListing,
  ) {}

  async links(): Promise<LinkIndex> {
    this.written.sync(this.statuses.generation);
    const fresh = this.statuses.generation > 0 && !this.written.any;
    return fresh ? this.statuses.links : new LinkIndex(await this.kernel.listLinks());
  }

  wrote(): void {
    this.written.sync(this.statuses.generation);
    this.written.record(true);
  }
}
