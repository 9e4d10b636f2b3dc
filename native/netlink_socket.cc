#include "netlink_socket.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "netns.h"
#include "poll.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace netcfg {

namespace {

constexpr size_t kScratchBytes = 64 * 1024;       // larger than any kernel dump skb (32 KiB)
constexpr size_t kDeliverBytes = 1024 * 1024;     // hand data to JS in chunks of about this size
constexpr int kSendBufferBytes = 4 * 1024 * 1024;

// Tries the privileged *FORCE variant first so root can exceed the sysctl caps.
void SetBuffer(int fd, int force_opt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

SyscallError OpenSocket(int protocol, int rcvbuf, int* out_fd, uint32_t* out_port) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return {errno, "socket"};
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, kSendBufferBytes);
  int one = 1;
  // Extended acks give the kernel's error text and the offending attribute;
  // strict checking makes the kernel honour dump filters and reject bad headers;
  // capped acks keep error replies small (we keep our own copy of each request).
  if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) != 0 ||
      setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) != 0 ||
      setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) != 0) {
    int err = errno;
    close(fd);
    return {err, "setsockopt(SOL_NETLINK)"};
  }
  struct sockaddr_nl local;
  memset(&local, 0, sizeof(local));
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof(local)) != 0) {
    int err = errno;
    close(fd);
    return {err, "bind"};
  }
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&local), &len) != 0) {
    int err = errno;
    close(fd);
    return {err, "getsockname"};
  }
  *out_fd = fd;
  *out_port = local.nl_pid;
  return {};
}

}  // namespace

Napi::Object NetlinkSocket::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NetlinkSocket", {
      InstanceMethod("send", &NetlinkSocket::Send),
      InstanceMethod("sendQueued", &NetlinkSocket::SendQueued),
      InstanceMethod("addMembership", &NetlinkSocket::AddMembership),
      InstanceMethod("dropMembership", &NetlinkSocket::DropMembership),
      InstanceMethod("getReceiveBuffer", &NetlinkSocket::GetReceiveBuffer),
      InstanceMethod("close", &NetlinkSocket::Close),
      InstanceMethod("ref", &NetlinkSocket::Ref),
      InstanceMethod("unref", &NetlinkSocket::Unref),
      InstanceAccessor("portId", &NetlinkSocket::GetPortId, nullptr),
      InstanceAccessor("protocol", &NetlinkSocket::GetProtocol, nullptr),
  });
  exports.Set("NetlinkSocket", ctor);
  return exports;
}

NetlinkSocket::NetlinkSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[2].IsNumber() || !info[3].IsFunction() ||
      !(info[1].IsString() || info[1].IsNull() || info[1].IsUndefined())) {
    Napi::TypeError::New(env, "NetlinkSocket(protocol: number, netnsPath: string | null, rcvbuf: number, onData: Function)")
        .ThrowAsJavaScriptException();
    return;
  }
  protocol_ = info[0].As<Napi::Number>().Int32Value();
  int rcvbuf = info[2].As<Napi::Number>().Int32Value();
  std::string netns = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
  auto open = [&]() { return OpenSocket(protocol_, rcvbuf, &fd_, &port_id_); };
  SyscallError result = netns.empty() ? open() : WithNetns(netns, open);
  if (result.err != 0) {
    ErrnoError(env, result.err, result.syscall, netns).ThrowAsJavaScriptException();
    return;
  }
  on_data_ = Napi::Persistent(info[3].As<Napi::Function>());
  scratch_.resize(kScratchBytes);

  poll_ = StartPoll(env, fd_, this, &NetlinkSocket::OnPoll);
  if (poll_ == nullptr) {
    fd_ = -1;
    return;
  }
  // Keep this object alive while the socket is open: libuv holds a raw pointer.
  Napi::ObjectWrap<NetlinkSocket>::Ref();
}

NetlinkSocket::~NetlinkSocket() { CloseHandle(); }

bool NetlinkSocket::CheckOpen(Napi::Env env) {
  if (fd_ >= 0) return true;
  ErrnoError(env, EBADF, "netlink", "socket is closed").ThrowAsJavaScriptException();
  return false;
}

Napi::Value NetlinkSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "send(data: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_, data.Data(), data.ByteLength(), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    ErrnoError(env, errno, "sendto").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value NetlinkSocket::SendQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "sendQueued(data: Uint8Array, tag: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  if (async_ == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    async_ = new uv_async_t;
    uv_async_init(loop, async_, &NetlinkSocket::OnSendError);
    async_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(async_));  // the poll handle keeps the loop alive while requests are pending
    sender_ = std::thread([this]() { SenderLoop(); });
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Queued{std::vector<uint8_t>(data.Data(), data.Data() + data.ByteLength()), info[1].As<Napi::Number>().DoubleValue()});
  }
  wake_.notify_one();
  return env.Undefined();
}

