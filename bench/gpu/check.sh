#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU, from the project root with .gpu/ carried (bench/gpu/pack.sh):
#   bash bench/gpu/check.sh            the webgpu tests (conformance, seeded draws, webgpu = webasm Monte Carlo),
#                                      then the throughput bench on webgpu at 50 and 10 iterations (torch on CUDA
#                                      beside it where python3 has torch); logs and results JSON go to $OUT (or .gpu/out)
#   bash bench/gpu/check.sh --local    the same bundles on this machine's node and libraries (webasm rows instead):
#                                      shows the pack works before a device is spent on it
set -uo pipefail
cd "$(dirname "$0")/../.."
[ -d .gpu ] || { echo "check.sh: no .gpu/ here; run bash bench/gpu/pack.sh and carry .gpu" >&2; exit 2; }
backends=webgpu
if [ "${1-}" = --local ]; then
  backends=webasm
else
  for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
  mkdir -p /tmp/gpu-node/bin
  [ -x /tmp/gpu-node/bin/node ] || { xz -dc .gpu/node.xz > /tmp/gpu-node/bin/node && chmod +x /tmp/gpu-node/bin/node; }
  export PATH=/tmp/gpu-node/bin:$PATH
fi
[ -d .gpu/node_modules ] || tar -C .gpu -xJf .gpu/modules.tar.xz
out=${OUT:-.gpu/out}
mkdir -p "$out"
{
  echo "node $(node --version)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "no nvidia-smi"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu only")' 2>&1 || echo "python3 has no torch: the torch peer is skipped"
} | tee "$out/machine.txt"
echo "== webgpu tests"
node --test .gpu/test/*.mjs > "$out/tests.txt" 2>&1
echo "tests exit $?"
grep -E '^# (tests|pass|fail|skipped)|^not ok' "$out/tests.txt"
for n in 50 10; do
  echo "== bench, $backends, $n iterations"
  node .gpu/bench/throughput.mjs --backends=$backends --iterations=$n 2>&1 | tee "$out/bench-${n}it.txt" | grep -v '^  '
done
cp .gpu/bench/results/*.json "$out/" 2>/dev/null
ls "$out"
