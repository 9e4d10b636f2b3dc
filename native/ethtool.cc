#include "ethtool.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "netns.h"

namespace netcfg {

namespace {

constexpr unsigned kMaxAddrLen = 32;  // MAX_ADDR_LEN (linux/netdevice.h clashes with net/if.h)

// SIOCETHTOOL on a throw-away socket opened in the namespace (the ioctl finds
// the device by name in the socket's namespace).
SyscallError EthtoolIoctl(const std::string& netns, const std::string& name, void* data) {
  auto run = [&]() -> SyscallError {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {errno, "socket"};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = static_cast<char*>(data);
    int rc = ioctl(fd, SIOCETHTOOL, &ifr);
    int err = errno;
    close(fd);
    if (rc != 0) return {err, "ioctl(SIOCETHTOOL)"};
    return {};
  };
  return netns.empty() ? run() : WithNetns(netns, run);
}

bool Args(const Napi::CallbackInfo& info, std::string* netns, std::string* name) {
  if (info.Length() < 2 || !info[1].IsString() || !(info[0].IsString() || info[0].IsNull() || info[0].IsUndefined())) {
    Napi::TypeError::New(info.Env(), "(netnsPath: string | null, name: string)").ThrowAsJavaScriptException();
    return false;
  }
  *netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  *name = info[1].As<Napi::String>().Utf8Value();
  return true;
}

// ethtoolPermanentAddress(netns, name): "aa:bb:…" or "" when the driver has none.
Napi::Value PermanentAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns, name;
  if (!Args(info, &netns, &name)) return env.Undefined();
  // struct ethtool_perm_addr ends in a flexible array: room for the address follows it
  alignas(struct ethtool_perm_addr) unsigned char storage[sizeof(struct ethtool_perm_addr) + kMaxAddrLen];
  memset(storage, 0, sizeof(storage));
  auto* head = reinterpret_cast<struct ethtool_perm_addr*>(storage);
  head->cmd = ETHTOOL_GPERMADDR;
  head->size = kMaxAddrLen;
  SyscallError r = EthtoolIoctl(netns, name, storage);
  if (r.err != 0) {
    ErrnoError(env, r.err, r.syscall, name).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string out;
  bool any = false;
  char part[4];
  for (unsigned i = 0; i < head->size && i < kMaxAddrLen; i++) {
    snprintf(part, sizeof(part), i == 0 ? "%02x" : ":%02x", head->data[i]);
    out += part;
    any = any || head->data[i] != 0;
  }
  return Napi::String::New(env, any ? out : "");
}

// ethtoolDriverInfo(netns, name): { driver, version, firmwareVersion, busInfo }
Napi::Value DriverInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns, name;
  if (!Args(info, &netns, &name)) return env.Undefined();
  struct ethtool_drvinfo req;
  memset(&req, 0, sizeof(req));
  req.cmd = ETHTOOL_GDRVINFO;
  SyscallError r = EthtoolIoctl(netns, name, &req);
  if (r.err != 0) {
    ErrnoError(env, r.err, r.syscall, name).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("driver", Napi::String::New(env, std::string(req.driver, strnlen(req.driver, sizeof(req.driver)))));
  out.Set("version", Napi::String::New(env, std::string(req.version, strnlen(req.version, sizeof(req.version)))));
  out.Set("firmwareVersion", Napi::String::New(env, std::string(req.fw_version, strnlen(req.fw_version, sizeof(req.fw_version)))));
  out.Set("busInfo", Napi::String::New(env, std::string(req.bus_info, strnlen(req.bus_info, sizeof(req.bus_info)))));
  return out;
}

// ethtoolLinkSettings(netns, name): { speed, duplex, port } as ETHTOOL_GLINKSETTINGS
// reports them (speed in Mb/s, -1 when unknown; DUPLEX_*; PORT_*). The kernel
// first answers how many words its link mode masks take; the second call brings
// room for them (three masks follow the struct).
Napi::Value LinkSettings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns, name;
  if (!Args(info, &netns, &name)) return env.Undefined();
  constexpr int kMaxWords = 127;  // link_mode_masks_nwords is an s8
  // struct ethtool_link_settings ends in a flexible array: room for three masks follows it
  alignas(struct ethtool_link_settings) unsigned char storage[sizeof(struct ethtool_link_settings) + 3 * kMaxWords * sizeof(__u32)];
  auto* req = reinterpret_cast<struct ethtool_link_settings*>(storage);
  memset(storage, 0, sizeof(storage));
  req->cmd = ETHTOOL_GLINKSETTINGS;
  SyscallError r = EthtoolIoctl(netns, name, storage);
  if (r.err == 0 && req->link_mode_masks_nwords < 0) {
    int words = -req->link_mode_masks_nwords;
    if (words > kMaxWords) words = kMaxWords;
    memset(storage, 0, sizeof(storage));
    req->cmd = ETHTOOL_GLINKSETTINGS;
    req->link_mode_masks_nwords = static_cast<__s8>(words);
    r = EthtoolIoctl(netns, name, storage);
  }
  if (r.err == 0 && req->link_mode_masks_nwords <= 0) r = {EOPNOTSUPP, "ioctl(SIOCETHTOOL)"};
  if (r.err != 0) {
    ErrnoError(env, r.err, r.syscall, name).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("speed", Napi::Number::New(env, req->speed == static_cast<__u32>(SPEED_UNKNOWN) ? -1 : static_cast<double>(req->speed)));
  out.Set("duplex", Napi::Number::New(env, req->duplex));
  out.Set("port", Napi::Number::New(env, req->port));
  return out;
}

}  // namespace

Napi::Object InitEthtool(Napi::Env env, Napi::Object exports) {
  exports.Set("ethtoolPermanentAddress", Napi::Function::New(env, PermanentAddress, "ethtoolPermanentAddress"));
  exports.Set("ethtoolDriverInfo", Napi::Function::New(env, DriverInfo, "ethtoolDriverInfo"));
  exports.Set("ethtoolLinkSettings", Napi::Function::New(env, LinkSettings, "ethtoolLinkSettings"));
  return exports;
}

}  // namespace netcfg
