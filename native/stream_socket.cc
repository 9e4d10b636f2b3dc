#include "stream_socket.h"

#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "netns.h"

namespace netcfg {

namespace {

// tcpSocketIn(netnsPath, family): the file descriptor of a new, unconnected,
// non-blocking, close-on-exec TCP socket (family 4 or 6) that belongs to the
// network namespace at netnsPath. A socket keeps the namespace it was created
// in, so Node can connect and use it like any other (net.Socket({ fd })).
Napi::Value TcpSocketIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "tcpSocketIn(netnsPath: string, family: 4 | 6)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int family = info[1].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
  int fd = -1;
  SyscallError result = WithNetns(path, [&]() -> SyscallError {
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return {errno, "socket"};
    return {};
  });
  if (result.err != 0) {
    ErrnoError(env, result.err, result.syscall, path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// tcpListenerIn(netnsPath, address, port, backlog): the file descriptor of a
// non-blocking, close-on-exec TCP socket in the namespace at netnsPath, bound
// to address:port (SO_REUSEADDR) and listening, for net.Server.listen({ fd }).
Napi::Value TcpListenerIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "tcpListenerIn(netnsPath: string, address: string, port: number, backlog: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string address = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  int backlog = info[3].As<Napi::Number>().Int32Value();
  struct sockaddr_storage sa = {};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<struct sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<struct sockaddr_in6*>(&sa);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    Napi::TypeError::New(env, "tcpListenerIn: not an IP address: " + address).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = -1;
  SyscallError result = WithNetns(path, [&]() -> SyscallError {
    fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return {errno, "socket"};
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return {errno, "setsockopt(SO_REUSEADDR)"};
    if (sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) return {errno, "setsockopt(IPV6_V6ONLY)"};
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), len) != 0) return {errno, "bind"};
    if (listen(fd, backlog) != 0) return {errno, "listen"};
    return {};
  });
  if (result.err != 0) {
    if (fd >= 0) close(fd);
    ErrnoError(env, result.err, result.syscall, address + ":" + std::to_string(port)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

Napi::Object InitStreamSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpSocketIn", Napi::Function::New(env, TcpSocketIn, "tcpSocketIn"));
  exports.Set("tcpListenerIn", Napi::Function::New(env, TcpListenerIn, "tcpListenerIn"));
  return exports;
}

}  // namespace netcfg
