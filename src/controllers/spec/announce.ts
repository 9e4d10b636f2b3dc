// Announces addresses the AddressSpecController added with announceWithARP (a
// VIP that moved here): one frame at once, then repeats (a lost frame must not
// strand clients on the old owner's MAC), sent on the native packet socket.
// Repeats stop when the address is removed again.
import type { Logger } from '../../log.js';
import { announcement } from '../../net/announce.js';
import { native } from '../../native/index.js';

/** When the frames go, in ms after the address was added: at once, then three repeats within 2 s. */
export const ANNOUNCE_SCHEDULE_MS = [0, 250, 750, 1500] as const;

export interface AnnouncedLink {
  index: number;
  name: string;
  hardwareAddr: string;
}

export interface Announcer {
  /** `prefix` (e.g. 192.0.2.10/32) was just added on `link`. */
  announce(link: AnnouncedLink, prefix: string): void;
  /** `prefix` left `linkName`: no more repeats. */
  cancel(linkName: string, prefix: string): void;
  close(): void;
}

export type SendFrame = (link: AnnouncedLink, frame: { payload: Buffer; protocol: number; destination: string }) => void;

/** Sends one frame on a packet socket bound to no protocol (it receives nothing), opened in the namespace. */
export function packetSender(netnsPath: string | undefined): SendFrame {
  return (link, frame) => {
    const socket = new (native().DatagramSocket)({ kind: 'packet', ...(netnsPath ? { netns: netnsPath } : {}), ifindex: link.index, protocol: 0 }, () => {});
    try {
      socket.send(frame.payload, { address: frame.destination, protocol: frame.protocol });
    } finally {
      socket.close();
    }
  };
}

export class PacketAnnouncer implements Announcer {
  private readonly pending = new Map<string, NodeJS.Timeout[]>();

  constructor(
    private readonly send: SendFrame,
    private readonly log: Logger,
    private readonly schedule: readonly number[] = ANNOUNCE_SCHEDULE_MS,
  ) {}

  announce(link: AnnouncedLink, prefix: string): void {
    const ip = prefix.split('/')[0]!;
    const key = `${link.name}/${prefix}`;
    this.cancel(link.name, prefix);
    let frame: ReturnType<typeof announcement>;
    try {
      frame = announcement(ip, link.hardwareAddr);
    } catch (err) {
      // Talos: only links with a 6-byte MAC announce
      this.log.debug({ link: link.name, address: prefix, err: (err as Error).message }, 'address not announced');
      return;
    }
    const kind = frame.protocol === 0x0806 ? 'gratuitous ARP' : 'unsolicited neighbour advertisement';
    const timers: NodeJS.Timeout[] = [];
    this.schedule.forEach((ms, i) => {
      const fire = () => {
        try {
          this.send(link, frame);
          if (i === 0) this.log.info({ link: link.name, address: prefix, mac: link.hardwareAddr, repeats: this.schedule.length - 1 }, `announced with ${kind}`);
          else this.log.debug({ link: link.name, address: prefix, repeat: i }, `${kind} repeated`);
        } catch (err) {
          // failures are logged, not retried (Talos); the repeats may still get through
          this.log.warn({ link: link.name, address: prefix, err: (err as Error).message }, `${kind} failed`);
        }
        if (i === this.schedule.length - 1) this.pending.delete(key);
      };
      if (ms === 0) fire();
      else timers.push(setTimeout(fire, ms));
    });
    if (timers.length > 0) this.pending.set(key, timers);
  }

  cancel(linkName: string, prefix: string): void {
    const key = `${linkName}/${prefix}`;
    for (const t of this.pending.get(key) ?? []) clearTimeout(t);
    this.pending.delete(key);
  }

  close(): void {
    for (const timers of this.pending.values()) for (const t of timers) clearTimeout(t);
    this.pending.clear();
  }
}
