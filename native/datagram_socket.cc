#include "datagram_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "netns.h"
#include "poll.h"

namespace netcfg {

namespace {

constexpr size_t kMaxDatagram = 65536;

struct Options {
  std::string kind;
  std::string netns;
  int ifindex = 0;
  int protocol = 0;
  std::string device;
  std::string address;
  int port = 0;
  bool broadcast = false;
};

SyscallError Fail(int fd, const char* syscall) {
  int err = errno;
  if (fd >= 0) close(fd);
  return {err, syscall};
}

SyscallError OpenPacket(const Options& o, int* out) {
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(static_cast<uint16_t>(o.protocol)));
  if (fd < 0) return Fail(-1, "socket(AF_PACKET)");
  int one = 1;
  // auxiliary data tells whether a received checksum was left for the hardware
  // to fill in (packets from a local veth peer): such checksums are not checked.
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) != 0) return Fail(fd, "setsockopt(PACKET_AUXDATA)");
  struct sockaddr_ll ll;
  memset(&ll, 0, sizeof(ll));
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(static_cast<uint16_t>(o.protocol));
  ll.sll_ifindex = o.ifindex;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&ll), sizeof(ll)) != 0) return Fail(fd, "bind(AF_PACKET)");
  *out = fd;
  return {};
}

SyscallError OpenUdp(const Options& o, bool v6, int* out, int* port) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(-1, "socket(udp)");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return Fail(fd, "setsockopt(SO_REUSEADDR)");
  if (o.broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0) return Fail(fd, "setsockopt(SO_BROADCAST)");
  if (!o.device.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.device.c_str(), o.device.size()) != 0) {
    return Fail(fd, "setsockopt(SO_BINDTODEVICE)");
  }
  if (v6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) return Fail(fd, "setsockopt(IPV6_V6ONLY)");
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(o.port));
    a.sin6_scope_id = static_cast<uint32_t>(o.ifindex);
    if (!o.address.empty() && inet_pton(AF_INET6, o.address.c_str(), &a.sin6_addr) != 1) {
      errno = EINVAL;
      return Fail(fd, "inet_pton");
    }
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)) != 0) return Fail(fd, "bind(udp6)");
  } else {
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(o.port));
    if (!o.address.empty() && inet_pton(AF_INET, o.address.c_str(), &a.sin_addr) != 1) {
      errno = EINVAL;
      return Fail(fd, "inet_pton");
    }
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)) != 0) return Fail(fd, "bind(udp4)");
  }
  struct sockaddr_storage bound;
  socklen_t len = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&bound), &len) != 0) return Fail(fd, "getsockname");
  *port = ntohs(v6 ? reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port : reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
  *out = fd;
  return {};
}

std::string FormatMac(const unsigned char* addr, int len) {
  std::string out;
  char part[4];
  for (int i = 0; i < len; i++) {
    snprintf(part, sizeof(part), i == 0 ? "%02x" : ":%02x", addr[i]);
    out += part;
  }
  return out;
}

bool ParseMac(const std::string& text, unsigned char out[6]) {
  unsigned int b[6];
  if (sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return false;
  for (int i = 0; i < 6; i++) out[i] = static_cast<unsigned char>(b[i]);
  return true;
}

std::string OptString(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int OptInt(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
}

}  // namespace

Napi::Object DatagramSocket::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "DatagramSocket", {
      InstanceMethod("send", &DatagramSocket::Send),
      InstanceMethod("attachFilter", &DatagramSocket::AttachFilter),
      InstanceMethod("close", &DatagramSocket::Close),
      InstanceAccessor("port", &DatagramSocket::GetPort, nullptr),
  });
  exports.Set("DatagramSocket", ctor);
  return exports;
}

DatagramSocket::DatagramSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatagramSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "DatagramSocket(options: object, onMessage: Function)").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object opts = info[0].As<Napi::Object>();
  Options o;
  o.kind = OptString(opts, "kind");
  o.netns = OptString(opts, "netns");
  o.ifindex = OptInt(opts, "ifindex");
  o.protocol = OptInt(opts, "protocol");
  o.device = OptString(opts, "device");
  o.address = OptString(opts, "address");
  o.port = OptInt(opts, "port");
  o.broadcast = opts.Get("broadcast").ToBoolean().Value();
  if (o.kind == "packet") {
    kind_ = Kind::kPacket;
  } else if (o.kind == "udp4") {
    kind_ = Kind::kUdp4;
  } else if (o.kind == "udp6") {
    kind_ = Kind::kUdp6;
  } else {
    Napi::TypeError::New(env, "DatagramSocket: kind must be 'packet', 'udp4' or 'udp6'").ThrowAsJavaScriptException();
    return;
  }
  ifindex_ = o.ifindex;
  protocol_ = o.protocol;
  auto open = [&]() -> SyscallError {
    if (kind_ == Kind::kPacket) return OpenPacket(o, &fd_);
    return OpenUdp(o, kind_ == Kind::kUdp6, &fd_, &port_);
  };
  SyscallError result = o.netns.empty() ? open() : WithNetns(o.netns, open);
  if (result.err != 0) {
    ErrnoError(env, result.err, result.syscall, o.netns).ThrowAsJavaScriptException();
    return;
  }
  on_message_ = Napi::Persistent(info[1].As<Napi::Function>());
  buffer_.resize(kMaxDatagram);

  poll_ = StartPoll(env, fd_, this, &DatagramSocket::OnPoll);
  if (poll_ == nullptr) {
    fd_ = -1;
    return;
  }
  // kept alive while open: libuv holds a raw pointer to this object
  Napi::ObjectWrap<DatagramSocket>::Ref();
}

