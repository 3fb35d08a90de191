{
  "targets": [
    {
      "target_name": "weft_native",
      "sources": [
        "src/weft_addon.cc",
        "src/weft_errors.cc",
        "src/weft_bpf_object.cc",
        "src/weft_bpf_fd.cc",
        "src/weft_netns.cc",
        "src/weft_probe.cc",
        "src/weft_fd_passing.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-lbpf", "-lelf", "-lz"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    }
  ]
}
