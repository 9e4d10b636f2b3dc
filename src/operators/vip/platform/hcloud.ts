// Hetzner Cloud: a private VIP (RFC 1918, fc00::/7) is an alias IP on the
// private network whose range holds it; a public one is a floating IP. Acquire
// takes the alias from whichever server has it and sets it on this one, or
// assigns the floating IP here; Release clears this server's aliases (a
// floating IP stays where it is). The server ID comes from the metadata
// service, the network from the server's private networks, once.
import type { Logger } from '../../../log.js';
import { parseIP, parsePrefix, prefixContains } from '../../../net/ip.js';
import type { PlatformHandler, PlatformUrls } from './types.js';
import { PlatformError, field, list, requestJson, requestText } from './http.js';

/** Go's netip.Addr.IsPrivate: RFC 1918 and RFC 4193. */
export function isPrivateIP(ip: string): boolean {
  const p = parseIP(ip);
  if (!p) return false;
  const ranges = p.family === 'inet4' ? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] : ['fc00::/7'];
  return ranges.some((r) => prefixContains(parsePrefix(r)!, p));
}

const PAGE = 50;

export class HCloudHandler implements PlatformHandler {
  readonly name = 'hcloud' as const;
  private ids: { server: number; network: number } | undefined;
  private floating = 0;

  constructor(
    private readonly vip: string,
    private readonly token: string,
    private readonly urls: PlatformUrls,
    private readonly log: Logger,
  ) {}

  private get headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }

  private get(path: string): Promise<unknown> {
    return requestJson('GET', `${this.urls.hcloudApi}${path}`, { headers: this.headers });
  }

  private post(path: string, body: unknown): Promise<unknown> {
    return requestJson('POST', `${this.urls.hcloudApi}${path}`, { headers: this.headers }, body);
  }

  /** Every item of a paginated list (meta.pagination.next_page). */
  private async all(path: string, key: string): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let page = 1, n = 0; page > 0 && n < 1000; n++) {
      const res = await this.get(`${path}?page=${page}&per_page=${PAGE}`);
      out.push(...list(res, key));
      const next = field(res, 'meta', 'pagination', 'next_page');
      page = typeof next === 'number' ? next : 0;
    }
    return out;
  }

  private async identify(): Promise<{ server: number; network: number }> {
    if (this.ids) return this.ids;
    const text = (await requestText('GET', this.urls.hcloudMetadata, { headers: {} })).trim();
    const server = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(server)) throw new PlatformError(`Hetzner Cloud metadata instance-id is not a number: ${JSON.stringify(text.slice(0, 40))}`);
    let network = 0;
    if (isPrivateIP(this.vip)) {
      const s = await this.get(`/servers/${server}`);
      const nets = list(s, 'server', 'private_net');
      if (nets.length === 0) throw new PlatformError(`private VIP (alias IP) ${this.vip}, but no private network is attached to server ${server}`);
      const ip = parseIP(this.vip)!;
      for (const n of nets) {
        const id = field(n, 'network');
        if (typeof id !== 'number') continue;
        const net = await this.get(`/networks/${id}`);
        const range = parsePrefix(String(field(net, 'network', 'ip_range') ?? ''));
        if (range && prefixContains(range, ip)) {
          network = id;
          this.log.info({ vip: this.vip, networkID: id }, 'found the private network for the VIP (alias IP)');
          break;
        }
      }
    }
    this.ids = { server, network };
    return this.ids;
  }

  async acquire(): Promise<void> {
    const { server, network } = await this.identify();
    if (network > 0) {
      for (const s of await this.all('/servers', 'servers')) {
        const id = field(s, 'id');
        if (typeof id !== 'number') continue;
        const holds = list(s, 'private_net').some((n) => field(n, 'network') === network && list(n, 'alias_ips').includes(this.vip));
        if (!holds) continue;
        await this.post(`/servers/${id}/actions/change_alias_ips`, { network, alias_ips: [] });
        this.log.info({ vip: this.vip, server: id, networkID: network }, 'cleared previous Hetzner Cloud IP alias');
        break;
      }
      await this.post(`/servers/${server}/actions/change_alias_ips`, { network, alias_ips: [this.vip] });
      this.log.info({ vip: this.vip, server, networkID: network }, 'assigned Hetzner Cloud IP alias');
      return;
    }
    for (const f of await this.all('/floating_ips', 'floating_ips')) {
      if (field(f, 'ip') !== this.vip) continue;
      const id = field(f, 'id');
      if (typeof id !== 'number') continue;
      await this.post(`/floating_ips/${id}/actions/assign`, { server });
      this.floating = id;
      this.log.info({ vip: this.vip, server }, 'assigned Hetzner Cloud floating IP');
      return;
    }
    throw new PlatformError(`Hetzner Cloud: ${this.vip} is neither a floating IP nor an alias IP of server ${server}'s networks`);
  }

  async release(): Promise<void> {
    if (!this.ids) return;
    const { server, network } = this.ids;
    if (network > 0) {
      await this.post(`/servers/${server}/actions/change_alias_ips`, { network, alias_ips: [] });
      this.log.info({ vip: this.vip, server, networkID: network }, 'unassigned Hetzner Cloud alias IP');
      return;
    }
    // a floating IP is not unassigned: whoever wins next takes it over
    if (this.floating > 0) this.log.info({ vip: this.vip, server, floatingIP: this.floating }, 'left the Hetzner Cloud floating IP to the next owner');
    this.floating = 0;
  }
}
