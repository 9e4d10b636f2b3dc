// A raw netlink socket polled by libuv. It knows nothing about any netlink
// protocol: it opens, binds, joins groups, sends bytes and hands received
// datagrams (only those sent by the kernel) to JavaScript.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

namespace netcfg {

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);

  // new NetlinkSocket(protocol, netnsPath | null, receiveBufferBytes, onData)
  // onData(err: Error | null, data?: Buffer): data is one or more whole datagrams
  // concatenated; netlink messages are self-delimiting.
  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  ~NetlinkSocket() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  Napi::Value GetReceiveBuffer(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetProtocol(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void ReadAvailable();
  void Deliver(int err, const char* syscall);
  void CloseHandle();
  bool CheckOpen(Napi::Env env);

  int fd_ = -1;
  int protocol_ = 0;
  uint32_t port_id_ = 0;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_data_;
  std::vector<uint8_t> scratch_;
  std::vector<uint8_t> pending_;
};

}  // namespace netcfg
