// What a LinkAliasConfig selector sees of a link: every field of Talos' CEL link
// that LinkStatus holds (driver and firmware versions, PCI vendor and product,
// speed, port and duplex as ethtool's numbers), not zeros and empty strings.
import { describe, expect, it } from 'vitest';
import { compileLinkSelector } from '../../src/config/cel/link-selector.js';
import { selectorLink } from '../../src/controllers/config/link-alias-config.js';
import type { LinkStatus } from '../../src/resources/network/types.js';

const nic: LinkStatus = {
  index: 2,
  type: 'ether',
  linkIndex: 0,
  flags: 'UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP',
  hardwareAddr: '52:54:00:12:34:05',
  permanentAddr: '52:54:00:12:34:05',
  broadcastAddr: 'ff:ff:ff:ff:ff:ff',
  mtu: 1500,
  queueDisc: 'mq',
  masterIndex: 0,
  operationalState: 'up',
  kind: '',
  slaveKind: '',
  alias: '',
  altNames: ['enp0s5'],
  linkState: true,
  physical: true,
  busPath: '0000:00:05.0',
  driver: 'ixgbe',
  driverVersion: '6.1.0',
  firmwareVersion: '0x800007f9',
  pciID: '8086:10FB',
  vendorID: '0x8086',
  productID: '0x10fb',
  vendor: 'Example NIC Vendor',
  product: 'Example 10G NIC',
  speedMbit: 10000,
  port: 'Fibre',
  duplex: 'Full',
};

const matches = (expression: string, link: LinkStatus): boolean => {
  const compiled = compileLinkSelector(expression);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.run(selectorLink(link));
};

describe('LinkAliasConfig selectors see the link as LinkStatus has it', () => {
  it('PCI vendor and product, driver and firmware versions', () => {
    expect(matches('link.vendor_id == "0x8086" && link.product_id == "0x10fb"', nic)).toBe(true);
    expect(matches('link.vendor == "Example NIC Vendor" && glob("*10G*", link.product)', nic)).toBe(true);
    expect(matches('link.driver_version == "6.1.0" && link.firmware_version.startsWith("0x8000")', nic)).toBe(true);
    expect(matches('link.vendor_id == "0x1af4"', nic)).toBe(false);
  });

  it('speed, and port and duplex by their ethtool numbers (PORT_FIBRE 3, DUPLEX_FULL 1)', () => {
    expect(matches('link.speed_megabits == 10000 && link.port == 3 && link.duplex == 1', nic)).toBe(true);
    expect(matches('link.speed_megabits >= 25000', nic)).toBe(false);
    const copper = { ...nic, port: 'TwistedPair', duplex: 'Half', speedMbit: 100 };
    expect(matches('link.port == 0 && link.duplex == 0 && link.speed_megabits == 100', copper)).toBe(true);
    // no link settings (no speed, port or duplex): 0, PORT_OTHER and DUPLEX_UNKNOWN, as Talos has them then
    const { speedMbit: _s, port: _p, duplex: _d, ...none } = nic;
    expect(matches('link.speed_megabits == 0 && link.port == 255 && link.duplex == 255', none)).toBe(true);
  });
});
