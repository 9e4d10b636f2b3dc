// DHCPv4 over the kernel: a packet socket (AF_PACKET, SOCK_DGRAM, IPv4) bound to
// the link for everything sent and received without an address, with a BPF
// filter that passes only UDP to port 68; a UDP socket bound to the link for
// unicast renewals (the kernel then routes and resolves the server's MAC).
import os from 'node:os';
import { native, type NativeDatagramSocket, type PacketSource } from '../../native/index.js';
import type { Logger } from '../../log.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, parseUdpPacket, udpPacket } from './frame.js';
import type { Dhcp4Transport } from './transport.js';

const ETH_P_IP = 0x0800;
const PACKET_OUTGOING = 4;
const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Classic BPF: IPv4 UDP, not a fragment, destination port 68 (offsets from the IP header). */
export function dhcpClientFilter(): Buffer {
  const program: Array<[number, number, number, number]> = [
    [0x30, 0, 0, 9], // ldb [9]: protocol
    [0x15, 0, 6, 17], // jeq UDP ? next : drop
    [0x28, 0, 0, 6], // ldh [6]: flags + fragment offset
    [0x45, 4, 0, 0x1fff], // jset offset ? drop : next
    [0xb1, 0, 0, 0], // ldxb 4*([0]&0xf): header length
    [0x48, 0, 0, 2], // ldh [x+2]: UDP destination port
    [0x15, 0, 1, DHCP_CLIENT_PORT], // jeq 68 ? accept : drop
    [0x06, 0, 0, 0x40000], // ret: accept (up to 256 KiB)
    [0x06, 0, 0, 0], // ret 0: drop
  ];
  const le = os.endianness() === 'LE';
  const buf = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    if (le) {
      buf.writeUInt16LE(code, i * 8);
      buf.writeUInt32LE(k, i * 8 + 4);
    } else {
      buf.writeUInt16BE(code, i * 8);
      buf.writeUInt32BE(k, i * 8 + 4);
    }
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
  });
  return buf;
}

export class SocketTransport implements Dhcp4Transport {
  private packet: NativeDatagramSocket | undefined;
  private udp: NativeDatagramSocket | undefined;
  private udpFrom: string | undefined;
  private handler: ((payload: Buffer) => void) | undefined;

  constructor(
    private readonly netnsPath: string | undefined,
    private readonly link: { name: string; index: number },
    private readonly log: Logger,
  ) {}

  private open(): NativeDatagramSocket {
    if (this.packet) return this.packet;
    const socket = new (native().DatagramSocket)({ kind: 'packet', ...(this.netnsPath ? { netns: this.netnsPath } : {}), ifindex: this.link.index, protocol: ETH_P_IP }, (err, data, from) => {
      if (err) {
        this.log.debug({ err: err.message }, 'DHCPv4 packet socket error');
        return;
      }
      const source = from as PacketSource;
      if (!data || source.packetType === PACKET_OUTGOING) return;
      // a checksum left for offload (a local veth peer) cannot be checked
      const udp = parseUdpPacket(data, { verifyChecksum: !source.checksumNotReady });
      if (!udp || udp.dstPort !== DHCP_CLIENT_PORT || udp.srcPort !== DHCP_SERVER_PORT) return;
      try {
        this.handler?.(udp.payload);
      } catch (e) {
        // the client drops what it cannot decode; anything else is a bug, and must not end the daemon from here
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'DHCPv4 packet dropped: handling it failed');
      }
    });
    socket.attachFilter(dhcpClientFilter());
    this.packet = socket;
    return socket;
  }

  async broadcast(payload: Buffer, from?: string): Promise<void> {
    const frame = udpPacket({ src: from ?? '0.0.0.0', dst: '255.255.255.255', srcPort: DHCP_CLIENT_PORT, dstPort: DHCP_SERVER_PORT, payload });
    this.open().send(frame, { address: BROADCAST_MAC });
  }

  async unicast(payload: Buffer, server: string, from: string): Promise<void> {
    // replies arrive on the packet socket too; this socket only sends (from the leased address)
    if (this.udp && this.udpFrom !== from) {
      this.udp.close();
      this.udp = undefined;
    }
    this.udp ??= new (native().DatagramSocket)(
      { kind: 'udp4', ...(this.netnsPath ? { netns: this.netnsPath } : {}), device: this.link.name, address: from, port: DHCP_CLIENT_PORT },
      () => {},
    );
    this.udpFrom = from;
    this.udp.send(payload, { address: server, port: DHCP_SERVER_PORT });
  }

  listen(handler: (payload: Buffer) => void): () => void {
    this.handler = handler;
    this.open();
    return () => {
      this.handler = undefined;
    };
  }

  close(): void {
    this.packet?.close();
    this.udp?.close();
    this.packet = undefined;
    this.udp = undefined;
  }
}
