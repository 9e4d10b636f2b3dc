#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace netcfg {

SyscallError WithNetns(const std::string& path, const std::function<SyscallError()>& fn) {
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return {errno, "open(/proc/thread-self/ns/net)"};
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(original);
    return {err, "open(netns)"};
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(target);
    close(original);
    return {err, "setns"};
  }
  close(target);
  SyscallError result = fn();
  if (setns(original, CLONE_NEWNET) != 0) {
    perror("netcfg: cannot return to the original network namespace");
    abort();
  }
  close(original);
  return result;
}

}  // namespace netcfg