DatagramSocket::~DatagramSocket() { CloseHandle(); }

void DatagramSocket::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<DatagramSocket*>(handle->data);
  if (self == nullptr || self->fd_ < 0) return;
  Napi::Env env = self->on_message_.Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    Napi::Error e = Napi::Error::New(env, std::string("poll failed: ") + uv_strerror(status));
    self->on_message_.Call({e.Value()});
    return;
  }
  self->ReadAvailable();
}

void DatagramSocket::ReadAvailable() {
  Napi::Env env = on_message_.Env();
  // a bounded number per wake-up so a flood cannot starve the event loop
  for (int n = 0; n < 64 && fd_ >= 0; n++) {
    struct sockaddr_storage from;
    char control[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    struct iovec iov = {buffer_.data(), buffer_.size()};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t got = recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      on_message_.Call({ErrnoError(env, errno, "recvmsg").Value()});
      return;
    }
    Napi::Object info = Napi::Object::New(env);
    if (kind_ == Kind::kPacket) {
      auto* ll = reinterpret_cast<struct sockaddr_ll*>(&from);
      bool not_ready = false;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          struct tpacket_auxdata aux;
          memcpy(&aux, CMSG_DATA(c), sizeof(aux));
          not_ready = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
        }
      }
      info.Set("ifindex", Napi::Number::New(env, ll->sll_ifindex));
      info.Set("protocol", Napi::Number::New(env, ntohs(ll->sll_protocol)));
      info.Set("packetType", Napi::Number::New(env, ll->sll_pkttype));
      info.Set("address", Napi::String::New(env, FormatMac(ll->sll_addr, ll->sll_halen)));
      info.Set("checksumNotReady", Napi::Boolean::New(env, not_ready));
    } else {
      char text[INET6_ADDRSTRLEN] = {0};
      int port = 0;
      if (from.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<struct sockaddr_in6*>(&from);
        inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
        port = ntohs(a->sin6_port);
      } else {
        auto* a = reinterpret_cast<struct sockaddr_in*>(&from);
        inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
        port = ntohs(a->sin_port);
      }
      info.Set("address", Napi::String::New(env, text));
      info.Set("port", Napi::Number::New(env, port));
    }
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), static_cast<size_t>(got));
    on_message_.Call({env.Null(), data, info});
  }
}

Napi::Value DatagramSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) {
    Napi::Error::New(env, "socket is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsObject()) {
    Napi::TypeError::New(env, "send(data: Buffer, to: object)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> data = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Object to = info[1].As<Napi::Object>();
  std::string address = OptString(to, "address");
  ssize_t sent;
  if (kind_ == Kind::kPacket) {
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof(ll));
    ll.sll_family = AF_PACKET;
    int protocol = OptInt(to, "protocol");
    ll.sll_protocol = htons(static_cast<uint16_t>(protocol != 0 ? protocol : protocol_));
    ll.sll_ifindex = ifindex_;
    ll.sll_halen = 6;
    if (!ParseMac(address, ll.sll_addr)) {
      Napi::TypeError::New(env, "send: to.address must be a MAC address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sent = sendto(fd_, data.Data(), data.Length(), 0, reinterpret_cast<struct sockaddr*>(&ll), sizeof(ll));
  } else if (kind_ == Kind::kUdp6) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(OptInt(to, "port")));
    a.sin6_scope_id = static_cast<uint32_t>(ifindex_);
    if (inet_pton(AF_INET6, address.c_str(), &a.sin6_addr) != 1) {
      Napi::TypeError::New(env, "send: to.address must be an IPv6 address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sent = sendto(fd_, data.Data(), data.Length(), 0, reinterpret_cast<struct sockaddr*>(&a), sizeof(a));
  } else {
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(OptInt(to, "port")));
    if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) {
      Napi::TypeError::New(env, "send: to.address must be an IPv4 address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sent = sendto(fd_, data.Data(), data.Length(), 0, reinterpret_cast<struct sockaddr*>(&a), sizeof(a));
  }
  if (sent < 0) {
    ErrnoError(env, errno, "sendto").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value DatagramSocket::AttachFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() % sizeof(struct sock_filter) != 0) {
    Napi::TypeError::New(env, "attachFilter(program: Buffer of 8-byte instructions)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> program = info[0].As<Napi::Buffer<uint8_t>>();
  std::vector<struct sock_filter> code(program.Length() / sizeof(struct sock_filter));
  memcpy(code.data(), program.Data(), program.Length());
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(code.size());
  prog.filter = code.data();
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
    ErrnoError(env, errno, "setsockopt(SO_ATTACH_FILTER)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value DatagramSocket::GetPort(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), port_); }

void DatagramSocket::CloseHandle() { StopPoll(&poll_, &fd_); }

Napi::Value DatagramSocket::Close(const Napi::CallbackInfo& info) {
  bool was_open = fd_ >= 0;
  CloseHandle();
  on_message_.Reset();  // as NetlinkSocket::Close: no strong reference to the closure after close
  if (was_open) Napi::ObjectWrap<DatagramSocket>::Unref();
  return info.Env().Undefined();
}

}  // namespace netcfg
