// getRandom(n): n bytes from getrandom(2), the kernel's CSPRNG, which blocks
// until it is initialised (as OpenSSL's RAND_bytes behind node:crypto does).
// For what needs a few random bytes at a daemon's start (a new node identity):
// node:crypto would load 36 of node's modules for them (~9 ms).
#include "random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <string>

namespace netcfg {

namespace {

constexpr size_t kMaxBytes = 65536;

Napi::Value GetRandom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "getRandom(length: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= 0 && requested <= static_cast<double>(kMaxBytes)) || requested != static_cast<double>(static_cast<size_t>(requested))) {
    Napi::RangeError::New(env, "getRandom: length must be an integer from 0 to 65536").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t length = static_cast<size_t>(requested);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, length);
  size_t done = 0;
  while (done < length) {
    ssize_t n = getrandom(out.Data() + done, length - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      Napi::Error err = Napi::Error::New(env, std::string("getrandom: ") + strerror(errno));
      err.Set("errno", Napi::Number::New(env, errno));
      err.Set("syscall", Napi::String::New(env, "getrandom"));
      err.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace

Napi::Object InitRandom(Napi::Env env, Napi::Object exports) {
  exports.Set("getRandom", Napi::Function::New(env, GetRandom, "getRandom"));
  return exports;
}

}  // namespace netcfg
