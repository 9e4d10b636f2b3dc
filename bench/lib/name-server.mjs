#!/usr/bin/env node
// Answers every TCP connection on PORT (all addresses of its network namespace,
// IPv4 and IPv6) with NAME and a newline: tells a client which node it reached.
// Stops on SIGTERM, or when its stdin closes.
import net from 'node:net';

const [name, portText] = process.argv.slice(2);
const server = net.createServer((s) => {
  s.on('error', () => {});
  s.end(`${name}\n`);
});
server.listen({ port: Number(portText), host: '::', ipv6Only: false }, () => process.stdout.write('listening\n'));
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
