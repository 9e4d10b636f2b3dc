// SideroLinkConfig (talos-multidoc.md §3.26): validated, then ignored (the management tunnel is out of netcfg's scope).
import { z } from 'zod';
import { defineKind, documentSchema } from '../definition.js';
import { text, type Problem } from '../fields.js';
import { splitURL } from '../url.js';

export const SideroLinkConfigSchema = documentSchema('SideroLinkConfig', 'The SideroLink management tunnel (validated; ignored by netcfg). Secret.', () => ({
  apiUrl: text('a URL').optional().describe('https://host[:port]?jointoken=… or grpc://…'),
  uniqueToken: text('a token').optional(),
}));

export type SideroLinkConfigSpec = z.infer<typeof SideroLinkConfigSchema>;

export const sideroLinkConfig = defineKind<SideroLinkConfigSpec>({
  kind: 'SideroLinkConfig',
  schema: SideroLinkConfigSchema,
  validate(d): Problem[] {
    if (d.apiUrl === undefined || d.apiUrl === '') return [{ path: [], message: 'apiUrl is required' }];
    const u = splitURL(d.apiUrl);
    if (!u || (u.scheme !== 'https' && u.scheme !== 'grpc')) return [{ path: ['apiUrl'], message: 'apiUrl scheme must be https:// or grpc://' }];
    if (u.path !== '' && u.path !== '/') return [{ path: ['apiUrl'], message: 'apiUrl path must be empty' }];
    return [];
  },
  use: { applied: 'ignored' },
});
