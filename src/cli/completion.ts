// netcfg completion bash|zsh: a shell completion script generated from the
// command line's own tables (commands.ts) and the resource kinds of `get`
// (views.ts), so it offers exactly what main() accepts.
import { COMMANDS, DISCOVERY_SERVER_INFO, DISCOVERY_SERVER_OPTIONS, GEN_SUBCOMMANDS, GEN_WIREGUARD_OPTIONS, OPTIONS, OPTION_INFO, OWN_PARSER_COMMANDS, SHELLS, type ArgKind, type ValueKind } from './commands.js';
import { EXIT_OK, UsageError } from './usage.js';
import { VIEWS } from './views.js';

/** One option as completion sees it. */
export interface CompletionOption {
  long: string;
  short?: string;
  help: string;
  /** undefined: a flag without a value. */
  value?: ValueKind;
}

export interface CompletionCommand {
  name: string;
  help: string;
  options: CompletionOption[];
  arg?: ArgKind;
  /** For `gen wireguard`: options after a subcommand. */
  sub?: Record<string, CompletionOption[]>;
}

export interface CompletionSpec {
  commands: CompletionCommand[];
  /** Options before any command. */
  global: CompletionOption[];
  kinds: string[];
  genSubcommands: readonly string[];
  shells: readonly string[];
}

function mainOption(name: keyof typeof OPTIONS, outputs?: readonly string[]): CompletionOption {
  const def: { type: string; short?: string } = OPTIONS[name];
  const info = OPTION_INFO[name];
  const value = def.type === 'string' ? (name === 'output' && outputs ? { choices: outputs } : (info.value ?? 'text')) : undefined;
  return { long: name, help: info.help, ...(def.short ? { short: def.short } : {}), ...(value ? { value } : {}) };
}

/** Everything the scripts offer, from the command line's tables. */
export function completionSpec(): CompletionSpec {
  const help = mainOption('help');
  const commands: CompletionCommand[] = Object.entries(COMMANDS).map(([name, c]) => {
    const info: { help: string; options: readonly (keyof typeof OPTIONS)[]; outputs?: readonly string[]; arg?: ArgKind } = c;
    return { name, help: info.help, options: [...info.options.map((o) => mainOption(o, info.outputs)), help], ...(info.arg ? { arg: info.arg } : {}) };
  });
  commands.push({
    name: 'gen',
    help: OWN_PARSER_COMMANDS.gen.help,
    options: [],
    arg: 'gen',
    sub: { wireguard: Object.entries(GEN_WIREGUARD_OPTIONS).map(([long, o]) => ({ long, help: o.help, value: o.value })) },
  });
  commands.push({
    name: 'discovery-server',
    help: OWN_PARSER_COMMANDS['discovery-server'].help,
    options: [
      ...Object.entries(DISCOVERY_SERVER_OPTIONS).map(([long, def]): CompletionOption => {
        const info = DISCOVERY_SERVER_INFO[long as keyof typeof DISCOVERY_SERVER_OPTIONS];
        return { long, help: info.help, ...(def.type === 'string' ? { value: info.value ?? 'text' } : {}) };
      }),
      help,
    ],
  });
  commands.sort((a, b) => a.name.localeCompare(b.name));
  const kinds = [...new Set(VIEWS.map((v) => v.aliases[1] ?? v.aliases[0]!))];
  return { commands, global: [help, mainOption('version')], kinds, genSubcommands: GEN_SUBCOMMANDS, shells: SHELLS };
}

export function runCompletion(shell: string | undefined, print: (s: string) => void): number {
  if (shell === 'bash') print(bashCompletion(completionSpec()));
  else if (shell === 'zsh') print(zshCompletion(completionSpec()));
  else throw new UsageError(`completion needs a shell: ${SHELLS.join(' or ')}`);
  return EXIT_OK;
}

// ---- bash

const bashWords = (words: readonly string[]): string => `'${words.join(' ')}'`;
const flagsOf = (options: readonly CompletionOption[]): string[] => options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);

function bashValue(value: ValueKind): string {
  if (value === 'file') return '_netcfg_reply -f';
  if (value === 'dir') return '_netcfg_reply -d';
  if (value === 'netns') return '_netcfg_reply -W "$(_netcfg_netns)"';
  if (value === 'text') return 'return 0';
  return `_netcfg_reply -W ${bashWords(value.choices)}`;
}

function bashArg(arg: ArgKind | undefined, spec: CompletionSpec): string {
  switch (arg) {
    case 'file':
      return '_netcfg_reply -f';
    case 'kind':
      return `_netcfg_reply -W ${bashWords(spec.kinds)}`;
    case 'command':
      return `_netcfg_reply -W ${bashWords(spec.commands.map((c) => c.name))}`;
    case 'shell':
      return `_netcfg_reply -W ${bashWords(spec.shells)}`;
    case 'gen':
      return `_netcfg_reply -W ${bashWords(spec.genSubcommands)}`;
    default:
      return 'return 0';
  }
}

