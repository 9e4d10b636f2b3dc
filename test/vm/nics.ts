// The NICs the real-kernel lane boots with (virtio-net-pci at chosen PCI
// addresses and MACs), for test/kernel/names.kernel.ts: a single-function device
// in a hotplug slot, a two-function device, and one with an ACPI index. Their
// backends are isolated user-mode networks (restrict=on: no traffic leaves).
// The other lane tests work in namespaces of their own and never see them.

export interface LaneNic {
  id: string;
  /** PCI slot[.function] on bus 0. */
  addr: string;
  mac: string;
  /** The PCI sysname the guest sees. */
  busPath: string;
  multifunction?: boolean;
  /** ACPI _DSM index (the onboard name eno<N>). */
  acpiIndex?: number;
}

export const LANE_NICS: readonly LaneNic[] = [
  { id: 'n5', addr: '0x5', mac: '52:54:00:12:34:05', busPath: '0000:00:05.0' },
  { id: 'n6', addr: '0x6.0', mac: '52:54:00:12:34:06', busPath: '0000:00:06.0', multifunction: true },
  { id: 'n61', addr: '0x6.1', mac: '52:54:00:12:34:07', busPath: '0000:00:06.1' },
  { id: 'n7', addr: '0x7', mac: '52:54:00:ab:cd:07', busPath: '0000:00:07.0', acpiIndex: 7 },
];

/** qemu arguments for LANE_NICS. */
export function laneNicArgs(nics: readonly LaneNic[] = LANE_NICS): string[] {
  return nics.flatMap((n) => {
    const device = [`virtio-net-pci,netdev=${n.id},addr=${n.addr},mac=${n.mac}`];
    if (n.multifunction) device.push('multifunction=on');
    if (n.acpiIndex !== undefined) device.push(`acpi-index=${n.acpiIndex}`);
    return ['-netdev', `user,id=${n.id},restrict=on`, '-device', device.join(',')];
  });
}
