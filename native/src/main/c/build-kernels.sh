#!/usr/bin/env bash
# Builds the optional C kernel library for io.funnel.ffi.NativeKernels. Run by the Maven build (native/pom.xml);
# ALWAYS exits 0: without gcc, on another OS or CPU architecture, or when the compiler fails, it says why it
# skipped and Funnel runs on its Java kernels.
#   usage: build-kernels.sh <source.c> <output-dir>
src="$1"
out_dir="$2"
if [ "$(uname -s)" != "Linux" ] || [ "$(uname -m)" != "x86_64" ]; then
    echo "[funnel-native] C kernels skipped: only built on Linux x86_64, this is $(uname -s) $(uname -m)"
    exit 0
fi
cc="${CC:-gcc}"
if ! command -v "$cc" > /dev/null 2>&1; then
    echo "[funnel-native] C kernels skipped: no C compiler '$cc' on PATH"
    exit 0
fi
mkdir -p "$out_dir" || { echo "[funnel-native] C kernels skipped: cannot create $out_dir"; exit 0; }
# No -mavx2 for the whole file: the kernels carry target("avx2,fma") so that the library loads on any x86-64 CPU.
if "$cc" -O3 -fPIC -shared -Wall -Wextra -o "$out_dir/libfunnelkernels.so" "$src"; then
    echo "[funnel-native] C kernels built: $out_dir/libfunnelkernels.so ($("$cc" --version | head -n 1))"
else
    rm -f "$out_dir/libfunnelkernels.so"
    echo "[funnel-native] C kernels skipped: '$cc' failed (see above); the Java kernels are used"
fi
exit 0
