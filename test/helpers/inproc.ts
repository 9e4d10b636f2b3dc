// Runs the netcfg command line in this process (the real-kernel lane runs under
// software emulation, where starting node for every command costs seconds).
import { main } from '../../src/cli/main.js';

export async function netcfgIn(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = await main(args, (s) => { out.push(s); return true; }, (s) => { err.push(s); return true; });
  return { exitCode, stdout: out.join('\n'), stderr: err.join('\n') };
}
