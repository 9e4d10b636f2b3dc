// TCPProbeConfig and HTTPProbeConfig documents → ProbeSpecs at the
// configuration layer (talos-multidoc.md §3.20): ID tcp:<endpoint> or
// http:<url without user information>; interval 1s and timeout 10s unless set.
import { goDurationMs } from '../../config/durations.js';
import { NS } from '../../resources/resource.js';
import { layeredId, probeId } from '../../resources/network/ids.js';
import { T, type ProbeSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput } from './machine-config.js';

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

const ms = (d: string | undefined, fallback: number) => (d === undefined ? fallback : (goDurationMs(d) ?? fallback));

export class ProbeConfigController implements Controller {
  readonly name = 'ProbeConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.ProbeSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, ProbeSpec>();
    for (const d of configContainer(ctx).ofKind('TCPProbeConfig', 'HTTPProbeConfig')) {
      const spec: ProbeSpec = {
        interval: ms(d.spec.interval, DEFAULT_INTERVAL_MS),
        failureThreshold: d.spec.failureThreshold ?? 0,
        timeout: ms(d.spec.timeout, DEFAULT_TIMEOUT_MS),
        ...(d.kind === 'TCPProbeConfig' ? { tcp: { endpoint: d.spec.endpoint ?? '' } } : { http: { url: d.spec.url ?? '' } }),
        layer: 'configuration',
        source: d.id,
      };
      desired.set(layeredId('configuration', probeId(spec)), spec);
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.ProbeSpec, desired);
  }
}
