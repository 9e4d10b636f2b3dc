// A datagram socket polled by libuv, opened in a chosen network namespace:
// AF_PACKET (SOCK_DGRAM: the kernel adds and strips the link-layer header) for
// DHCPv4 and ARP, or UDP over IPv4/IPv6 bound to a device for DHCPv6 and
// unicast DHCPv4 renewals. It sends and receives bytes; it knows no protocol.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace netcfg {

class DatagramSocket : public Napi::ObjectWrap<DatagramSocket> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);

  // new DatagramSocket(options, onMessage)
  //   options: { kind: 'packet' | 'udp4' | 'udp6', netns?: string,
  //              ifindex?: number, protocol?: number (packet: EtherType),
  //              device?: string (udp: SO_BINDTODEVICE), address?: string, port?: number,
  //              broadcast?: boolean }
  //   onMessage(err: Error | null, data?: Buffer, from?: object)
  //     packet: from = { ifindex, protocol, packetType, address (MAC), checksumNotReady }
  //     udp:    from = { address, port }
  explicit DatagramSocket(const Napi::CallbackInfo& info);
  ~DatagramSocket() override;

 private:
  // send(data, to): packet: to = { address: MAC, protocol?: number }; udp: to = { address, port }
  Napi::Value Send(const Napi::CallbackInfo& info);
  // attachFilter(program): a classic BPF program (8 bytes per instruction).
  Napi::Value AttachFilter(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetPort(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void ReadAvailable();
  void CloseHandle();

  enum class Kind { kPacket, kUdp4, kUdp6 };
  Kind kind_ = Kind::kPacket;
  int fd_ = -1;
  int ifindex_ = 0;
  int protocol_ = 0;
  int port_ = 0;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_message_;
  std::vector<uint8_t> buffer_;
};

}  // namespace netcfg
