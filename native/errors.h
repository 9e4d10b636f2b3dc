// Errors thrown or delivered to JavaScript carry errno, code and syscall,
// the same shape as Node's own system errors.
#pragma once

#include <napi.h>

#include <string>

namespace netcfg {

// Name of an errno value ("EEXIST"); "E<number>" when unknown.
std::string ErrnoName(int err);

// Builds an Error with .errno (positive), .code and .syscall set.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail = "");

}  // namespace netcfg
