// Watching a socket for readability on Node's event loop (libuv), shared by the
// netlink and datagram sockets.
#pragma once

#include <napi.h>
#include <uv.h>

namespace netcfg {

// Starts polling `fd` for UV_READABLE with `data` as the handle's data. On
// failure, closes `fd`, throws a JavaScript error and returns nullptr.
uv_poll_t* StartPoll(Napi::Env env, int fd, void* data, uv_poll_cb callback);

// Stops and frees the poll handle (if any) and closes `*fd` (if open); both are reset.
void StopPoll(uv_poll_t** poll, int* fd);

}  // namespace netcfg
