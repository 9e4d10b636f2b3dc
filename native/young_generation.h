// A ceiling for V8's young generation, set while the process runs.
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitYoungGeneration(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
