// NodeIdentityController: this node's identity (Talos controllers/cluster/
// node_identity.go): 32 random bytes, base62 as Talos encodes them, kept in the
// state directory as STATE_DIR/SCOPE.node-identity.yaml ("nodeId: …", mode
// 0600, as Talos's node-identity.yaml) across restarts; a new one after
// `netcfg reset-identity` or when the state is removed. A dry run only reads it.
import fs from 'node:fs';
import path from 'node:path';
import { base62Encode } from '../../discovery/base62.js';
import { native } from '../../native/index.js';
import { CLUSTER_NS, CT, LOCAL_IDENTITY_ID, type NodeIdentitySpec } from '../../resources/cluster/types.js';
import { TerminalError, type Controller, type ReconcileContext } from '../../runtime/controller.js';

export function identityFile(stateDir: string, scope: string): string {
  return path.join(stateDir, `${scope}.node-identity.yaml`);
}

/** The node ID in an identity file's text, or undefined when it holds none. */
export function parseIdentity(text: string): string | undefined {
  const m = /^nodeId:\s*["']?([A-Za-z0-9]{1,64})["']?\s*$/m.exec(text);
  return m?.[1];
}

/** The stored identity; undefined when there is no file. Throws when the file is not an identity. */
export function readIdentity(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const id = parseIdentity(text);
  if (id === undefined) throw new TerminalError(`${file} holds no node identity (nodeId: …); run netcfg reset-identity to make a new one`);
  return id;
}

/**
 * 32 bytes from the kernel's CSPRNG (getrandom(2) through the addon: a new
 * identity is made at a first boot's start, when node:crypto would load 36 of
 * node's modules for these bytes, ~9 ms).
 */
export function newNodeId(): string {
  return base62Encode(native().getRandom(32));
}

/** Writes an identity atomically, mode 0600. */
export function writeIdentity(file: string, nodeId: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `nodeId: ${nodeId}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Forgets the identity; the next daemon start (or a running daemon, when told) makes a new one. Returns the old ID. */
export function resetIdentity(file: string): string | undefined {
  let old: string | undefined;
  try {
    old = readIdentity(file);
  } catch {
    old = undefined;
  }
  fs.rmSync(file, { force: true });
  return old;
}

export class NodeIdentityController implements Controller {
  readonly name = 'NodeIdentityController';
  readonly inputs = [];
  readonly outputs = [{ namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity, kind: 'exclusive' as const }];

  constructor(private readonly file: string) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    let nodeId = readIdentity(this.file);
    if (nodeId === undefined) {
      if (ctx.dryRun) {
        if (ctx.count(CLUSTER_NS.cluster, CT.NodeIdentity) > 0) ctx.destroy(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID);
        return;
      }
      nodeId = newNodeId();
      writeIdentity(this.file, nodeId);
      ctx.log.info({ nodeId, file: this.file }, 'new node identity');
    }
    ctx.put(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID, { nodeId } satisfies NodeIdentitySpec);
  }
}
