#!/usr/bin/env node
// A stand-in for the Equinix Metal and Hetzner Cloud APIs and metadata
// services, for the cloud VIP tests: it listens on 127.0.0.1:PORT inside the
// test's network namespace, answers like the real APIs for one device/server,
// refuses requests without the expected token (401), and prints every request
// as a JSON line {method, path, token, body} on stdout.
//   node cloud-api-mock.mjs PORT TOKEN
import http from 'node:http';

const [portText, TOKEN] = process.argv.slice(2);
const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

// Hetzner: server 42 (this one) and 41 (holds the alias now), private network 7 = 10.0.0.0/16
const servers = [
  { id: 41, private_net: [{ network: 7, ip: '10.0.0.1', alias_ips: ['10.0.0.100'] }] },
  { id: 42, private_net: [{ network: 7, ip: '10.0.0.2', alias_ips: [] }] },
];

function route(method, url, auth, body) {
  const p = url.pathname;
  // metadata services: no token
  if (p === '/equinix/metadata') return [200, { id: 'dev-1', hostname: 'cp1' }];
  if (p === '/hetzner/v1/metadata/instance-id') return [200, '42'];
  if (p.startsWith('/metal/v1/')) {
    if (auth.equinix !== TOKEN) return [401, { errors: ['invalid token'] }];
    const rest = p.slice('/metal/v1'.length);
    if (method === 'GET' && rest === '/devices/dev-1' && url.searchParams.get('include') === 'project') return [200, { id: 'dev-1', project: { id: 'proj-1' } }];
    if (method === 'GET' && rest === '/projects/proj-1/ips') return [200, { ip_addresses: [{ id: 'ip-1', address: '192.0.2.100', assignments: [{ href: '/metal/v1/ips/asg-old' }] }, { id: 'ip-2', address: '192.0.2.200', assignments: [] }] }];
    if (method === 'DELETE' && /^\/ips\/asg-(old|new)$/.test(rest)) return [204, undefined];
    if (method === 'POST' && rest === '/devices/dev-1/ips' && body?.address === '192.0.2.100') return [201, { id: 'asg-new', address: '192.0.2.100' }];
    return [404, { errors: ['not found'] }];
  }
  if (p.startsWith('/hcloud/v1/')) {
    if (auth.hcloud !== `Bearer ${TOKEN}`) return [401, { error: { code: 'unauthorized' } }];
    const rest = p.slice('/hcloud/v1'.length);
    const page = { meta: { pagination: { page: 1, per_page: 50, next_page: null } } };
    if (method === 'GET' && rest === '/servers/42') return [200, { server: servers[1] }];
    if (method === 'GET' && rest === '/networks/7') return [200, { network: { id: 7, ip_range: '10.0.0.0/16' } }];
    if (method === 'GET' && rest === '/servers') return [200, { servers, ...page }];
    if (method === 'GET' && rest === '/floating_ips') return [200, { floating_ips: [{ id: 5, ip: '203.0.113.10', server: 41 }], ...page }];
    if (method === 'POST' && /^\/servers\/4[12]\/actions\/change_alias_ips$/.test(rest)) return [201, { action: { id: 1, status: 'running' } }];
    if (method === 'POST' && rest === '/floating_ips/5/actions/assign' && body?.server === 42) return [201, { action: { id: 2, status: 'running' } }];
    return [404, { error: { code: 'not_found' } }];
  }
  return [404, { error: 'not found' }];
}

const server = http.createServer((req, res) => {
  let data = '';
  req.on('data', (d) => (data += d));
  req.on('end', () => {
    const url = new URL(req.url, 'http://mock');
    let body;
    try {
      body = data ? JSON.parse(data) : undefined;
    } catch {
      body = data;
    }
    const auth = { equinix: req.headers['x-auth-token'], hcloud: req.headers.authorization };
    const [status, answer] = route(req.method, url, auth, body);
    process.stdout.write(`${JSON.stringify({ method: req.method, path: url.pathname + url.search, token: auth.equinix ?? auth.hcloud ?? null, body: body ?? null, status })}\n`);
    if (typeof answer === 'string') {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(answer);
    } else json(res, status, answer);
  });
});
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('{"listening":true}\n'));
process.on('SIGTERM', () => process.exit(0));
