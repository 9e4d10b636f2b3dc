// HostnameSpecController: sets the hostname and domain name of netcfg's UTS
// namespace from the merged HostnameSpec, records what was there before, and
// puts it back when the hostname leaves the config (if nobody changed it since).
import { NS } from '../../resources/resource.js';
import { T, type AppliedHostname, type HostnameSpec, type HostnameStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';

/** The UTS namespace: read and set the names, or say why netcfg must not. */
export interface Uts {
  current(): HostnameStatus;
  set(names: HostnameStatus): void;
  /** A reason not to change the hostname (e.g. it would rename this machine while working on another netns). */
  refusal?: string | undefined;
}

const fqdn = (h: HostnameStatus) => (h.domainname ? `${h.hostname}.${h.domainname}` : h.hostname);
const same = (a: HostnameStatus, b: HostnameStatus) => a.hostname === b.hostname && a.domainname === b.domainname;

export class HostnameSpecController implements Controller {
  readonly name = 'HostnameSpecController';
  readonly inputs = [{ namespace: NS.network, type: T.HostnameSpec }];
  readonly outputs = [
    { namespace: NS.network, type: T.HostnameStatus, kind: 'exclusive' as const },
    { namespace: NS.state, type: T.AppliedHostname, kind: 'exclusive' as const },
  ];

  constructor(private readonly uts: Uts) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const spec = ctx.get<HostnameSpec>(NS.network, T.HostnameSpec, 'hostname');
    const record = ctx.get<AppliedHostname>(NS.state, T.AppliedHostname, 'hostname')?.spec;
    let current = this.uts.current();
    const running = spec?.metadata.phase === 'running';
    if (spec && running) {
      if (ctx.longRunning && !ctx.dryRun) ctx.addFinalizer(NS.network, T.HostnameSpec, 'hostname');
      const want = { hostname: spec.spec.hostname, domainname: spec.spec.domainname };
      if (!same(current, want)) {
        if (this.uts.refusal) {
          ctx.changes.wait('hostname', `hostname ${fqdn(want)}: ${this.uts.refusal}`);
        } else {
          ctx.changes.record({ action: 'change', kind: 'hostname', id: 'hostname', detail: `${fqdn(current) || '(none)'} → ${fqdn(want)}` });
          if (ctx.dryRun) {
            current = want;
          } else {
            // record first: netcfg must know what to put back even if it stops right after
            ctx.put(NS.state, T.AppliedHostname, 'hostname', { original: record?.original ?? current, set: want });
            await ctx.flushState();
            this.uts.set(want);
            current = this.uts.current();
          }
        }
      }
    } else if (record) {
      if (same(current, record.set) && !same(current, record.original)) {
        ctx.changes.record({ action: 'remove', kind: 'hostname', id: 'hostname', detail: `restore ${fqdn(record.original) || '(none)'}` });
        if (!ctx.dryRun) {
          this.uts.set(record.original);
          current = this.uts.current();
        }
      }
      if (!ctx.dryRun) {
        ctx.destroy(NS.state, T.AppliedHostname, 'hostname');
        if (spec) ctx.removeFinalizer(NS.network, T.HostnameSpec, 'hostname');
      }
    }
    ctx.put(NS.network, T.HostnameStatus, 'hostname', current);
  }
}
