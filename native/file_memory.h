// Files read into populated memory and handed to JavaScript without a copy.
#pragma once

#include <node_api.h>

namespace netcfg {

void InitFileMemory(napi_env env, napi_value exports);

}  // namespace netcfg
