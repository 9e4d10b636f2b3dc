// The real-kernel lane: Debian's stock kernel (which has bonding, 8021q,
// wireguard, dummy…) booted under qemu (TCG), with the host root shared
// read-only over 9p and a second, writable 9p share for results. The guest
// init loads the modules, chroots into the host root and runs one script.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Modules the guest loads (dependencies are added from modinfo; crc32c_generic is nf_tables's libcrc32c soft dependency). */
export const GUEST_MODULES = ['virtio_pci', 'virtio_net', '9pnet_virtio', '9p', 'bonding', '8021q', 'bridge', 'wireguard', 'dummy', 'veth', 'vrf', 'crc32c_generic', 'nf_tables'];

export class VmUnavailableError extends Error {}

export interface Kernel {
  version: string;
  image: string;
}

/** The newest /boot/vmlinuz-* whose modules include bonding. */
export function findKernel(): Kernel {
  const qemu = ['/usr/bin/qemu-system-x86_64'].find((p) => fs.existsSync(p));
  if (!qemu) throw new VmUnavailableError('qemu-system-x86_64 is missing: apt-get install qemu-system-x86 (the real-kernel lane needs it)');
  let images: string[] = [];
  try {
    images = fs.readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-'));
  } catch {
    // no /boot
  }
  const candidates = images
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => fs.existsSync(`/lib/modules/${v}/kernel/drivers/net/bonding`))
    .sort()
    .reverse();
  const version = candidates[0];
  if (!version) throw new VmUnavailableError('no kernel image with modules in /boot: apt-get install linux-image-amd64 (the real-kernel lane needs it)');
  return { version, image: `/boot/vmlinuz-${version}` };
}

/** Modules in load order (dependencies first), as paths under /lib/modules/VERSION. */
export function moduleOrder(version: string, wanted: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const info = (field: string) => execFileSync('modinfo', ['-k', version, '-F', field, name], { encoding: 'utf8' }).trim();
    const file = info('filename');
    if (file === '(builtin)' || file === '') return;
    for (const dep of info('depends').split(',').filter(Boolean)) visit(dep);
    order.push(file);
  };
  for (const m of wanted) visit(m);
  return order;
}

const INIT = `#!/bin/busybox sh
# netcfg test VM init: modules, the host root over 9p (read-only), a results
# share, then the script named on the kernel command line, then power off.
export PATH=/bin
busybox mkdir -p /proc /sys /dev /root
busybox mount -t proc proc /proc
busybox mount -t sysfs sys /sys
busybox mount -t devtmpfs dev /dev
while read -r m; do busybox insmod "/modules/$m" || echo "netcfg-vm: insmod $m failed"; done < /modules.order
opts=trans=virtio,version=9p2000.L,msize=262144
# the read-only shares do not change while the VM runs: cached, node's thousands
# of module reads stop costing a 9p round trip each (the results share is not)
busybox mount -t 9p -o $opts,ro,cache=loose hostroot /root || echo "netcfg-vm: cannot mount the host root"
busybox mount -t tmpfs tmpfs /root/tmp
busybox mount -t tmpfs tmpfs /root/run
busybox mkdir -p /root/tmp/results
busybox mount -t 9p -o $opts results /root/tmp/results || echo "netcfg-vm: cannot mount the results share"
# the checkout again on its own share: it may live under /tmp or /run, which are tmpfs here
checkout=$(busybox sed -n 's/.*netcfg.checkout=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
if [ -n "$checkout" ]; then
  busybox mkdir -p "/root$checkout" 2>/dev/null
  busybox mount -t 9p -o $opts,ro,cache=loose checkout "/root$checkout" || echo "netcfg-vm: cannot mount the checkout"
fi
busybox mount -t proc proc /root/proc
busybox mount -t sysfs sys /root/sys
busybox mount -t devtmpfs dev /root/dev
script=$(busybox sed -n 's/.*netcfg.script=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
# arguments for the script, comma-separated on the command line
args=$(busybox sed -n 's/.*netcfg.args=\\([^ ]*\\).*/\\1/p' /proc/cmdline | busybox tr , ' ')
echo "netcfg-vm: running $script $args"
HOME=/tmp busybox chroot /root /bin/sh -c "$script $args" > /root/tmp/results/console.log 2>&1
echo $? > /root/tmp/results/exit-code
busybox sync
busybox poweroff -f
`;

