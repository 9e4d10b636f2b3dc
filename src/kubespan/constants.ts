// KubeSpan's fixed values (Talos pkg/machinery/constants, spec §7.2 and §7.6).

export const KUBESPAN_LINK = 'kubespan';
export const KUBESPAN_PORT = 51820;
export const KUBESPAN_DEFAULT_MTU = 1420;
export const KUBESPAN_MIN_MTU = 1280;
/** WireGuard's own packets carry this mark (the link's fwmark). */
export const KUBESPAN_FIREWALL_MARK = 0x20;
/** Traffic for the tunnel: routed by table 180. */
export const KUBESPAN_FORCE_MARK = 0x40;
export const KUBESPAN_MARK_MASK = 0x60;
export const KUBESPAN_ROUTING_TABLE = 180;
export const KUBESPAN_RULE_PRIORITY = 32500;
export const KUBESPAN_KEEPALIVE_MS = 25_000;
/** The manager's reconcile tick. */
export const KUBESPAN_PEER_RECONCILE_MS = 30_000;
/** A new endpoint gets this long to complete a handshake before it counts as down. */
export const ENDPOINT_CONNECTION_TIMEOUT_MS = 15_000;
/** WireGuard's handshake timeout + rekey timeout + rekey attempt time (180 + 5 + 90 s). */
export const PEER_DOWN_INTERVAL_MS = 275_000;

/** Talos ULA purposes (byte 7 of the prefix). */
export const ULA_PURPOSE = { bootstrap: 0x01, kubespan: 0x02, sideroLink: 0x03, virtualSideroLink: 0x04 } as const;
