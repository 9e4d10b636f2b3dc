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

export const HELP = `netcfg: make a Linux host's network match a Talos-style machine config

Usage:
  netcfg apply FILE [--netns NAME] [--dry-run] [--state-dir DIR] [-o text|json]
  netcfg get links|addresses|routes [-o table|yaml|json] [--netns NAME]
  netcfg validate FILE
  netcfg demo [--keep]
  netcfg help [COMMAND]

Commands:
  apply     Apply machine.network from FILE to the kernel. Only what netcfg created
            is ever changed or removed; entries removed from FILE are undone.
  get       Show kernel state as resources (talosctl-style columns).
  validate  Check FILE and report every problem with file:line:col; no kernel access.
  demo      Create the network namespace "netcfg-demo" (veth to a "router"
            namespace), apply an example config to it, show the result, and
            remove it again.

Options:
  --netns NAME      Work on the named network namespace (/run/netns/NAME).
  --dry-run         Print the planned changes; touch nothing.
  --state-dir DIR   Where netcfg records what it applied (default /var/lib/netcfg).
  -o, --output FMT  Output format.
  --log-level LVL   fatal|error|warn|info|debug|trace|silent (default warn; logs go to stderr).
  -h, --help        Show help.
  --version         Show the version.

Exit codes: 0 success, 1 the kernel refused something (see the errors), 2 usage
error or invalid configuration (nothing was changed).

Examples:
  netcfg validate machine.yaml
  netcfg apply --dry-run machine.yaml
  netcfg apply --netns blue machine.yaml
  ip netns exec blue netcfg apply machine.yaml
  netcfg get routes -o yaml --netns blue
`;

export const COMMAND_HELP: Record<string, string> = {
  apply: `Usage: netcfg apply FILE [--netns NAME] [--dry-run] [--state-dir DIR] [-o text|json]

Validates FILE, then makes links (up, MTU), addresses and routes match
machine.network.interfaces. Prints one line per change:
  + added   ~ changed   - removed (undone because it left the config)
and a summary "N added, N changed, N removed (N netlink writes)". Applying the
same file twice makes no changes and sends no netlink write requests.

Objects netcfg did not create are never modified or deleted; if a configured
address or route replaces an existing one, removing it from the config puts the
old one back. Links that do not exist yet are reported as pending.

Examples:
  netcfg apply machine.yaml
  netcfg apply --dry-run -o json machine.yaml
  netcfg apply --netns blue --state-dir /tmp/state machine.yaml
`,
  get: `Usage: netcfg get links|addresses|routes [-o table|yaml|json] [--netns NAME]

Lists kernel state as resources with talosctl's columns.

Examples:
  netcfg get links
  netcfg get addresses --netns blue
  netcfg get routes -o yaml
`,
  validate: `Usage: netcfg validate FILE

Checks FILE without touching the kernel. Every problem is reported at once as
FILE:LINE:COL: error: YAML.PATH: what is wrong and what was expected.
Exit code 0 when valid, 2 when not.
`,
  demo: `Usage: netcfg demo [--keep]

Creates the network namespaces "netcfg-demo" and "netcfg-demo-router" joined by a
veth pair (demo0 <-> demo1), applies an embedded example config to demo0, shows links, addresses and routes,
re-applies to show that nothing changes, and deletes the namespaces (unless --keep).
Needs root and iproute2.
`,
};
