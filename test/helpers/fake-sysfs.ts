// A sysfs tree under a fresh tmp directory, with the real layout:
// devices/pci…/<pci dev>/[virtioN/]net/<name>, class/net/<name> symlinks,
// `device` and `subsystem` symlinks, bus/pci/slots/N/address. Removed after each test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { NET_NAME_ENUM } from '../../src/hw/net-id.js';

export interface PciOptions {
  /** uevent PCI_ID, as the kernel prints it. */
  id?: string;
  driver?: string;
  bridge?: boolean;
  multiFunction?: boolean;
  acpiIndex?: string;
  index?: string;
  label?: string;
  ariEnabled?: string;
  functionId?: string;
  /** Leave out modalias, config, vendor, device, class. */
  minimal?: boolean;
}

export interface NetOptions {
  type?: number;
  ifindex?: number;
  iflink?: number;
  address?: string;
  addrAssignType?: number;
  nameAssignType?: number;
  /** undefined leaves the file out. */
  devPort?: number | undefined;
  physPortName?: string;
  devType?: string;
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** A sysfs tree under a fresh tmp directory. Paths given to and returned by the methods are relative to the root. */
export class FakeSysfs {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-sysfs-'));
  private nextIfindex = 2;

  constructor() {
    roots.push(this.root);
    fs.mkdirSync(path.join(this.root, 'bus/pci/slots'), { recursive: true });
    fs.mkdirSync(path.join(this.root, 'bus/virtio'), { recursive: true });
    fs.mkdirSync(path.join(this.root, 'class/net'), { recursive: true });
  }

  private write(rel: string, content: string | Buffer): void {
    const file = path.join(this.root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  private link(rel: string, targetRel: string): void {
    const at = path.join(this.root, rel);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(at), path.join(this.root, targetRel)), at);
  }

  /** A host bridge directory `devices/pciDDDD:BB` (a device without subsystem, as in /sys). */
  host(domain = '0000', bus = '00'): string {
    const rel = `devices/pci${domain}:${bus}`;
    this.write(`${rel}/uevent`, '');
    return rel;
  }

  /** A PCI device `name` (DDDD:BB:SS.F) under `parentRel`. */
  pci(parentRel: string, name: string, o: PciOptions = {}): string {
    const rel = `${parentRel}/${name}`;
    const id = o.id ?? (o.bridge ? '8086:A110' : '8086:15BB');
    const [vendor = '', device = ''] = id.split(':');
    const classCode = o.bridge ? '60400' : '20000';
    const modalias = `pci:v0000${vendor}d0000${device}sv0000${vendor}sd00000000bc${o.bridge ? '06sc04' : '02sc00'}i00`;
    const driver = o.driver ?? (o.bridge ? 'pcieport' : 'e1000e');
    this.write(`${rel}/uevent`, `DRIVER=${driver}\nPCI_CLASS=${classCode}\nPCI_ID=${id}\nPCI_SUBSYS_ID=${id}\nPCI_SLOT_NAME=${name}\nMODALIAS=${modalias}\n`);
    this.link(`${rel}/subsystem`, 'bus/pci');
    this.link(`bus/pci/devices/${name}`, rel);
    if (!o.minimal) {
      this.write(`${rel}/vendor`, `0x${vendor.toLowerCase()}\n`);
      this.write(`${rel}/device`, `0x${device.toLowerCase()}\n`);
      this.write(`${rel}/class`, `0x0${classCode}\n`);
      this.write(`${rel}/modalias`, `${modalias}\n`);
      // Config space header: byte 0x0e is the header type, bit 7 the multi-function flag.
      const config = Buffer.alloc(64);
      config.writeUInt16LE(parseInt(vendor, 16), 0);
      config.writeUInt16LE(parseInt(device, 16), 2);
      config[0x0e] = (o.bridge ? 0x01 : 0x00) | (o.multiFunction ? 0x80 : 0);
      this.write(`${rel}/config`, config);
    }
    const optional: [string, string | undefined][] = [
      ['acpi_index', o.acpiIndex],
      ['index', o.index],
      ['label', o.label],
      ['ari_enabled', o.ariEnabled],
      ['function_id', o.functionId],
    ];
    for (const [file, value] of optional) if (value !== undefined) this.write(`${rel}/${file}`, `${value}\n`);
    return rel;
  }

  /** A virtio device (virtio bus, virtio_net driver) under a virtio-pci device. */
  virtio(pciRel: string, name = 'virtio2'): string {
    const rel = `${pciRel}/${name}`;
    this.write(`${rel}/uevent`, 'DRIVER=virtio_net\nMODALIAS=virtio:d00000001v00001AF4\n');
    this.write(`${rel}/modalias`, 'virtio:d00000001v00001AF4\n');
    this.link(`${rel}/subsystem`, 'bus/virtio');
    return rel;
  }

  /** A net device under `deviceRel`, or a virtual one (devices/virtual/net) when deviceRel is undefined. */
  net(deviceRel: string | undefined, name: string, o: NetOptions = {}): string {
    const rel = deviceRel === undefined ? `devices/virtual/net/${name}` : `${deviceRel}/net/${name}`;
    const ifindex = o.ifindex ?? this.nextIfindex++;
    const files: [string, string | number | undefined][] = [
      ['type', o.type ?? 1],
      ['ifindex', ifindex],
      ['iflink', o.iflink ?? ifindex],
      ['address', o.address ?? '52:54:00:12:34:56'],
      ['addr_assign_type', o.addrAssignType ?? 0],
      ['name_assign_type', o.nameAssignType ?? NET_NAME_ENUM],
      ['dev_port', 'devPort' in o ? o.devPort : 0],
      ['dev_id', '0x0'],
      ['phys_port_name', o.physPortName],
      ['uevent', `INTERFACE=${name}\nIFINDEX=${ifindex}\n${o.devType ? `DEVTYPE=${o.devType}\n` : ''}`.trimEnd()],
    ];
    for (const [file, value] of files) if (value !== undefined) this.write(`${rel}/${file}`, `${value}\n`);
    if (deviceRel !== undefined) this.link(`${rel}/device`, deviceRel);
    this.link(`class/net/${name}`, rel);
    return rel;
  }

  /** What the kernel does to sysfs on a rename: the net directory and class/net link move, name_assign_type becomes NET_NAME_RENAMED. */
  rename(from: string, to: string): void {
    const classLink = path.join(this.root, 'class/net', from);
    const dir = fs.realpathSync(classLink);
    const moved = path.join(path.dirname(dir), to);
    fs.renameSync(dir, moved);
    fs.rmSync(classLink);
    fs.symlinkSync(path.relative(path.join(this.root, 'class/net'), moved), path.join(this.root, 'class/net', to));
    fs.writeFileSync(path.join(moved, 'name_assign_type'), '4\n');
  }

  /** A hotplug slot directory bus/pci/slots/<dirName> with an `address` (DDDD:BB:SS). */
  slot(dirName: string, address: string): void {
    this.write(`bus/pci/slots/${dirName}/address`, `${address}\n`);
  }
}
