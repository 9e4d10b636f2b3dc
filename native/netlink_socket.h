// A raw netlink socket polled by libuv. It knows nothing about any netlink
// protocol: it opens, binds, joins groups, sends bytes and hands received
// datagrams (only those sent by the kernel) to JavaScript.
#pragma once

#include <napi.h>
#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
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
  // sendQueued(data, tag): copies data and sends it from a sender thread, in
  // order, so the kernel's work on a large batch does not block the event loop.
  // A failure is reported to onData as an Error with .sendTag = tag.
  Napi::Value SendQueued(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  Napi::Value GetReceiveBuffer(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetProtocol(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnSendError(uv_async_t* handle);
  void SenderLoop();
  void StopSender();
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

  // sender thread
  struct Queued {
    std::vector<uint8_t> data;
    double tag;
  };
  struct SendFailure {
    int err;
    double tag;
  };
  std::thread sender_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  std::vector<SendFailure> failures_;
  bool stopping_ = false;
  uv_async_t* async_ = nullptr;
};

}  // namespace netcfg
