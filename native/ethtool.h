// Two ethtool ioctls a network configurator needs for hardware facts: the
// permanent MAC address (ETHTOOL_GPERMADDR) and driver/bus info (ETHTOOL_GDRVINFO).
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitEthtool(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