/** Builds an initramfs (uncompressed newc cpio) with busybox, the modules and the init. */
export function buildInitramfs(kernel: Kernel, dir: string): string {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) throw new VmUnavailableError('busybox is missing: apt-get install busybox-static (the real-kernel lane needs it)');
  const root = path.join(dir, 'initramfs');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'modules'));
  fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const order = moduleOrder(kernel.version, GUEST_MODULES);
  const names: string[] = [];
  for (const file of order) {
    const name = path.basename(file);
    fs.copyFileSync(file, path.join(root, 'modules', name));
    names.push(name);
  }
  fs.writeFileSync(path.join(root, 'modules.order'), `${names.join('\n')}\n`);
  fs.writeFileSync(path.join(root, 'init'), INIT, { mode: 0o755 });
  const image = path.join(dir, 'initramfs.cpio');
  execFileSync('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet > "${image}"`]);
  return image;
}

export interface VmRun {
  /** Exit code of the script in the guest (undefined when it never finished). */
  exitCode: number | undefined;
  /** What the script printed. */
  output: string;
  /** The serial console (kernel and init messages). */
  console: string;
  /** The files the script wrote under /tmp/results, by name (top level only). */
  results: ReadonlyMap<string, Buffer>;
  /** Where they stay on the host when `keepResults` was asked for; else removed, with the rest of the VM's files. */
  resultsDir: string;
  ms: number;
}

export interface VmOptions {
  /** Absolute path (on the host, which is the guest's root) of the script to run. */
  script: string;
  timeoutMs: number;
  /** Arguments for the script (no spaces or commas in them: they travel on the kernel command line). */
  args?: readonly string[];
  /** Extra qemu arguments (e.g. -device virtio-net-pci,…). */
  qemuArgs?: readonly string[];
  memoryMb?: number;
  /** A directory the guest must see as on the host even under /tmp or /run (default: this checkout). */
  checkout?: string;
  /** Leave the results directory on the host (e.g. fixtures to copy); the initramfs goes either way. */
  keepResults?: boolean;
}

/** Boots the VM, runs the script, returns when the guest powers off (or the timeout kills it). */
export async function runVm(options: VmOptions): Promise<VmRun> {
  const kernel = findKernel();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-vm-'));
  const initrd = buildInitramfs(kernel, dir);
  const resultsDir = path.join(dir, 'results');
  fs.mkdirSync(resultsDir);
  const checkout = path.resolve(options.checkout ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));
  if (/\s/.test(checkout) || /\s/.test(options.script)) throw new Error(`the VM's kernel command line cannot carry paths with spaces: ${checkout}`);
  const scriptArgs = options.args ?? [];
  if (scriptArgs.some((a) => /[\s,]/.test(a) || a === '')) throw new Error(`the VM's kernel command line cannot carry these script arguments: ${JSON.stringify(scriptArgs)}`);
  const args = [
    '-accel', 'tcg,thread=multi',
    '-cpu', 'max',
    '-m', String(options.memoryMb ?? 2048),
    '-smp', '2',
    '-nographic',
    '-no-reboot',
    '-kernel', kernel.image,
    '-initrd', initrd,
    '-append', `console=ttyS0 panic=-1 quiet netcfg.script=${options.script} netcfg.checkout=${checkout}${scriptArgs.length > 0 ? ` netcfg.args=${scriptArgs.join(',')}` : ''}`,
    // no default NIC; devices with explicit PCI addresses (qemuArgs) come before the
    // 9p shares, which take the free slots (QEMU assigns them in command-line order)
    '-nic', 'none',
    ...(options.qemuArgs ?? []),
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${resultsDir},mount_tag=results,security_model=none,multidevs=remap`,
    '-virtfs', `local,path=${checkout},mount_tag=checkout,security_model=none,readonly=on,multidevs=remap`,
  ];
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  qemu.stdout.on('data', (d: Buffer) => (consoleText += d.toString()));
  qemu.stderr.on('data', (d: Buffer) => (consoleText += d.toString()));
  const timer = setTimeout(() => qemu.kill('SIGKILL'), options.timeoutMs);
  await new Promise<void>((resolve) => qemu.on('exit', () => resolve()));
  clearTimeout(timer);
  const results = new Map<string, Buffer>();
  for (const f of fs.readdirSync(resultsDir, { withFileTypes: true })) if (f.isFile()) results.set(f.name, fs.readFileSync(path.join(resultsDir, f.name)));
  // every run leaves nothing behind (the initramfs alone is ~13 MB), unless asked to keep the results
  if (options.keepResults) fs.rmSync(initrd, { force: true });
  else fs.rmSync(dir, { recursive: true, force: true });
  const read = (f: string) => results.get(f)?.toString('utf8') ?? '';
  const code = read('exit-code').trim();
  return { exitCode: code === '' ? undefined : Number(code), output: read('console.log'), console: consoleText, results, resultsDir, ms: Date.now() - started };
}
