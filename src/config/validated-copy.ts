// The validated copy of a scope's config (SCOPE.json.validated-config in the
// state directory): the config as validation gave it, with the text it was
// validated from (from 256K characters on, the text's SHA-256 instead) and the
// build of netcfg that validated it (util/build-id.ts: its code, the packages
// it loads, node's version). A daemon started, or a `netcfg apply` run, on the
// same text by the same build takes the config from it: it neither parses the
// YAML nor loads the schema library (zod). For the daemon that is most of what stands between its start and a
// configured network on a host whose config did not change since the last
// boot; for an apply of a config that did not change (a re-apply, say by
// configuration management), most of its time at 100k routes. The text is what
// counts, not the file it came from (validation never looks at the file's name
// or place): the file a user applies and the applied config the daemon starts
// on hold the same text. Any difference (another text or build; a copy cut
// short, of another format or unreadable) and the config is validated again,
// as it would be without a copy.
//
// The copy holds the config, secrets included, as the applied config beside it
// does: written with mode 0600 in the state directory (0700 when netcfg or its
// systemd unit makes it), never logged. Written atomically (a temporary file
// renamed over it), not fsynced: a copy lost to a power loss is only validated
// again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigDocument, LoadedConfig } from './config-set.js';
import type { ConfigIssue } from './issues.js';
import type { MachineConfig } from './schema.js';
import { buildId } from '../util/build-id.js';
import { exactJson, takeExactJson } from '../util/exact-json.js';

/** 2: no file name, and a large text by its SHA-256 (1 held the file's name and the text). */
const FORMAT = 2;

/**
 * From this size on (in characters) the copy holds the text's SHA-256, not the
 * text: at 100k routes (6.7 MB) the text took ~30 ms more to write and ~20 ms
 * more to read, and 6.7 MB more to hold while reading. A smaller text is held
 * as it is: node:crypto takes ~10-15 ms to load, more than a daemon's start on a
 * small config spends on the whole copy.
 */
const HASHED_FROM = 256 * 1024;

/** The text's SHA-256 (of its UTF-8: a text read from a file has no lone surrogates that could map two texts to one). */
const digest = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** What the copy holds of the text it was validated from. */
const fingerprint = (text: string): { text: string } | { sha256: string } => (text.length >= HASHED_FROM ? { sha256: digest(text) } : { text });

/** Whether the copy's `data` was validated from `text`. */
function sameText(data: Record<string, unknown>, text: string): boolean {
  if (text.length >= HASHED_FROM) return typeof data['sha256'] === 'string' && data['sha256'] === digest(text);
  return typeof data['text'] === 'string' && data['text'] === text;
}

/**
 * The validated copy of a scope's config, for this build: kept beside the
 * state file, under a name no scope's state file (`SCOPE.json`) can have.
 */
export function validatedCopyOf(state: { readonly dir: string; readonly scope: string }): ValidatedCopy {
  return new ValidatedCopy(path.join(state.dir, `${state.scope}.json.validated-config`), buildId());
}

interface CopyFile {
  format: typeof FORMAT;
  build: string;
  /** The text validated (smaller than HASHED_FROM). */
  text?: string;
  /** The SHA-256 of the text validated, in hex (HASHED_FROM and larger). */
  sha256?: string;
  config: MachineConfig;
  hasMachineConfig: boolean;
  documents: ConfigDocument[];
  notes: ConfigIssue[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ValidatedCopy {
  /** `build`: this netcfg's (util/build-id.ts); without one, there is no copy. */
  constructor(
    readonly file: string,
    private readonly build: string | undefined,
  ) {}

  /** Whether this build keeps a copy at all (the plain build has no ID). */
  get kept(): boolean {
    return this.build !== undefined;
  }

  /** The config validated from exactly `text` by this build, as read from `configFile`; otherwise undefined. */
  read(configFile: string, text: string): LoadedConfig | undefined {
    if (this.build === undefined) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return undefined; // none, or unreadable: validated again, and the copy replaced
    }
    if (!isRecord(data) || data['format'] !== FORMAT || data['build'] !== this.build || !sameText(data, text)) return undefined;
    const { config, hasMachineConfig, documents, notes } = data as Partial<CopyFile>;
    if (!isRecord(config) || typeof hasMachineConfig !== 'boolean' || !Array.isArray(documents) || !Array.isArray(notes)) return undefined;
    return { file: configFile, config, hasMachineConfig, documents, notes };
  }

  /**
   * The config of `text`: from the copy when it holds that text, else validated
   * (a ConfigInvalidError with positions when it is not valid). The YAML parser
   * and the schema library load only then.
   */
  async load(configFile: string, text: string, options: { writing?: boolean } = {}): Promise<{ loaded: LoadedConfig; fromCopy: boolean }> {
    const kept = this.read(configFile, text);
    if (kept) return { loaded: kept, fromCopy: true };
    // `writing`: the copy is written right after (write() then takes the JSON the config was made from)
    const keepJson = options.writing === true && this.kept;
    return { loaded: await (await import('./load.js')).parseConfigText(configFile, text, { keepJson }), fromCopy: false };
  }

  /**
   * Keeps `loaded`, validated from `text`; best effort (false when there is no
   * build, the file could not be written, or JSON would not give back exactly
   * this config).
   */
  write(loaded: LoadedConfig, text: string): boolean {
    // in parts: a large config loaded for writing has the JSON it was made from (taken, so not held after)
    const made = [takeExactJson(loaded.config), takeExactJson(loaded.documents), takeExactJson(loaded.notes)];
    if (this.build === undefined) return false;
    const head: Omit<CopyFile, 'config' | 'documents' | 'notes'> = { format: FORMAT, build: this.build, ...fingerprint(text), hasMachineConfig: loaded.hasMachineConfig };
    const parts = [exactJson(head), made[0] ?? exactJson(loaded.config), made[1] ?? exactJson(loaded.documents), made[2] ?? exactJson(loaded.notes)];
    if (parts.some((p) => p === undefined)) return false;
    const [h, config, documents, notes] = parts as string[];
    const json = `${h!.slice(0, -1)},"config":${config},"documents":${documents},"notes":${notes}}`;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, json, { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      return true;
    } catch {
      fs.rmSync(tmp, { force: true });
      return false;
    }
  }
}
