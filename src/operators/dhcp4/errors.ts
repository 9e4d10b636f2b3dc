// The one error DHCPv4 decoding throws: bytes off the wire that are not a
// well-formed message, option or frame. Callers drop such input.

export type Dhcp4DecodeReason =
  | 'short' // fewer bytes than the fixed BOOTP header
  | 'cookie' // no DHCP magic cookie
  | 'hlen' // hardware address length over 16
  | 'option-truncated' // an option's length runs past the end of its area
  | 'option-length' // a typed option with a length its type does not allow
  | 'option-value' // a typed option with a value its type does not allow
  | 'name'; // a malformed RFC 1035 name (option 119)

export class Dhcp4DecodeError extends Error {
  override readonly name = 'Dhcp4DecodeError';
  constructor(
    readonly reason: Dhcp4DecodeReason,
    message: string,
    /** The option being decoded, when the problem is in one. */
    readonly option?: number,
  ) {
    super(option === undefined ? message : `option ${option}: ${message}`);
  }
}
