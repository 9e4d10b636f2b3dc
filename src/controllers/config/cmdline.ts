// The kernel command line (parsed) as a resource: the cmdline configuration layer.
import type { CmdlineNetwork } from '../../config/cmdline.js';
import { NS } from '../../resources/resource.js';
import { T } from '../../resources/network/types.js';
import type { ReconcileContext } from '../../runtime/controller.js';

export const CMDLINE_ID = 'cmdline';
export const CmdlineInput = { namespace: NS.config, type: T.Cmdline } as const;

export function cmdline(ctx: ReconcileContext): CmdlineNetwork | undefined {
  return ctx.get<CmdlineNetwork>(NS.config, T.Cmdline, CMDLINE_ID)?.spec;
}

/** Links no layer may configure: config `ignore: true` and talos.network.interface.ignore=. */
export function ignoredLinks(ctx: ReconcileContext, configIgnored: readonly string[]): Set<string> {
  return new Set([...configIgnored, ...(cmdline(ctx)?.ignoredInterfaces ?? [])]);
}
