// The JSON Schema of a config file for editors (draft 2020-12): each document
// of the stream is the v1alpha1 machine config or one of the document kinds
// (told apart by `kind`), as editors apply a schema to every document of a
// multi-document file.
import { z } from 'zod';
import { MachineConfigSchema } from './schema.js';
import { KNOWN_KINDS } from './documents/kinds.js';
import { kindDefinition } from './documents/registry.js';

export function jsonSchema(): Record<string, unknown> {
  const options = { unrepresentable: 'any', io: 'input' } as const;
  const strip = (s: Record<string, unknown>) => {
    const { $schema: _, ...rest } = s;
    return rest;
  };
  const machine = strip(z.toJSONSchema(MachineConfigSchema, options) as Record<string, unknown>);
  const documents = KNOWN_KINDS.map((kind) => ({ ...strip(z.toJSONSchema(kindDefinition(kind).schema, options) as Record<string, unknown>), title: kind }));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://netcfg.dev/schema/v1alpha1.json',
    title: 'netcfg config document (Talos v1alpha1 machine config or a configuration document)',
    anyOf: [{ ...machine, title: 'v1alpha1 machine config' }, ...documents],
  };
}
