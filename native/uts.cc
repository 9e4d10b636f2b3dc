#include "uts.h"

#include <errno.h>
#include <unistd.h>

#include <string>

#include "errors.h"

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

}  // namespace

Napi::Object InitUts(Napi::Env env, Napi::Object exports) {
  exports.Set("sethostname", Napi::Function::New(env, SetHostname, "sethostname"));
  exports.Set("setdomainname", Napi::Function::New(env, SetDomainname, "setdomainname"));
  return exports;
}

}  // namespace netcfg
