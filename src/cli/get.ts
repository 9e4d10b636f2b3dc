// netcfg get KIND: observe the kernel through the status controllers and print.
import { statusRuntime } from '../engine.js';
import { logger, nodeName, openKernel } from './common.js';
import { render, type OutputFormat } from './output.js';
import { findView, VIEWS } from './views.js';
import { EXIT_OK, UsageError } from './usage.js';

export interface GetOptions {
  kind: string | undefined;
  output: string | undefined;
  netns: string | undefined;
  logLevel: string | undefined;
}

export async function runGet(o: GetOptions, print: (s: string) => void): Promise<number> {
  if (!o.kind) throw new UsageError(`get needs a resource kind: ${VIEWS.map((v) => v.aliases[1]).join(', ')}`);
  const view = findView(o.kind);
  if (!view) throw new UsageError(`unknown resource kind "${o.kind}"; expected one of ${VIEWS.map((v) => v.aliases[1]).join(', ')}`);
  const format = (o.output ?? 'table') as OutputFormat;
  if (!['table', 'yaml', 'json'].includes(format)) throw new UsageError('-o must be table, yaml or json');
  const log = logger(o.logLevel);
  const kernel = openKernel(o.netns);
  try {
    const runtime = statusRuntime(kernel, log);
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    const failure = runtime.failures()[0];
    if (failure) throw failure.error;
    const resources = runtime.store.list(view.namespace, view.type).sort((a, b) => a.metadata.id.localeCompare(b.metadata.id, 'en', { numeric: true }));
    const text = render({ node: nodeName(o.netns), displayType: view.displayType, columns: view.columns, resources }, format);
    if (text !== '') print(text);
    return EXIT_OK;
  } finally {
    kernel.close();
  }
}
