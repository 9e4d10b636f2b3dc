// The netcfg command line.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigInvalidError, formatIssue } from '../config/issues.js';
import { StateLockedError } from '../runtime/state-file.js';
import { COMMANDS, OPTIONS, type CommandName } from './commands.js';
import { COMMAND_HELP, DEFAULT_TRY_TIMEOUT, EXIT_FAILED, EXIT_OK, EXIT_USAGE, HELP, UsageError } from './usage.js';

function usage(message: string): never {
  throw new UsageError(message);
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv: string[], print: (s: string) => void = (s) => process.stdout.write(`${s}\n`), warn: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<number> {
  try {
    // gen takes free-form lists (--controlplane IP IP …): parsed on its own
    if (argv[0] === 'gen') return await (await import('./gen.js')).runGen(argv.slice(1), print, readStdin);
    // the discovery server is a program of its own, with its own flags
    if (argv[0] === 'discovery-server' && !argv.includes('--help') && !argv.includes('-h')) return await (await import('./discovery-server.js')).runDiscoveryServer(argv.slice(1));
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
    const [command, ...rest] = positionals;
    if (values.version) {
      print(version());
      return EXIT_OK;
    }
    if (values.help || command === undefined || command === 'help') {
      const topic = command === 'help' ? rest[0] : command;
      print(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : HELP);
      return command === undefined && !values.help ? EXIT_USAGE : EXIT_OK;
    }
    const target = { netns: values.netns, stateDir: values['state-dir'], etcDir: values['etc-dir'], sysfsRoot: values['sysfs-root'], cmdline: values.cmdline, uts: values.uts, socket: values.socket };
    const vipFlags = { endpoints: values['etcd-endpoints'], ca: values['etcd-ca'], cert: values['etcd-cert'], key: values['etcd-key'], leaseTtl: values['vip-lease-ttl'] };
    if (command !== 'daemon') {
      const given = Object.entries(vipFlags).find(([, v]) => v !== undefined);
      if (given) throw new UsageError('--etcd-endpoints, --etcd-ca, --etcd-cert, --etcd-key and --vip-lease-ttl are options of `netcfg daemon`');
    }
    const extra = (n: number): void => {
      if (rest.length > n) throw new UsageError(`unexpected argument "${rest[n]}"`);
    };
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"; run netcfg --help`);
    // one handler per command of the table (a Record over its names: neither can lack the other)
    const run: Record<CommandName, () => Promise<number>> = {
      apply: async () => {
        extra(1);
        return await (await import('./apply.js')).runApply(
          {
            file: rest[0],
            netns: values.netns,
            dryRun: values['dry-run'],
            stateDir: values['state-dir'],
            output: values.output,
            logLevel: values['log-level'],
            etcDir: values['etc-dir'],
            sysfsRoot: values['sysfs-root'],
            cmdline: values.cmdline,
            uts: values.uts,
            socket: values.socket,
            tryTimeout: values.try ? (values.timeout ?? DEFAULT_TRY_TIMEOUT) : values.timeout === undefined ? undefined : usage('--timeout needs --try'),
          },
          print,
          warn,
        );
      },
      get: async () => {
        extra(1);
        return await (await import('./get.js')).runGet({ ...target, kind: rest[0], output: values.output, logLevel: values['log-level'], config: values.config, watch: values.watch, namespace: values.namespace }, print, warn);
      },
      status: async () => {
        extra(0);
        return await (await import('./status.js')).runStatus({ ...target, output: values.output, logLevel: values['log-level'] }, print);
      },
      daemon: async () => {
        extra(0);
        return await (await import('./daemon.js')).runDaemon({ ...target, config: values.config, logLevel: values['log-level'], version: version(), discoveryTtl: values['discovery-ttl'], kubespanInterval: values['kubespan-interval'], vip: vipFlags });
      },
      'reset-identity': async () => {
        extra(0);
        return await (await import('./identity.js')).runResetIdentity(target, print);
      },
      confirm: async () => {
        extra(0);
        return await (await import('./try.js')).runConfirm(target, { format: 'text', logLevel: values['log-level'], print, warn });
      },
      rollback: async () => {
        extra(0);
        return await (await import('./try.js')).runRollback(target, values.expire, values.output, { format: 'text', logLevel: values['log-level'], print, warn });
      },
      schema: async () => {
        extra(0);
        print(JSON.stringify((await import('../config/json-schema.js')).jsonSchema(), null, 2));
        return EXIT_OK;
      },
      validate: async () => {
        extra(1);
        return await (await import('./validate.js')).runValidate(rest[0], print, warn);
      },
      demo: async () => {
        extra(0);
        return await (await import('./demo.js')).runDemo(values.keep, print, warn);
      },
      help: async () => EXIT_OK, // handled above
      completion: async () => {
        extra(1);
        return (await import('./completion.js')).runCompletion(rest[0], print);
      },
    };
    return await run[command as CommandName]();
  } catch (err) {
    if (err instanceof ConfigInvalidError) {
      for (const issue of err.issues) warn(formatIssue(err.file, issue));
      const n = err.issues.filter((i) => i.severity === 'error').length;
      warn(`${err.file}: invalid configuration (${n} error${n === 1 ? '' : 's'}); nothing was changed`);
      return EXIT_USAGE;
    }
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      warn(`netcfg: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof StateLockedError) {
      warn(`netcfg: ${err.message}`);
      return EXIT_FAILED;
    }
    warn(`netcfg: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}
