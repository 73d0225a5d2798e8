#!/usr/bin/env bash
# Packs, into .gpu/ (git-ignored), what a bare offline Linux x86-64 machine with an NVIDIA GPU needs to run the GPU
# check (bench/gpu/check.sh), small enough to carry with the working tree (under 64 MiB in all):
#   .gpu/node.xz              this machine's node binary
#   .gpu/debs/*.deb           the Vulkan/GL loader libraries Dawn needs (unpacked there by check.sh)
#   .gpu/bench/throughput.mjs the throughput bench, and .gpu/test/*.mjs the webgpu tests, bundled by esbuild with src/
#                             inlined, so the whole dependency tree (1 GB here) stays behind
#   .gpu/modules.tar.xz       what the bundles load at run time: gpu.js (+ acorn, gpu-mock.js), webgpu with its
#                             linux-x64 Dawn only, and the two @stdlib/random modules rng.ts loads, each bundled
# Run from the project root after `npm ci`:  bash bench/gpu/pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f package.json ] && [ -d node_modules ] || { echo "pack.sh: run after npm ci" >&2; exit 2; }
out=.gpu
rm -rf "$out"
mkdir -p "$out/debs" "$out/bench/peers" "$out/test" "$out/node_modules/@stdlib/random/base"
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
lists=$(mktemp -d)
mkdir -p "$lists/partial"
apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt[@]}" update -qq > /dev/null
(cd "$out/debs" && apt-get "${apt[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2> /dev/null)
rm -rf "$lists"
# ESM bundles keep gpu.js and webgpu outside (native code, optional requires); `require` for the lazy loads in src
bundle() {
  npx esbuild "$1" --bundle --platform=node --format=esm --target=node20 --outfile="$2" --log-level=warning \
    --external:gpu.js --external:webgpu --external:gl \
    --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
}
bundle bench/throughput.bench.ts "$out/bench/throughput.mjs"
cp bench/peers/*.py "$out/bench/peers/"
for t in test/kernels/linear.test.ts test/models/linear/backends.test.ts; do bundle "$t" "$out/test/$(basename "$t" .ts).mjs"; done
for m in mt19937 normal; do
  entry="$out/entry-$m.cjs" # inside the project, so that the require resolves from its node_modules
  echo "module.exports = require('@stdlib/random/base/$m');" > "$entry"
  npx esbuild "$entry" --bundle --platform=node --format=cjs --target=node20 --log-level=warning --outfile="$out/node_modules/@stdlib/random/base/$m/index.js"
  rm -f "$entry"
done
for p in gpu.js acorn gpu-mock.js webgpu; do cp -r "node_modules/$p" "$out/node_modules/"; done
find "$out/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
tar -C "$out" -cJf "$out/modules.tar.xz" node_modules
rm -rf "$out/node_modules"
du -sh "$out" | sed 's/^/packed: /'
echo "carry .gpu; on the GPU machine, from the project root: bash bench/gpu/check.sh"
