// What the DHCPv4 client needs from the outside world, injected so the client
// stays pure: a way to send and receive DHCP payloads on one link, and a clock.

export interface Dhcp4Transport {
  /** Send a DHCP payload broadcast from 0.0.0.0:68 to 255.255.255.255:67 (or from ciaddr when given). */
  broadcast(payload: Buffer, from?: string): Promise<void>;
  /** Send to server:67 from the leased address (renewal). */
  unicast(payload: Buffer, server: string, from: string): Promise<void>;
  /** Start delivering DHCP payloads (UDP to port 68) received on the link; returns a stop function. */
  listen(handler: (payload: Buffer) => void): () => void;
}

export type { Clock } from '../clock.js';
export { monotonicClock as systemClock } from '../clock.js';
