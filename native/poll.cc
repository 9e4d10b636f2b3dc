#include "poll.h"

#include <unistd.h>

#include <string>

namespace netcfg {

uv_poll_t* StartPoll(Napi::Env env, int fd, void* data, uv_poll_cb callback) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(loop, poll, fd);
  if (rc == 0) {
    poll->data = data;
    rc = uv_poll_start(poll, UV_READABLE, callback);
  }
  if (rc != 0) {
    delete poll;
    close(fd);
    Napi::Error::New(env, std::string("uv_poll failed: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
    return nullptr;
  }
  return poll;
}

void StopPoll(uv_poll_t** poll, int* fd) {
  if (*poll != nullptr) {
    uv_poll_stop(*poll);
    // libuv frees nothing itself: the handle is deleted once it is closed
    uv_close(reinterpret_cast<uv_handle_t*>(*poll), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    *poll = nullptr;
  }
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

}  // namespace netcfg
