// Echoes that a user's ping would get: `count` pings of one echo each, each
// waited for up to `waitS` seconds. One ping of several echoes gives those
// after the first only twice the fastest round trip (iputils' linger), so a
// guest stall of a few hundred ms (the real-kernel lane's emulated CPU) would
// count as a lost echo.
import { execFileSync } from 'node:child_process';

/** How many of `count` echoes to `ip` came back, pinged from namespace `ns` (undefined: this one). */
export function echoes(ns: string | undefined, ip: string, count: number, waitS = 5): number {
  let received = 0;
  for (let i = 0; i < count; i++) {
    const args = ['ping', '-c', '1', '-W', String(waitS), ip];
    try {
      const out = ns === undefined ? execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) : execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (out.includes('1 received')) received++;
    } catch {
      // no echo: ping exits 1
    }
  }
  return received;
}
