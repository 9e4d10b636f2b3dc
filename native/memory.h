// How much freed memory glibc's malloc keeps in the process.
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
