// Random bytes from the kernel (getrandom(2)).
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitRandom(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
