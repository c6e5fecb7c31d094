{
  "target_defaults": {
    "sources": ["dnnl_kernels.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fopenmp", "-ffp-contract=off"],
    "libraries": ["-ldnnl", "-fopenmp"]
  },
  "targets": [
    { "target_name": "dnnl_kernels" },
    { "target_name": "dnnl_kernels_avx2", "cflags_cc": ["-mavx2", "-mfma"] },
    { "target_name": "dnnl_kernels_avx512", "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma"] }
  ]
}
