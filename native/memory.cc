// glibc's malloc serves blocks above its mmap threshold (128 KiB at start) with
// mmap and gives them back on free. But when such a block is freed, it raises
// the threshold to that block's size (up to 32 MiB), and the heap top it keeps
// unreturned to twice that: after a 7 MB config buffer, every later block up to
// 7 MB comes from the heap, and up to 14 MB of freed memory stays in the
// process. Fixed thresholds turn that adjustment off.
#include "memory.h"

#include <malloc.h>

namespace netcfg {

namespace {

// limitMallocRetention(mmapThreshold, trimThreshold): true when glibc took both.
Napi::Value LimitMallocRetention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "limitMallocRetention(mmapThreshold: number, trimThreshold: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int mmap_threshold = info[0].As<Napi::Number>().Int32Value();
  int trim_threshold = info[1].As<Napi::Number>().Int32Value();
  bool ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
  return Napi::Boolean::New(env, ok);
}

}  // namespace

Napi::Object InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("limitMallocRetention", Napi::Function::New(env, LimitMallocRetention, "limitMallocRetention"));
  return exports;
}

}  // namespace netcfg