void NetlinkSocket::SenderLoop() {
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    Queued item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this]() { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    ssize_t sent;
    do {
      sent = sendto(fd_, item.data.data(), item.data.size(), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof(kernel));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      int err = errno;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        failures_.push_back(SendFailure{err, item.tag});
      }
      uv_async_send(async_);
    }
  }
}

void NetlinkSocket::OnSendError(uv_async_t* handle) {
  NetlinkSocket* self = static_cast<NetlinkSocket*>(handle->data);
  if (self == nullptr) return;
  std::vector<SendFailure> failures;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    failures.swap(self->failures_);
  }
  if (failures.empty() || self->on_data_.IsEmpty()) return;
  Napi::Env env = self->on_data_.Env();
  Napi::HandleScope scope(env);
  for (const SendFailure& f : failures) {
    if (self->on_data_.IsEmpty()) return;  // closed by an earlier callback
    Napi::Error error = ErrnoError(env, f.err, "sendto");
    error.Set("sendTag", Napi::Number::New(env, f.tag));
    napi_value argv[2] = {error.Value(), env.Undefined()};
    self->on_data_.MakeCallback(self->Value(), 2, argv);
  }
}

void NetlinkSocket::StopSender() {
  if (sender_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_one();
    sender_.join();
  }
  if (async_ != nullptr) {
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    async_ = nullptr;
  }
}

Napi::Value NetlinkSocket::AddMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  int group = info[0].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) {
    ErrnoError(env, errno, "setsockopt(NETLINK_ADD_MEMBERSHIP)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value NetlinkSocket::DropMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  int group = info[0].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group, sizeof(group)) != 0) {
    ErrnoError(env, errno, "setsockopt(NETLINK_DROP_MEMBERSHIP)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value NetlinkSocket::GetReceiveBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  int bytes = 0;
  socklen_t len = sizeof(bytes);
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, &len) != 0) {
    ErrnoError(env, errno, "getsockopt(SO_RCVBUF)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, bytes);
}

Napi::Value NetlinkSocket::Close(const Napi::CallbackInfo& info) {
  bool was_open = fd_ >= 0;
  CloseHandle();
  // the callback's closure holds the JS wrapper: a strong reference kept after
  // close would keep both alive for ever (a leak per closed socket)
  on_data_.Reset();
  if (was_open) Napi::ObjectWrap<NetlinkSocket>::Unref();
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::Ref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::Unref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::GetPortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), port_id_);
}

Napi::Value NetlinkSocket::GetProtocol(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), protocol_);
}

void NetlinkSocket::CloseHandle() {
  StopSender();  // before the fd is closed: the sender thread uses it
  StopPoll(&poll_, &fd_);
}

void NetlinkSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  NetlinkSocket* self = static_cast<NetlinkSocket*>(handle->data);
  if (self == nullptr || self->fd_ < 0) return;
  if (status < 0) {
    self->Deliver(-status, "uv_poll");
    return;
  }
  if (events & UV_READABLE) self->ReadAvailable();
}

void NetlinkSocket::ReadAvailable() {
  pending_.clear();
  while (fd_ >= 0) {
    struct sockaddr_nl from;
    struct iovec iov = {scratch_.data(), scratch_.size()};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      // ENOBUFS means the kernel dropped messages for us: data read so far is
      // delivered first, then the error, and reading continues.
      int err = errno;
      Deliver(0, nullptr);
      Deliver(err, "recvmsg");
      if (err != ENOBUFS) break;
      continue;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      Deliver(0, nullptr);
      Deliver(EMSGSIZE, "recvmsg");
      continue;
    }
    if (from.nl_pid != 0) continue;  // only the kernel may talk to us
    pending_.insert(pending_.end(), scratch_.data(), scratch_.data() + n);
    if (pending_.size() >= kDeliverBytes) Deliver(0, nullptr);
  }
  Deliver(0, nullptr);
}

// Delivers pending data (err == 0) or an error to JavaScript.
void NetlinkSocket::Deliver(int err, const char* syscall) {
  if ((err == 0 && pending_.empty()) || on_data_.IsEmpty()) return;
  Napi::Env env = on_data_.Env();
  Napi::HandleScope scope(env);
  napi_value argv[2];
  if (err != 0) {
    argv[0] = ErrnoError(env, err, syscall).Value();
    argv[1] = env.Undefined();
  } else {
    argv[0] = env.Null();
    argv[1] = Napi::Buffer<uint8_t>::Copy(env, pending_.data(), pending_.size());
    pending_.clear();
  }
  on_data_.MakeCallback(Value(), 2, argv);
}

}  // namespace netcfg
