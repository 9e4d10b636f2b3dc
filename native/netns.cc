#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace netcfg {

namespace {

SyscallError WithNamespace(const std::string& path, int nstype, const char* self, const std::function<SyscallError()>& fn) {
  int original = open(self, O_RDONLY | O_CLOEXEC);
  if (original < 0) return {errno, "open(/proc/thread-self/ns)"};
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(original);
    return {err, "open(netns)"};
  }
  if (setns(target, nstype) != 0) {
    int err = errno;
    close(target);
    close(original);
    return {err, "setns"};
  }
  close(target);
  SyscallError result = fn();
  if (setns(original, nstype) != 0) {
    perror("netcfg: cannot return to the original namespace");
    abort();
  }
  close(original);
  return result;
}

}  // namespace

SyscallError WithNetns(const std::string& path, const std::function<SyscallError()>& fn) {
  return WithNamespace(path, CLONE_NEWNET, "/proc/thread-self/ns/net", fn);
}

SyscallError WithUtsNamespace(const std::string& path, const std::function<SyscallError()>& fn) {
  return WithNamespace(path, CLONE_NEWUTS, "/proc/thread-self/ns/uts", fn);
}

}  // namespace netcfg
