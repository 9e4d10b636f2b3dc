#include "uts.h"

#include <errno.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "netns.h"

namespace netcfg {

namespace {

Napi::Value SetName(const Napi::CallbackInfo& info, int (*fn)(const char*, size_t), const char* syscall) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, std::string(syscall) + "(name: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (fn(name.c_str(), name.size()) != 0) ErrnoError(env, errno, syscall, name).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value SetHostname(const Napi::CallbackInfo& info) { return SetName(info, sethostname, "sethostname"); }
Napi::Value SetDomainname(const Napi::CallbackInfo& info) { return SetName(info, setdomainname, "setdomainname"); }

// setNamesIn(utsPath, hostname, domainname): both names set inside the UTS
// namespace at utsPath (e.g. /proc/PID/ns/uts), the calling thread returning after.
Napi::Value SetNamesIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString()) {
    Napi::TypeError::New(env, "setNamesIn(utsPath: string, hostname: string, domainname: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string host = info[1].As<Napi::String>().Utf8Value();
  std::string domain = info[2].As<Napi::String>().Utf8Value();
  SyscallError result = WithUtsNamespace(path, [&]() -> SyscallError {
    if (sethostname(host.c_str(), host.size()) != 0) return {errno, "sethostname"};
    if (setdomainname(domain.c_str(), domain.size()) != 0) return {errno, "setdomainname"};
    return {};
  });
  if (result.err != 0) ErrnoError(env, result.err, result.syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

// namesIn(utsPath): [hostname, domainname] as seen inside that UTS namespace.
Napi::Value NamesIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "namesIn(utsPath: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct utsname names;
  SyscallError result = WithUtsNamespace(path, [&]() -> SyscallError {
    if (uname(&names) != 0) return {errno, "uname"};
    return {};
  });
  if (result.err != 0) {
    ErrnoError(env, result.err, result.syscall, path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, names.nodename));
  out.Set(1u, Napi::String::New(env, names.domainname));
  return out;
}

}  // namespace

Napi::Object InitUts(Napi::Env env, Napi::Object exports) {
  exports.Set("sethostname", Napi::Function::New(env, SetHostname, "sethostname"));
  exports.Set("setdomainname", Napi::Function::New(env, SetDomainname, "setdomainname"));
  exports.Set("setNamesIn", Napi::Function::New(env, SetNamesIn, "setNamesIn"));
  exports.Set("namesIn", Napi::Function::New(env, NamesIn, "namesIn"));
  return exports;
}

}  // namespace netcfg
