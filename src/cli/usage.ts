// Usage errors (exit 2) and help text.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** How long `apply --try` waits for `netcfg confirm` by default. */
export const DEFAULT_TRY_TIMEOUT = '120s';

export const HELP = `netcfg: make a Linux host's network match a Talos-style machine config

Usage:
  netcfg apply FILE [--netns NAME] [--dry-run] [--try [--timeout 120s]] [--state-dir DIR] [-o text|json]
  netcfg confirm | rollback [--netns NAME] [--state-dir DIR]
  netcfg get KIND [-o table|yaml|json] [--netns NAME] [-c FILE | --watch]
  netcfg daemon [-c FILE] [--netns NAME] [--state-dir DIR] [--socket PATH] [--discovery-ttl DUR]
                [--etcd-endpoints URL,…] [--etcd-ca F --etcd-cert F --etcd-key F] [--vip-lease-ttl 3s]
                [--kubespan-interval 30s]
  netcfg get affiliates|members|identities [-o table|yaml|json] [--watch] [--namespace NS]
  netcfg reset-identity [--netns NAME] [--state-dir DIR]
  netcfg discovery-server --addr HOST:PORT [--tls-cert F --tls-key F] [--redirect-endpoint H:P]
                    [--snapshot-path F [--snapshot-interval 10m]] [--gc-interval 1m] [--metrics-addr H:P]
  netcfg status [--netns NAME] [-o text|json]
  netcfg validate FILE
  netcfg schema
  netcfg gen wgkey | wgpubkey < KEY | wireguard --cidr CIDR --controlplane IP… [--worker IP…] [--output-dir DIR]
  netcfg demo [--keep]
  netcfg help [COMMAND]
  netcfg completion bash|zsh

Commands:
  apply     Apply machine.network from FILE to the kernel. Only what netcfg created
            is ever changed or removed; entries removed from FILE are undone.
  confirm   Keep the config of a pending \`apply --try\`.
  rollback  Restore the previous config (during a try: the one before it).
  get       Show resources (talosctl-style columns). Kernel state: links, addresses,
            routes. What the config layers produce: linkspecs, addressspecs,
            routespecs, hostnamespecs, resolverspecs, operatorspecs, resolvers, hostname,
            timeservers. With a daemon running (and no -c): its live resources,
            also networkstatus, operatorstatuses and vipstatus (per VIP: owner,
            this node or not, lease TTL, last renewal, why not held); --watch
            streams changes (+ created, - destroyed).
  daemon    Run in the foreground for one namespace: apply -c FILE (or the config
            applied last), repair drift, configure links that appear later, run
            DHCPv4/DHCPv6 on links with dhcp: true, hold a shared vip: when this
            node wins its etcd election (announced by gratuitous ARP / unsolicited
            NA; dropped as soon as the etcd lease cannot be proven alive), and
            serve apply/get/status on a control socket (DIR/SCOPE.sock, mode 0600).
            SIGTERM hands a held VIP over, then stops, leaving the rest of the
            network as it is.
            With cluster.discovery enabled it registers this node with the
            discovery service and keeps affiliates and members (get affiliates,
            members; --discovery-ttl sets the affiliate TTL, default 30m).
  reset-identity
            Forget this node's identity (netcfg get identities); a running
            daemon leaves discovery under the old one and joins under a new one.
  discovery-server
            A self-hostable discovery service (the Talos discovery API, h2c and
            TLS on one port); it only ever holds what nodes encrypted.
  status    Whether the network is ready: address, connectivity (a default route),
            hostname, etc files; from the daemon, or once from the kernel. Exit 0
            when ready, 1 when not.
  validate  Check FILE and report every problem with file:line:col; no kernel access.
  schema    Print the JSON Schema of the accepted config (for editors).
  gen       WireGuard keys (wgkey, wgpubkey as \`wg genkey\`/\`wg pubkey\`), and one
            config per node for a WireGuard network: control planes listen on
            51111, every node peers with every control plane, keepalive 5s.
  completion
            Print a shell completion script (commands, options, resource kinds):
            source <(netcfg completion bash), or for zsh after compinit
            source <(netcfg completion zsh).
  demo      Create the network namespace "netcfg-demo" (veth to a "router"
            namespace), apply an example config to it, show the result, and
            remove it again.

Options:
  --netns NAME      Work on the named network namespace (/run/netns/NAME).
  --dry-run         Print the planned changes; touch nothing.
  --state-dir DIR   Where netcfg records what it applied (default /var/lib/netcfg).
  --etc-dir DIR     Where resolv.conf and hosts go (default /etc for the machine's own namespace,
                    /etc/netns/NAME for a named one; none for an unnamed one).
  --cmdline FILE    Kernel command line to read ip=, bond=, vlan=, net.ifnames=… from
                    (default /proc/cmdline, only for the machine's own network namespace).
  --sysfs-root DIR  sysfs showing the links worked on, for driver/pciID/busPath and
                    predictable names (default /sys, read only without --netns: /sys
                    shows the namespace that mounted it; a PCI device's vendor and
                    product IDs are read from its bus/pci/devices entry either way).
                    net.ifnames=0 on the kernel command line turns renaming off.
  --uts PATH        UTS namespace (e.g. /proc/PID/ns/uts) whose hostname to set when
                    configuring another network namespace; without it the hostname
                    is only set for the machine's own namespace.
  --try             Apply, then roll back unless \`netcfg confirm\` follows within --timeout.
  --timeout DUR     How long --try waits (default 120s).
  -c, --config FILE Config for get of specs (default: the config last applied), or
                    the config a daemon starts with.
  --socket PATH     The daemon's control socket (default: next to the state file).
  --etcd-endpoints URL[,URL…]
                    daemon: etcd for VIP elections (default https://127.0.0.1:2379 with
                    kubeadm's /etc/kubernetes/pki/etcd client certificate when present,
                    else http://127.0.0.1:2379). Connections use the daemon's own
                    network namespace (use ip netns exec, not --netns, to change it).
  --etcd-ca FILE, --etcd-cert FILE, --etcd-key FILE
                    daemon: TLS for https etcd endpoints.
  --vip-lease-ttl DUR
                    daemon: the VIP election's etcd lease TTL, whole seconds >= 2
                    (default 3s). A crashed owner's VIP moves in about this long.
  -w, --watch       get: keep printing changes (needs a running daemon).
  -o, --output FMT  Output format.
  --log-level LVL   fatal|error|warn|info|debug|trace|silent (default warn, daemon info;
                    logs go to stderr: JSON lines, human-readable on a terminal).
  -h, --help        Show help.
  --version         Show the version.

Exit codes: 0 success, 1 the kernel refused something (see the errors), 2 usage
error or invalid configuration (nothing was changed).

Examples:
  netcfg validate machine.yaml
  netcfg apply --dry-run machine.yaml
  netcfg apply --netns blue machine.yaml
  ip netns exec blue netcfg apply machine.yaml
  netcfg apply --try --timeout 60s machine.yaml && netcfg confirm
  netcfg get routes -o yaml --netns blue
  netcfg daemon -c /etc/netcfg/config.yaml --log-level info
  netcfg get addresses --watch
  netcfg status -o json
  netcfg get resolverspecs -c machine.yaml
`;

