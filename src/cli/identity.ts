// netcfg reset-identity: a new node identity. A running daemon does it itself
// (its discovery clients leave under the old identity and join under the new);
// without one, the identity file is removed and the next daemon makes a new one.
import { identityFile, resetIdentity } from '../controllers/cluster/node-identity.js';
import type { ResetIdentityResult } from '../daemon/protocol.js';
import { callDaemon, daemonFor } from './daemon.js';
import { stateFor, type Target } from './report.js';
import { EXIT_OK } from './usage.js';

export async function runResetIdentity(target: Target, print: (s: string) => void): Promise<number> {
  const socket = await daemonFor(target);
  if (socket) {
    const r = await callDaemon<ResetIdentityResult>(socket, { op: 'reset-identity' });
    print(`node identity reset: ${r.previous ?? '(none)'} → ${r.nodeId ?? '(none)'}`);
    return EXIT_OK;
  }
  const state = stateFor(target);
  const previous = resetIdentity(identityFile(state.dir, state.scope));
  print(previous === undefined ? 'no node identity to reset; the daemon makes one when it starts' : `node identity ${previous} removed; the daemon makes a new one when it starts`);
  return EXIT_OK;
}
