// Reading a file into memory that is populated in one call, for the start of
// every command: bin/netcfg.js reads the bundle's source and its V8 code cache
// (~1.2 and ~1.5 MB) through these.
//
// A page touched for the first time costs a page fault; on some virtual
// machines (measured on this project's 2-core Firecracker VM) ~13 µs each,
// against ~0.9 µs per page when mmap populates them all at once (MAP_POPULATE).
// readFileSync followed by a latin1 decode touches the source's size twice, in
// fresh pages each time: ~580 faults, ~7 ms of every start there. Here the
// file is read once into a populated private anonymous mapping, and handed to
// JavaScript without a copy: as an external latin1 string (the source; V8 keeps
// pointing into the mapping) or as an external Buffer (the code cache). The
// mapping is unmapped when V8 collects the value.
//
// Anonymous memory, not a mapping of the file: a file mapping would fault with
// SIGBUS once the file was truncated in place (an upgrade that overwrites the
// bundle under a running daemon).
//
// node_api_create_external_string_latin1 is node's (since 20.4) but still
// declared under NAPI_EXPERIMENTAL: this file alone is built with it, in plain
// C N-API; the rest of the addon stays on NAPI_VERSION 8.
#define NAPI_EXPERIMENTAL
#include "file_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace netcfg {

namespace {

struct Mapping {
  void* base;
  /** What is mapped: at least one byte (an empty file still gets a mapping of its own). */
  size_t length;
  /** What was read: the file's size. */
  size_t size;
};

void Unmap(node_api_basic_env /*env*/, void* /*data*/, void* hint) {
  Mapping* m = static_cast<Mapping*>(hint);
  munmap(m->base, m->length);
  delete m;
}

napi_value ThrowErrno(napi_env env, const char* syscall, const std::string& file, int err) {
  std::string message = std::string(syscall) + " " + file + ": " + strerror(err);
  napi_value msg, code, error;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "syscall", code);
  napi_value errno_value;
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return nullptr;
}

// Reads the whole of `file` into a populated anonymous mapping. Returns false
// with errno and the failing call set.
bool ReadPopulated(const std::string& file, Mapping* out, const char** failed) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *failed = "open";
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *failed = "fstat";
    int err = errno;
    close(fd);
    errno = err;
    return false;
  }
  size_t size = static_cast<size_t>(st.st_size);
  size_t length = size == 0 ? 1 : size;
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (base == MAP_FAILED) {
    *failed = "mmap";
    int err = errno;
    close(fd);
    errno = err;
    return false;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, static_cast<char*>(base) + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // n == 0: the file shrank while being read
      *failed = "read";
      int err = n == 0 ? EIO : errno;
      munmap(base, length);
      close(fd);
      errno = err;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  out->base = base;
  out->length = length;
  out->size = size;
  return true;
}

bool PathArgument(napi_env env, napi_callback_info info, const char* usage, std::string* file) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_string) {
    napi_throw_type_error(env, nullptr, usage);
    return false;
  }
  size_t len = 0;
  napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len);
  file->resize(len + 1);
  napi_get_value_string_utf8(env, argv[0], &(*file)[0], len + 1, &len);
  file->resize(len);
  return true;
}

// The file named by the first argument, read into a mapping of its own; nullptr once an error is thrown.
Mapping* ReadArgumentFile(napi_env env, napi_callback_info info, const char* usage) {
  std::string file;
  if (!PathArgument(env, info, usage, &file)) return nullptr;
  Mapping m;
  const char* failed = "";
  if (!ReadPopulated(file, &m, &failed)) {
    ThrowErrno(env, failed, file, errno);
    return nullptr;
  }
  return new Mapping(m);
}

// readLatin1External(path): the file's bytes as a latin1 string that points into its mapping.
napi_value ReadLatin1External(napi_env env, napi_callback_info info) {
  Mapping* owned = ReadArgumentFile(env, info, "readLatin1External(path: string)");
  if (owned == nullptr) return nullptr;
  napi_value result;
  // copied: a short string is copied into the heap, and the finalizer has run already
  bool copied = false;
  if (node_api_create_external_string_latin1(env, static_cast<char*>(owned->base), owned->size, Unmap, owned, &result, &copied) != napi_ok) {
    Unmap(nullptr, nullptr, owned);
    napi_throw_error(env, nullptr, "readLatin1External: V8 made no string");
    return nullptr;
  }
  return result;
}

// readBufferPopulated(path): the file's bytes as a Buffer over its mapping.
napi_value ReadBufferPopulated(napi_env env, napi_callback_info info) {
  Mapping* owned = ReadArgumentFile(env, info, "readBufferPopulated(path: string)");
  if (owned == nullptr) return nullptr;
  napi_value result;
  if (napi_create_external_buffer(env, owned->size, owned->base, Unmap, owned, &result) != napi_ok) {
    Unmap(nullptr, nullptr, owned);
    napi_throw_error(env, nullptr, "readBufferPopulated: no Buffer made");
    return nullptr;
  }
  return result;
}

}  // namespace

void InitFileMemory(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "readLatin1External", NAPI_AUTO_LENGTH, ReadLatin1External, nullptr, &fn);
  napi_set_named_property(env, exports, "readLatin1External", fn);
  napi_create_function(env, "readBufferPopulated", NAPI_AUTO_LENGTH, ReadBufferPopulated, nullptr, &fn);
  napi_set_named_property(env, exports, "readBufferPopulated", fn);
}

}  // namespace netcfg
