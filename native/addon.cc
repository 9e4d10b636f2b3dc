// netcfg native addon: sockets and a few system calls, no protocol knowledge
// (and two memory settings: glibc's, V8's young generation).
#include <napi.h>

#include "datagram_socket.h"
#include "ethtool.h"
#include "file_memory.h"
#include "memory.h"
#include "netlink_socket.h"
#include "random.h"
#include "stream_socket.h"
#include "uts.h"
#include "young_generation.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  netcfg::NetlinkSocket::Init(env, exports);
  netcfg::InitUts(env, exports);
  netcfg::DatagramSocket::Init(env, exports);
  netcfg::InitEthtool(env, exports);
  netcfg::InitStreamSocket(env, exports);
  netcfg::InitMemory(env, exports);
  netcfg::InitFileMemory(env, exports);
  netcfg::InitRandom(env, exports);
  netcfg::InitYoungGeneration(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(netcfg_native, Init)
