// A TCP socket created inside a network namespace (for clients such as the
// discovery gRPC client when netcfg works on a namespace it does not run in).
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitStreamSocket(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