export function bashCompletion(spec: CompletionSpec): string {
  const valued = new Set<string>();
  for (const c of spec.commands) for (const o of [...c.options, ...Object.values(c.sub ?? {}).flat()]) if (o.value) for (const f of flagsOf([o])) valued.add(f);
  const valueCases: string[] = [];
  const commandCases: string[] = [];
  for (const c of spec.commands) {
    for (const o of c.options) if (o.value) valueCases.push(`      ${flagsOf([o]).map((f) => `'${c.name} ${f}'`).join('|')}) ${bashValue(o.value)} ;;`);
    for (const [sub, options] of Object.entries(c.sub ?? {})) for (const o of options) if (o.value) valueCases.push(`      '${c.name} ${sub} --${o.long}') ${bashValue(o.value)} ;;`);
    const subs = Object.entries(c.sub ?? {}).map(([sub, options]) => `        if [[ \${args[1]-} == ${sub} ]]; then _netcfg_reply -W ${bashWords(flagsOf(options))}; return 0; fi`);
    commandCases.push(
      [`    ${c.name})`, `      if [[ $cur == -* ]]; then`, ...subs, `        _netcfg_reply -W ${bashWords(flagsOf(c.options))}`, `      elif (( \${#args[@]} == 1 )); then`, `        ${bashArg(c.arg, spec)}`, `      fi`, `      ;;`].join('\n'),
    );
  }
  return `# bash completion for netcfg, generated by \`netcfg completion bash\` from netcfg's own command and option tables.
# Load it with:  source <(netcfg completion bash)
# or install it: netcfg completion bash > /etc/bash_completion.d/netcfg

_netcfg_netns() {
  ip netns list 2>/dev/null | cut -d' ' -f1
}

# COMPREPLY from compgen ARGS… for the word being completed (one candidate per line: names with spaces survive)
_netcfg_reply() {
  case $1 in -f | -d) compopt -o filenames 2>/dev/null ;; esac
  mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")
}

_netcfg() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=
  (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  # the words before the cursor that are not options or their values: the command and its arguments
  local valued=' ${[...valued].sort().join(' ')} '
  local -a args=()
  local i w
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w=\${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      [[ $w != *=* && $valued == *" $w "* ]] && (( i++ ))
      continue
    fi
    args+=("$w")
  done
  local cmd=\${args[0]-}

  # the value of an option
  if [[ -n $cmd && $valued == *" $prev "* ]]; then
    local key="$cmd $prev"
    [[ $cmd == gen ]] && key="$cmd \${args[1]-} $prev"
    case $key in
${valueCases.join('\n')}
    esac
    return 0
  fi

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      _netcfg_reply -W ${bashWords(flagsOf(spec.global))}
    else
      _netcfg_reply -W ${bashWords(spec.commands.map((c) => c.name))}
    fi
    return 0
  fi

  case $cmd in
${commandCases.join('\n')}
  esac
  return 0
}

complete -F _netcfg netcfg`;
}

// ---- zsh

/** Text inside a zsh single-quoted word, with _arguments' brackets escaped. */
const zq = (s: string): string => s.replace(/([[\]\\])/g, '\\$1').replace(/'/g, `'\\''`);

function zshValue(value: ValueKind, what: string): string {
  if (value === 'file') return `:${what}:_files`;
  if (value === 'dir') return `:${what}:_files -/`;
  if (value === 'netns') return `:${what}:_netcfg_netns`;
  if (value === 'text') return `:${what}: `;
  return `:${what}:(${value.choices.join(' ')})`;
}

function zshOption(o: CompletionOption): string {
  const value = o.value ? zshValue(o.value, zq(o.long)) : '';
  if (o.short) return `'(-${o.short} --${o.long})'{-${o.short},--${o.long}}'[${zq(o.help)}]${value}'`;
  return `'--${o.long}[${zq(o.help)}]${value}'`;
}

function zshArg(arg: ArgKind | undefined, spec: CompletionSpec): string[] {
  switch (arg) {
    case 'file':
      return [`'1:config file:_files'`];
    case 'kind':
      return [`'1:resource kind:(${spec.kinds.join(' ')})'`];
    case 'command':
      return [`'1:command:(${spec.commands.map((c) => c.name).join(' ')})'`];
    case 'shell':
      return [`'1:shell:(${spec.shells.join(' ')})'`];
    case 'gen':
      return [`'1:what:(${spec.genSubcommands.join(' ')})'`, `'*::option:_netcfg_gen'`];
    default:
      return [];
  }
}

export function zshCompletion(spec: CompletionSpec): string {
  const described = spec.commands.map((c) => `    '${zq(c.name)}:${c.help.replace(/'/g, `'\\''`)}'`);
  const cases = spec.commands.map((c) => [`        ${c.name})`, `          _arguments -s \\`, ...[...c.options.map(zshOption), ...zshArg(c.arg, spec)].map((x) => `            ${x} \\`), `          ;;`].join('\n'));
  const gen = spec.commands.find((c) => c.name === 'gen');
  const genSubs = Object.entries(gen?.sub ?? {}).map(([sub, options]) => [`    ${sub})`, `      _arguments \\`, ...options.map((o) => `        ${zshOption(o)} \\`), `      ;;`].join('\n'));
  return `#compdef netcfg
# zsh completion for netcfg, generated by \`netcfg completion zsh\` from netcfg's own command and option tables.
# Load it with:  source <(netcfg completion zsh)     (after compinit)
# or install it: netcfg completion zsh > "\${fpath[1]}/_netcfg"

_netcfg_netns() {
  local -a names
  names=(\${(f)"$(ip netns list 2>/dev/null | cut -d' ' -f1)"})
  _describe 'network namespace' names
}

_netcfg_gen() {
  case $words[1] in
${genSubs.join('\n')}
  esac
}

_netcfg() {
  local curcontext=$curcontext state line
  local -a commands
  commands=(
${described.join('\n')}
  )
  _arguments -C \\
    ${spec.global.map(zshOption).join(' \\\n    ')} \\
    '1:command:->command' \\
    '*::argument:->argument'
  case $state in
    command)
      _describe -t commands 'netcfg command' commands
      ;;
    argument)
      curcontext=\${curcontext%:*:*}:netcfg-$words[1]:
      case $words[1] in
${cases.join('\n')}
      esac
      ;;
  esac
}

if [[ $funcstack[1] == _netcfg ]]; then
  _netcfg "$@"
else
  compdef _netcfg netcfg
fi`;
}
