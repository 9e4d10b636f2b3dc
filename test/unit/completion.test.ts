// netcfg completion bash|zsh: the scripts are generated from the command line's
// own tables (so they offer exactly what main() accepts), bash accepts the bash
// one and completes commands, options, option values and resource kinds when
// its completion function is driven as readline would (COMP_WORDS/COMP_CWORD);
// zsh, where installed, completes the same on a pseudo-terminal.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, OPTIONS, OWN_PARSER_COMMANDS } from '../../src/cli/commands.js';
import { completionSpec } from '../../src/cli/completion.js';
import { main } from '../../src/cli/main.js';
import { HELP } from '../../src/cli/usage.js';
import { findView } from '../../src/cli/views.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-completion-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const zshDriver = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/completion/zsh-complete.zsh');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => {
      out += `${s}\n`;
    },
    (s) => {
      err += `${s}\n`;
    },
  );
  return { code, out, err };
}

async function script(shell: 'bash' | 'zsh'): Promise<string> {
  const r = await cli(['completion', shell]);
  expect(r.code, r.err).toBe(0);
  const file = path.join(dir, `netcfg.${shell}`);
  fs.writeFileSync(file, r.out);
  return file;
}

/** Runs the bash completion function for `line` (the cursor at its end; a trailing space starts a new word). */
function bashComplete(file: string, line: string): string[] {
  const words = line.split(' ');
  const program = `source ${JSON.stringify(file)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_netcfg
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('netcfg completion', () => {
  it('is generated from the tables main() parses and dispatches with', async () => {
    const spec = completionSpec();
    const names = spec.commands.map((c) => c.name);
    expect(sorted(names)).toEqual(sorted([...Object.keys(COMMANDS), ...Object.keys(OWN_PARSER_COMMANDS)]));
    // every option main() parses is offered by some command (or before one)
    const offered = new Set(spec.commands.flatMap((c) => c.options.map((o) => o.long)).concat(spec.global.map((o) => o.long)));
    expect(Object.keys(OPTIONS).filter((o) => !offered.has(o))).toEqual([]);
    // every kind offered is one `get` accepts
    expect(spec.kinds.filter((k) => !findView(k))).toEqual([]);
    expect(spec.kinds).toEqual(expect.arrayContaining(['links', 'addresses', 'routes', 'routespecs', 'affiliates']));
    // the help lists every command
    for (const name of names) expect(HELP, name).toMatch(new RegExp(`^  netcfg (.* )?${name}( |$)`, 'm'));
    // each command of the table runs (its --help), and a name outside it is refused
    for (const name of Object.keys(COMMANDS)) expect((await cli([name, '--help'])).code, name).toBe(0);
    const bogus = await cli(['bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toContain('unknown command "bogus"');
    const noShell = await cli(['completion', 'fish']);
    expect(noShell.code).toBe(2);
    expect(noShell.err).toContain('completion needs a shell: bash or zsh');
  });

  it('bash accepts the script and completes commands, options, values and resource kinds', async () => {
    const file = await script('bash');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(file)}; complete -p netcfg`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('complete -F _netcfg netcfg');

    expect(bashComplete(file, 'netcfg ap')).toEqual(['apply']);
    expect(bashComplete(file, 'netcfg ')).toEqual(sorted(completionSpec().commands.map((c) => c.name)));
    expect(bashComplete(file, 'netcfg get ro')).toEqual(['routes', 'routespecs', 'routingrules', 'routingrulespecs']);
    // options and their values do not count as the kind
    expect(bashComplete(file, 'netcfg get --netns blue -o yaml addr')).toEqual(['addresses', 'addressspecs']);
    expect(bashComplete(file, 'netcfg get routes ')).toEqual([]);
    expect(bashComplete(file, 'netcfg apply --dr')).toEqual(['--dry-run']);
    expect(bashComplete(file, 'netcfg apply -o ')).toEqual(['json', 'text']);
    expect(bashComplete(file, 'netcfg get -o ')).toEqual(['json', 'table', 'yaml']);
    expect(bashComplete(file, 'netcfg status --log-level d')).toEqual(['debug']);
    expect(bashComplete(file, 'netcfg gen w')).toEqual(['wgkey', 'wgpubkey', 'wireguard']);
    expect(bashComplete(file, 'netcfg gen wireguard --c')).toEqual(['--cidr', '--controlplane']);
    expect(bashComplete(file, 'netcfg completion ')).toEqual(['bash', 'zsh']);
    expect(bashComplete(file, 'netcfg discovery-server --tls')).toEqual(['--tls-cert', '--tls-key']);
    expect(bashComplete(file, 'netcfg --vers')).toEqual(['--version']);
    // files for apply's config and directories for --state-dir
    fs.writeFileSync(path.join(dir, 'machine.yaml'), 'machine: {}\n');
    fs.mkdirSync(path.join(dir, 'statedir'), { recursive: true });
    expect(bashComplete(file, `netcfg apply ${dir}/mach`)).toEqual([`${dir}/machine.yaml`]);
    expect(bashComplete(file, `netcfg apply --state-dir ${dir}/s`)).toEqual([`${dir}/statedir`]);
  });

  const zsh = spawnSync('sh', ['-c', 'command -v zsh'], { encoding: 'utf8' }).stdout.trim();
  it(`zsh completes commands, option values and resource kinds ${zsh ? '(zsh on a pseudo-terminal)' : '(zsh is not installed: the script text only)'}`, async () => {
    const file = await script('zsh');
    const text = fs.readFileSync(file, 'utf8');
    const spec = completionSpec();
    expect(text.startsWith('#compdef netcfg\n')).toBe(true);
    expect(text).toContain(`'1:resource kind:(${spec.kinds.join(' ')})'`);
    for (const c of spec.commands) expect(text, c.name).toMatch(new RegExp(`\\n {4}'${c.name}:`));
    expect(text).toContain("'(-o --output)'{-o,--output}'[output format]:output:(table yaml json)'");
    if (!zsh) {
      console.warn('zsh is not installed: the zsh completion was checked as text only, not run');
      return;
    }
    const syntax = spawnSync(zsh, ['-n', file], { encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
    const complete = (line: string): string[] => {
      const r = spawnSync(zsh, ['-f', zshDriver, file, line], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(complete('netcfg get ro')).toEqual(['routes', 'routespecs', 'routingrules', 'routingrulespecs']);
    expect(complete('netcfg apply -o ')).toEqual(['json', 'text']);
    expect(complete('netcfg gen w')).toEqual(['wgkey', 'wgpubkey', 'wireguard']);
    expect(complete('netcfg sta')).toEqual(['status']);
  }, 60_000);
});
