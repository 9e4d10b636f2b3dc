{
  "targets": [
    {
      "target_name": "netcfg_native",
      "sources": [
        "native/addon.cc",
        "native/datagram_socket.cc",
        "native/ethtool.cc",
        "native/file_memory.cc",
        "native/errors.cc",
        "native/memory.cc",
        "native/netns.cc",
        "native/poll.cc",
        "native/random.cc",
        "native/netlink_socket.cc",
        "native/stream_socket.cc",
        "native/uts.cc",
        "native/young_generation.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
