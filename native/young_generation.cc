// V8's young generation starts small and doubles each time much of it survives
// a scavenge, up to 16 MiB a semi-space (32 MiB committed, more while it is
// being swept). A bulk apply allocates what it keeps in one go, so it always
// reaches that ceiling, though a quarter of it is in use at a time.
// `--max-semi-space-size` would set a lower ceiling but is read only when node
// starts, which `node bin/netcfg.js` leaves to the user. The growth factor
// (`--semi-space-growth-factor`) is read each time V8 grows the space: a GC
// epilogue callback sets it to 1 once the space has reached the cap, so that it
// grows no more. No JS can do this: the growth happens inside one synchronous
// parse of a large config, with no turn of the event loop in between.
#include "young_generation.h"

#include <v8.h>

#include <cstring>

namespace netcfg {

namespace {

// The cap (bytes of one semi-space), 0 when none is set; and whether it was reached.
size_t cap_bytes = 0;
bool capped = false;

size_t NewSpaceCapacity(v8::Isolate* isolate) {
  v8::HeapSpaceStatistics s;
  for (size_t i = 0; i < isolate->NumberOfHeapSpaces(); i++) {
    if (!isolate->GetHeapSpaceStatistics(&s, i)) continue;
    if (std::strcmp(s.space_name(), "new_space") == 0) return s.space_size();
  }
  return 0;
}

void OnGarbageCollected(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags, void*) {
  if (cap_bytes == 0 || capped || type != v8::kGCTypeScavenge) return;
  // new_space's size is both semi-spaces
  if (NewSpaceCapacity(isolate) / 2 < cap_bytes) return;
  capped = true;
  v8::V8::SetFlagsFromString("--semi-space-growth-factor=1");
}

bool registered = false;

// capYoungGeneration(semiSpaceBytes): from now on the young generation stops
// growing once a semi-space holds this many bytes. 0 lifts the cap and puts
// back V8's factor (2), so that the flags are those of any other run.
Napi::Value CapYoungGeneration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 0) {
    Napi::TypeError::New(env, "capYoungGeneration(semiSpaceBytes: number >= 0)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (!registered) {
    isolate->AddGCEpilogueCallback(OnGarbageCollected, nullptr, v8::kGCTypeScavenge);
    registered = true;
  }
  if (capped) v8::V8::SetFlagsFromString("--semi-space-growth-factor=2");
  capped = false;
  cap_bytes = static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue());
  return env.Undefined();
}

}  // namespace

Napi::Object InitYoungGeneration(Napi::Env env, Napi::Object exports) {
  exports.Set("capYoungGeneration", Napi::Function::New(env, CapYoungGeneration, "capYoungGeneration"));
  return exports;
}

}  // namespace netcfg
