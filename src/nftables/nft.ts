// One nftables table that netcfg owns whole, through the `nft` tool (Debian
// package nftables) in JSON mode. Only that table is ever listed, replaced or
// deleted, by its family and name; other tables (and the rest of the ruleset)
// are never read or touched.
//
// Why `nft -j -f -` with "add table; delete table; <new table>": the JSON batch
// is one netlink transaction, so the table is replaced atomically whether it
// existed or not (adding an existing table is a no-op), with no window where
// packets see a half-built table and no parsing of text rulesets; JSON also
// needs no quoting of names, and `nft -j list table` answers in the same
// object shapes, so checking the kernel against the description is one
// comparison. A table that is already as described is not written at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netnsPath } from '../netlink/transport.js';
import { lazy } from '../util/lazy.js';
import { canonical, canonicalSpec, removeCommands, replaceCommands, sameTable, type CanonicalTable } from './render.js';
import type { NftFamily, NftTableSpec } from './types.js';

/** nft's first error line without its location ("internal:0:0-0: Error: …"). */
function firstError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const line = lines.find((l) => l.includes('Error:')) ?? lines[0] ?? '';
  return line.replace(/^\S+:\d+:\d+-\d+: /, '').replace(/^Error: /, '');
}

export class NftError extends Error {
  constructor(
    readonly what: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`nft: ${what}: ${firstError(stderr) || `exit code ${exitCode}`}`);
    this.name = 'NftError';
  }
}

// loaded on first use: most hosts never run nft, and the module costs the daemon's start-up
const childProcess = lazy<typeof import('node:child_process')>('node:child_process');

/** Runs nft with arguments; rejects with NftError on failure. */
export type NftRunner = (args: readonly string[]) => Promise<string>;

/** nft in the given network namespace (a name under /run/netns or a path), or in this process's. */
export function nftRunner(netns?: string, binary = 'nft'): NftRunner {
  const [cmd, prefix] = netns === undefined ? [binary, []] : ['nsenter', [`--net=${netnsPath(netns)}`, binary]];
  return (args) =>
    new Promise((resolve, reject) => {
      const child = childProcess().execFile(cmd, [...prefix, ...args], { maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        if (e.code === 'ENOENT') reject(new NftError(args.join(' '), undefined, `${cmd} is not installed (Debian package ${cmd === 'nft' ? 'nftables' : 'util-linux'})`));
        else reject(new NftError(args.join(' '), typeof e.code === 'number' ? e.code : undefined, stderr || e.message));
      });
      child.stdin?.end();
    });
}

type ListItem = { [object: string]: { [key: string]: never } };

export type ApplyResult = 'created' | 'replaced' | 'unchanged';

export class NftTables {
  /** nft invocations that changed the ruleset. */
  writes = 0;

  constructor(private readonly run: NftRunner) {}

  /** The table's objects as `nft -j list table` gives them, or undefined when there is no such table. */
  async list(family: NftFamily, name: string): Promise<ListItem[] | undefined> {
    let text: string;
    try {
      text = await this.run(['-j', 'list', 'table', family, name]);
    } catch (err) {
      if (err instanceof NftError && /No such file or directory/.test(err.stderr)) return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as { nftables?: ListItem[] };
    return (parsed.nftables ?? []).filter((item) => !('metainfo' in item));
  }

  /** The table in canonical form, or undefined when it is not there. */
  async current(family: NftFamily, name: string): Promise<CanonicalTable | undefined> {
    const items = await this.list(family, name);
    return items ? canonical(items) : undefined;
  }

  /** Whether the kernel holds the table exactly as described. */
  async matches(spec: NftTableSpec): Promise<boolean> {
    const have = await this.current(spec.family, spec.name);
    return have !== undefined && sameTable(have, canonicalSpec(spec));
  }

  /** Makes the table exactly the description, in one transaction; nothing is written when it already is. */
  async apply(spec: NftTableSpec): Promise<ApplyResult> {
    const have = await this.current(spec.family, spec.name);
    const want = canonicalSpec(spec);
    if (have && sameTable(have, want)) return 'unchanged';
    await this.batch(JSON.stringify(replaceCommands(spec)), `replace table ${spec.family} ${spec.name}`);
    return have ? 'replaced' : 'created';
  }

  /** Deletes the table; false when it was not there (nothing written). */
  async remove(family: NftFamily, name: string): Promise<boolean> {
    if ((await this.list(family, name)) === undefined) return false;
    await this.batch(JSON.stringify(removeCommands(family, name)), `delete table ${family} ${name}`);
    return true;
  }

  /**
   * Runs one JSON batch. It goes through a private temporary file: nft opens
   * "-" as /dev/stdin, which a socket (node's child stdio) cannot be, and a
   * command-line argument is limited to 128 KiB (large sets).
   */
  private async batch(json: string, what: string): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-nft-'));
    const file = path.join(dir, 'batch.json');
    try {
      fs.writeFileSync(file, json, { mode: 0o600 });
      await this.run(['-j', '-f', file]);
    } catch (err) {
      if (err instanceof NftError) throw new NftError(what, err.exitCode, err.stderr);
      throw err;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.writes++;
  }
}