export const COMMAND_HELP: Record<string, string> = {
  apply: `Usage: netcfg apply FILE [--netns NAME] [--dry-run] [--state-dir DIR] [-o text|json]

Validates FILE, then makes links (up, MTU), addresses and routes match
machine.network.interfaces. Prints one line per change:
  + added   ~ changed   - removed (undone because it left the config)
and a summary "N added, N changed, N removed (N netlink writes)". Applying the
same file twice makes no changes and sends no netlink write requests. On a
terminal, a plan of thousands of writes shows a progress line on stderr
(writes done/total and the rate), erased before the report; never with -o json
or when stderr is not a terminal.

Objects netcfg did not create are never modified or deleted; if a configured
address or route replaces an existing one, removing it from the config puts the
old one back. Links that do not exist yet are reported as pending.

Physical Ethernet links with kernel names (eth0…) get their predictable name first
(as udev would: onboard eno1, slot ens1, path enp2s0, mac enx…; the others become
altnames), shown as "~ link eth0: rename → ens1". Only where sysfs shows the links
(no --netns, or --sysfs-root), never with net.ifnames=0 on the kernel command line
(or in --cmdline FILE); names set by userspace are kept, and renames are not undone.

Examples:
  netcfg apply machine.yaml
  netcfg apply --dry-run -o json machine.yaml
  netcfg apply --netns blue --state-dir /tmp/state machine.yaml
`,
  get: `Usage: netcfg get KIND [-o table|yaml|json] [--netns NAME] [--watch] [--namespace NS]

Lists resources with talosctl's columns: kernel state (links, addresses, routes),
what the config layers produce (…specs), and, from a running daemon, cluster
discovery: members, affiliates (--namespace cluster-raw: per registry),
identities, discoveryconfigs.

Examples:
  netcfg get members
  netcfg get affiliates --namespace cluster-raw -o yaml
  netcfg get links
  netcfg get addresses --netns blue
  netcfg get routes -o yaml
`,
  'discovery-server': `Usage: netcfg discovery-server --addr HOST:PORT [--tls-cert FILE --tls-key FILE]
         [--redirect-endpoint HOST:PORT] [--snapshot-path FILE [--snapshot-interval 10m]]
         [--gc-interval 1m] [--metrics-addr HOST:PORT] [--trust-x-real-ip true|false]
         [--trust-first-x-forwarded-for true|false] [--no-rate-limit] [--log-level LVL]

A discovery service for Talos-style clusters (the sidero.discovery.server.Cluster
gRPC API): nodes publish affiliate data they encrypted with their cluster secret
and watch the others. It never holds a key. gRPC over h2c and TLS on the same
port (TLS when --tls-cert/--tls-key are given); affiliates expire after the TTL
the nodes send (at most 30m), expired data is collected every --gc-interval;
with --snapshot-path the state is saved atomically every --snapshot-interval and
at exit, and loaded at start. --redirect-endpoint sends every client to another
server. Requests are limited per client IP (15/s, burst 60), which is taken from
X-Real-IP or X-Forwarded-For when trusted (default) or the TCP peer.
SIGTERM saves a snapshot and stops it.

Examples:
  netcfg discovery-server --addr 0.0.0.0:3000
  netcfg discovery-server --addr [::]:443 --tls-cert cert.pem --tls-key key.pem --snapshot-path /var/lib/discovery/state.binpb
`,
  'reset-identity': `Usage: netcfg reset-identity [--netns NAME] [--state-dir DIR]

Forgets this node's cluster identity (netcfg get identities). A running daemon
makes a new one at once: its discovery clients delete the affiliate of the old
identity and register under the new one. Without a daemon the identity file
(STATE_DIR/SCOPE.node-identity.yaml) is removed and the next daemon makes one.
`,
  validate: `Usage: netcfg validate FILE

Checks FILE without touching the kernel. Every problem is reported at once as
FILE:LINE:COL: error: YAML.PATH: what is wrong and what was expected.
Exit code 0 when valid, 2 when not.
`,
  completion: `Usage: netcfg completion bash|zsh

Prints a completion script for the shell: commands, their options, option
values (output formats, log levels, network namespaces, files), and the
resource kinds of \`netcfg get\`. It is generated from netcfg's own tables, so
it always matches the installed version.

Examples:
  source <(netcfg completion bash)
  netcfg completion bash > /etc/bash_completion.d/netcfg
  autoload -U compinit && compinit && source <(netcfg completion zsh)
  netcfg completion zsh > "\${fpath[1]}/_netcfg"
`,
  demo: `Usage: netcfg demo [--keep]

Creates the network namespaces "netcfg-demo" and "netcfg-demo-router" joined by a
veth pair (demo0 <-> demo1), applies an embedded example config to demo0, shows links, addresses and routes,
re-applies to show that nothing changes, and deletes the namespaces (unless --keep).
Needs root and iproute2.
`,
};
