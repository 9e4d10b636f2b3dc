// The command line's tables: every option main() parses, and every command with
// the options and arguments it takes. main() parses with OPTIONS and dispatches
// through a handler per COMMANDS entry (a Record over CommandName, so a command
// cannot exist without both); `netcfg completion` is generated from the same
// tables, so it cannot drift from them.

/** The options main() hands to parseArgs. */
export const OPTIONS = {
  netns: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'state-dir': { type: 'string' },
  'etc-dir': { type: 'string' },
  'sysfs-root': { type: 'string' },
  cmdline: { type: 'string' },
  uts: { type: 'string' },
  try: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  expire: { type: 'string' },
  config: { type: 'string', short: 'c' },
  output: { type: 'string', short: 'o' },
  'log-level': { type: 'string' },
  keep: { type: 'boolean', default: false },
  socket: { type: 'string' },
  'etcd-endpoints': { type: 'string' },
  'etcd-ca': { type: 'string' },
  'etcd-cert': { type: 'string' },
  'etcd-key': { type: 'string' },
  'vip-lease-ttl': { type: 'string' },
  watch: { type: 'boolean', short: 'w', default: false },
  namespace: { type: 'string' },
  'discovery-ttl': { type: 'string' },
  'kubespan-interval': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** What an option's value is, for completion: a file, a directory, a network namespace, one of a list, or free text. */
export type ValueKind = 'file' | 'dir' | 'netns' | 'text' | { choices: readonly string[] };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One line of help per option, and what its value is (string options). */
export const OPTION_INFO: Record<OptionName, { help: string; value?: ValueKind }> = {
  netns: { help: 'work on the named network namespace', value: 'netns' },
  'dry-run': { help: 'print the planned changes, touch nothing' },
  'state-dir': { help: 'where netcfg records what it applied', value: 'dir' },
  'etc-dir': { help: 'where resolv.conf and hosts go', value: 'dir' },
  'sysfs-root': { help: 'sysfs showing the links worked on', value: 'dir' },
  cmdline: { help: 'kernel command line file to read ip=, bond=, vlan= from', value: 'file' },
  uts: { help: 'UTS namespace whose hostname to set', value: 'file' },
  try: { help: 'roll back unless netcfg confirm follows within --timeout' },
  timeout: { help: 'how long --try waits', value: 'text' },
  expire: { help: 'how long the rolled-back config may be confirmed', value: 'text' },
  config: { help: 'config file', value: 'file' },
  output: { help: 'output format', value: 'text' },
  'log-level': { help: 'log level', value: { choices: LOG_LEVELS } },
  keep: { help: 'keep the demo namespaces' },
  socket: { help: "the daemon's control socket", value: 'file' },
  'etcd-endpoints': { help: 'etcd for VIP elections (URL,…)', value: 'text' },
  'etcd-ca': { help: 'CA of the etcd endpoints', value: 'file' },
  'etcd-cert': { help: 'client certificate for etcd', value: 'file' },
  'etcd-key': { help: 'client key for etcd', value: 'file' },
  'vip-lease-ttl': { help: "the VIP election's etcd lease TTL", value: 'text' },
  watch: { help: 'keep printing changes' },
  namespace: { help: 'one of the kind’s namespaces', value: 'text' },
  'discovery-ttl': { help: 'affiliate TTL in the discovery service', value: 'text' },
  'kubespan-interval': { help: 'KubeSpan peer reconcile interval (WireGuard poll; default 30s)', value: 'text' },
  help: { help: 'show help' },
  version: { help: 'show the version' },
};

/** A command's positional arguments, for completion. */
export type ArgKind = 'file' | 'kind' | 'command' | 'shell' | 'gen';

export interface CommandInfo {
  help: string;
  /** Options of main()'s table that the command reads (besides --help). */
  options: readonly OptionName[];
  /** -o values the command accepts. */
  outputs?: readonly string[];
  /** Its positional argument. */
  arg?: ArgKind;
}

const TARGET = ['netns', 'state-dir', 'etc-dir', 'sysfs-root', 'cmdline', 'uts', 'socket', 'log-level'] as const satisfies readonly OptionName[];

/** Every command main() runs itself. `gen` and `discovery-server` parse their own options (GEN_OPTIONS, DISCOVERY_SERVER_OPTIONS). */
export const COMMANDS = {
  apply: { help: 'apply machine.network from FILE to the kernel', options: [...TARGET, 'dry-run', 'try', 'timeout', 'output'], outputs: ['text', 'json'], arg: 'file' },
  confirm: { help: 'keep the config of a pending apply --try', options: TARGET },
  rollback: { help: 'restore the previous config', options: [...TARGET, 'expire', 'output'], outputs: ['text', 'json'] },
  get: { help: 'show resources', options: [...TARGET, 'output', 'config', 'watch', 'namespace'], outputs: ['table', 'yaml', 'json'], arg: 'kind' },
  status: { help: 'whether the network is ready', options: [...TARGET, 'output'], outputs: ['text', 'json'] },
  daemon: { help: 'run in the foreground: apply, repair drift, DHCP, VIP, discovery', options: [...TARGET, 'config', 'discovery-ttl', 'kubespan-interval', 'etcd-endpoints', 'etcd-ca', 'etcd-cert', 'etcd-key', 'vip-lease-ttl'] },
  'reset-identity': { help: "forget this node's identity", options: TARGET },
  validate: { help: 'check FILE, report every problem; no kernel access', options: [], arg: 'file' },
  schema: { help: 'print the JSON Schema of the config', options: [] },
  demo: { help: 'apply an example config in a demo namespace, show it, remove it', options: ['keep'] },
  help: { help: 'show help for a command', options: [], arg: 'command' },
  completion: { help: 'print a shell completion script (bash or zsh)', options: [], arg: 'shell' },
} as const satisfies Record<string, CommandInfo>;

export type CommandName = keyof typeof COMMANDS;

/** Commands with option parsers of their own. */
export const OWN_PARSER_COMMANDS = {
  gen: { help: 'WireGuard keys and per-node WireGuard configs', arg: 'gen' },
  'discovery-server': { help: 'a self-hostable discovery service' },
} as const satisfies Record<string, { help: string; arg?: ArgKind }>;

/** `netcfg gen` subcommands, and the options of `gen wireguard`. */
export const GEN_SUBCOMMANDS = ['wgkey', 'wgpubkey', 'wireguard'] as const;
export const GEN_WIREGUARD_OPTIONS: Record<string, { help: string; value: ValueKind }> = {
  cidr: { help: 'the WireGuard network', value: 'text' },
  controlplane: { help: 'a control plane node address (repeatable)', value: 'text' },
  worker: { help: 'a worker node address (repeatable)', value: 'text' },
  'output-dir': { help: 'where the configs go', value: 'dir' },
  interface: { help: 'the WireGuard link name', value: 'text' },
};

/** The options of `netcfg discovery-server`. */
export const DISCOVERY_SERVER_OPTIONS = {
  addr: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'redirect-endpoint': { type: 'string' },
  'snapshot-path': { type: 'string' },
  'snapshot-interval': { type: 'string' },
  'gc-interval': { type: 'string' },
  'metrics-addr': { type: 'string' },
  'trust-x-real-ip': { type: 'string' },
  'trust-first-x-forwarded-for': { type: 'string' },
  'no-rate-limit': { type: 'boolean', default: false },
  'log-level': { type: 'string' },
} as const;

export const DISCOVERY_SERVER_INFO: Record<keyof typeof DISCOVERY_SERVER_OPTIONS, { help: string; value?: ValueKind }> = {
  addr: { help: 'listen address HOST:PORT', value: 'text' },
  'tls-cert': { help: 'TLS certificate', value: 'file' },
  'tls-key': { help: 'TLS key', value: 'file' },
  'redirect-endpoint': { help: 'endpoint clients are redirected to', value: 'text' },
  'snapshot-path': { help: 'snapshot file', value: 'file' },
  'snapshot-interval': { help: 'how often to save the snapshot', value: 'text' },
  'gc-interval': { help: 'how often expired entries go', value: 'text' },
  'metrics-addr': { help: 'Prometheus metrics address HOST:PORT', value: 'text' },
  'trust-x-real-ip': { help: 'take the client address from X-Real-IP', value: { choices: ['true', 'false'] } },
  'trust-first-x-forwarded-for': { help: 'take the client address from X-Forwarded-For', value: { choices: ['true', 'false'] } },
  'no-rate-limit': { help: 'no per-client rate limit' },
  'log-level': { help: 'log level', value: { choices: LOG_LEVELS } },
};

export const SHELLS = ['bash', 'zsh'] as const;
