// KubeSpanConfigController: config/KubeSpanConfig `kubespan` (Talos
// controllers/kubespan/config.go): the KubeSpanConfig document or v1alpha1
// machine.network.kubespan, the extra announced endpoints of the
// KubeSpanEndpointsConfig, and the cluster identity (cluster.id/secret or the
// DiscoveryIdentityConfig). Unlike Talos (which needs a v1alpha1 document for
// it), documents alone are enough. KubeSpan runs in the daemon only (it is
// built on discovery): a one-shot apply says so.
import { CLUSTER_NS, CT, KUBESPAN_CONFIG_ID, type KubeSpanConfigSpec } from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { DocumentsInput, configContainer } from '../config/documents.js';
import { MachineConfigInput } from '../config/machine-config.js';

export class KubeSpanConfigController implements Controller {
  readonly name = 'KubeSpanConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const spec: KubeSpanConfigSpec | undefined = configContainer(ctx).kubeSpanConfig();
    if (spec) ctx.put(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID, spec);
    else if (ctx.get(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)) ctx.destroy(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID);
    if (spec?.enabled && !ctx.longRunning) ctx.changes.wait('kubespan', 'KubeSpan runs in the netcfg daemon (netcfg daemon), not in a one-shot apply');
  }
}
