// What the DHCPv6 client needs from the outside world: a way to send and
// receive DHCPv6 payloads on one link, and a clock. Both are injected so the
// protocol runs the same against a real socket or a test double.

export interface Dhcp6Transport {
  /** Send to ff02::1:2 port 547 from the link-local address, port 546, on the link. */
  send(payload: Buffer): Promise<void>;
  /** Start delivering DHCPv6 payloads received on port 546 on the link; returns a stop function. */
  listen(handler: (payload: Buffer, from: string) => void): () => void;
}

export type { Clock } from '../clock.js';
// wall clock: lease times (acquiredAt) are saved and compared across daemon restarts
export { wallClock as systemClock } from '../clock.js';
