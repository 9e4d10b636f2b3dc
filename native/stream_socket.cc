#include "stream_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

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

}  // namespace

Napi::Object InitStreamSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpSocketIn", Napi::Function::New(env, TcpSocketIn, "tcpSocketIn"));
  return exports;
}

}  // namespace netcfg
