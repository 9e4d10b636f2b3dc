// sethostname/setdomainname for the calling process's UTS namespace.
#pragma once

#include <napi.h>

namespace netcfg {

Napi::Object InitUts(Napi::Env env, Napi::Object exports);

}  // namespace netcfg
