#!/usr/bin/env node
// A TCP client that keeps trying one address: every INTERVAL ms it opens a new
// connection (at most MAX in flight, each given up after TIMEOUT ms) and prints
// one JSON line per answer: {"t": wall-clock ms when the answer came, "name": what the server said}.
// Run inside the client's network namespace (ip netns exec NS node tcp-prober.mjs HOST PORT).
// Stops on SIGTERM, or when its stdin closes (its parent went away).
import net from 'node:net';

const [host, portText, intervalText = '10', timeoutText = '150'] = process.argv.slice(2);
const port = Number(portText);
const interval = Number(intervalText);
const timeout = Number(timeoutText);
const MAX = 32;
let inFlight = 0;

function attempt() {
  if (inFlight >= MAX) return;
  inFlight++;
  const s = net.connect({ host, port });
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    inFlight--;
    s.destroy();
  };
  s.setTimeout(timeout, finish);
  s.on('error', finish);
  s.on('close', finish);
  let data = '';
  s.on('data', (d) => {
    data += d;
    const nl = data.indexOf('\n');
    if (nl >= 0) {
      process.stdout.write(`${JSON.stringify({ t: Date.now(), name: data.slice(0, nl) })}\n`);
      finish();
    }
  });
}

const timer = setInterval(attempt, interval);
const stop = () => {
  clearInterval(timer);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
