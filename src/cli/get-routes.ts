// netcfg get routes [--watch]: every route of every table, streamed from the
// kernel as it is dumped (a host with a full BGP table has a million; none is
// held), with talosctl's RouteStatus columns. The daemon keeps statuses only of
// the routes netcfg manages, so routes never come from it. --watch subscribes
// to route events itself: no daemon needed.
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { NetlinkConnection } from '../netlink/connection.js';
import type { NlMessage } from '../netlink/message.js';
import { RTM_DELROUTE, RTM_NEWROUTE, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE } from '../netlink/rtnetlink/constants.js';
import { decodeRoute, dumpRoutesRequest } from '../netlink/rtnetlink/route.js';
import { routeStatus } from '../controllers/status/route-status.js';
import { routeId } from '../resources/network/ids.js';
import { NS, type Resource } from '../resources/resource.js';
import { T, type RouteStatus } from '../resources/network/types.js';
import { columnWidths, render, tableRow, tableRows, type OutputFormat } from './output.js';
import type { ViewDefinition } from './views.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';

/** Rows collected before the column widths are fixed (later rows widen them as needed). */
const ALIGN_ROWS = 1000;

interface Sink {
  route(r: Resource<RouteStatus>, mark?: string): void;
  end(): void;
}

function resource(status: RouteStatus): Resource<RouteStatus> {
  const now = Date.now();
  return { metadata: { namespace: NS.network, type: T.RouteStatus, id: routeId(status), version: 1, phase: 'running', owner: 'RouteStatusController', finalizers: [], created: now, updated: now }, spec: status };
}

function sink(view: ViewDefinition<RouteStatus>, node: string, format: OutputFormat, print: (s: string) => void, watch: boolean): Sink {
  const base = { node, displayType: view.displayType, columns: view.columns };
  if (format !== 'table') {
    let first = true;
    return {
      route: (r, mark) => {
        const doc = render({ ...base, resources: [r] }, format);
        if (watch && mark !== undefined) print(format === 'json' ? JSON.stringify({ event: mark === '-' ? 'destroyed' : 'created', ...JSON.parse(doc) }) : `# ${mark === '-' ? 'destroyed' : 'created'}\n${doc}\n---`);
        else {
          if (format === 'yaml' && !first) print('---');
          print(doc);
        }
        first = false;
      },
      end: () => {},
    };
  }
  const header = tableRows({ ...base, resources: [] })[0]!;
  const head = watch ? ['*', ...header] : header;
  let pending: string[][] | undefined = [head];
  let widths: number[] = [];
  const flush = () => {
    if (!pending) return;
    widths = columnWidths(pending, widths);
    for (const row of pending) print(tableRow(row, widths));
    pending = undefined;
  };
  return {
    route: (r, mark) => {
      const cells = tableRows({ ...base, resources: [r] })[1]!;
      const row = watch ? [mark ?? '+', ...cells] : cells;
      if (pending) {
        pending.push(row);
        if (pending.length > ALIGN_ROWS) flush();
        return;
      }
      print(tableRow(row, columnWidths([row], widths)));
    },
    end: flush,
  };
}

/** Lines written in blocks of about 64 KiB (a million single-line writes would take most of the time). */
function buffered(print: (s: string) => void): { print: (s: string) => void; flush: () => void } {
  let lines: string[] = [];
  let size = 0;
  const flush = () => {
    if (lines.length === 0) return;
    print(lines.join('\n'));
    lines = [];
    size = 0;
  };
  return {
    print: (s) => {
      lines.push(s);
      size += s.length + 1;
      if (size >= 64 * 1024) flush();
    },
    flush,
  };
}

/** Streams every route; with `watch`, then every change until interrupted. */
export async function streamRoutes(kernel: RtnlClient, netns: string | undefined, view: ViewDefinition<RouteStatus>, node: string, format: OutputFormat, printLine: (s: string) => void, warn: (s: string) => void, watch: boolean): Promise<void> {
  const output = buffered(printLine);
  const print = output.print;
  const names = new Map<number, string>();
  for (const l of await kernel.listLinks()) names.set(l.index, l.name);
  const linkName = (i: number) => names.get(i) ?? '';
  const out = sink(view, node, format, print, watch);
  const show = (m: NlMessage, mark?: string) => {
    const r = decodeRoute(m);
    if (!r || r.type === 0) return;
    out.route(resource(routeStatus(r, linkName)), mark);
  };
  // events first, so nothing that happens during the listing is lost
  let events: NetlinkConnection | undefined;
  const queued: Array<{ m: NlMessage; mark: string }> = [];
  let listing = true;
  if (watch) {
    events = NetlinkConnection.open(NETLINK_ROUTE, { netns, receiveBuffer: 4 << 20 });
    events.onNotification = (m) => {
      if (m.type !== RTM_NEWROUTE && m.type !== RTM_DELROUTE) return;
      const mark = m.type === RTM_NEWROUTE ? ' ' : '-';
      if (listing) queued.push({ m: { ...m, buf: Buffer.from(m.buf.subarray(m.offset, m.offset + m.length)), offset: 0 }, mark });
      else {
        show(m, mark);
        output.flush();
      }
    };
    events.onOverrun = () => warn('netcfg: route events were lost (ENOBUFS); run get routes again for a full listing');
    events.subscribe([RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE]);
  }
  const { interrupted } = await kernel.conn.dumpEach(dumpRoutesRequest(), (m) => {
    if (m.type === RTM_NEWROUTE) show(m, watch ? '+' : undefined);
  });
  out.end();
  output.flush();
  if (interrupted) warn('netcfg: the routing tables changed during the listing; it may be inconsistent (run it again)');
  if (!events) return;
  listing = false;
  for (const q of queued) show(q.m, q.mark);
  output.flush();
  await new Promise<void>((resolve) => {
    const stop = () => {
      events?.close();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
