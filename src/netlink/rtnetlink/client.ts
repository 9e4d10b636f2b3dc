// RtnlClient: rtnetlink over one NetlinkConnection: typed dumps plus request
// execution (single or pipelined).
import { NETLINK_ROUTE } from '../constants.js';
import { NetlinkConnection, type ConnectionOptions, type Outcome, type Request } from '../connection.js';
import type { OpenOptions } from '../transport.js';
import { decodeAddress, dumpAddressesRequest, type AddressMessage } from './address.js';
import { decodeLink, dumpLinksRequest, type LinkMessage } from './link.js';
import { decodeRoute, dumpRoutesRequest, type RouteDumpFilter, type RouteMessage } from './route.js';
import { RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE } from './constants.js';
import type { Family } from '../../net/ip.js';
import './drivers/index.js';

export class RtnlClient {
  constructor(readonly conn: NetlinkConnection) {}

  static open(options: OpenOptions & ConnectionOptions = {}): RtnlClient {
    return new RtnlClient(NetlinkConnection.open(NETLINK_ROUTE, options));
  }

  get stats(): NetlinkConnection['stats'] {
    return this.conn.stats;
  }

  async listLinks(): Promise<LinkMessage[]> {
    const messages = await this.conn.dump(dumpLinksRequest());
    const out: LinkMessage[] = [];
    for (const m of messages) if (m.type === RTM_NEWLINK) out.push(decodeLink(m));
    return out;
  }

  async listAddresses(family?: Family): Promise<AddressMessage[]> {
    const messages = await this.conn.dump(dumpAddressesRequest(family));
    const out: AddressMessage[] = [];
    for (const m of messages) {
      if (m.type !== RTM_NEWADDR) continue;
      const a = decodeAddress(m);
      if (a) out.push(a);
    }
    return out;
  }

  async listRoutes(filter: RouteDumpFilter = {}): Promise<RouteMessage[]> {
    const messages = await this.conn.dump(dumpRoutesRequest(filter));
    const out: RouteMessage[] = [];
    for (const m of messages) {
      if (m.type !== RTM_NEWROUTE) continue;
      const r = decodeRoute(m);
      if (r) out.push(r);
    }
    return out;
  }

  exec(request: Request): Promise<void> {
    return this.conn.exec(request);
  }

  execAll(requests: readonly Request[]): Promise<Outcome[]> {
    return this.conn.execAll(requests);
  }

  close(): void {
    this.conn.close();
  }
}
