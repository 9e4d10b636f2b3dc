// wireguard: no IFLA_INFO_DATA; the device is configured over generic netlink (src/netlink/wireguard.ts).
import { registerLinkKind } from '../drivers.js';

registerLinkKind<Record<string, never>>({ kind: 'wireguard' });
