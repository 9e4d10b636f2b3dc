// Entering a network namespace for the duration of one call on the calling thread.
#pragma once

#include <functional>
#include <string>

namespace netcfg {

struct SyscallError {
  int err = 0;                  // positive errno, 0 on success
  const char* syscall = nullptr;
};

// Runs `fn` on the calling thread inside the network namespace file at `path`
// (for example /run/netns/NAME or /proc/PID/ns/net), then returns the thread to
// its original namespace. `fn` returns 0 or a positive errno and sets *syscall.
// If the thread cannot be returned to its namespace the process aborts: carrying
// on would configure the wrong namespace.
SyscallError WithNetns(const std::string& path, const std::function<SyscallError()>& fn);

// The same for a UTS namespace (CLONE_NEWUTS): hostname changes go there.
SyscallError WithUtsNamespace(const std::string& path, const std::function<SyscallError()>& fn);

}  // namespace netcfg
