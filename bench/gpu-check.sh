#!/usr/bin/env bash
# The webgpu backend on a real GPU, once: install, run the webgpu tests on the GPU's adapter, and time
# the canonical training step and a 1,000-step quick-preset run on webgpu against wasm.
#
# For a machine with an NVIDIA GPU whose driver provides Vulkan (Dawn loads libvulkan.so.1 and the
# driver's ICD, e.g. /usr/share/vulkan/icd.d/nvidia_icd.json; in a container the driver
# capabilities must include `graphics`), Node ≥ 20 and the npm registry. About 3–5 minutes.
#
#     bash bench/gpu-check.sh            # logs and summary.json under $OUT (default bench/gpu-check-<time>)
#     SKIP_INSTALL=1 bash bench/gpu-check.sh   # where `npm ci` has already run in this checkout
#
# A dry run of the script itself on a machine without a GPU: ALLOW_SOFTWARE=1 BENCH_STEPS=2
# QUICK_STEPS=20 (its figures are then the CPU's, and summary.json says "software": true).
#
# It stops, saying so, if Dawn finds no adapter or only a software one (llvmpipe, lavapipe): such
# timings would be the CPU's, not the GPU's. Put the figures in the backend table of docs/backends-and-performance.md with the
# card named; until then that table says the GPU speed is unmeasured.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/gpu-check-$(date +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
say() { echo "[gpu-check] $*" | tee -a "$OUT/summary.txt"; }
started=$(date +%s)
BENCH_STEPS=${BENCH_STEPS:-20}
QUICK_STEPS=${QUICK_STEPS:-1000}

# 1. The GPU and its Vulkan driver. Dawn dlopens the loader; the NVIDIA driver brings its ICD.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
else
  say "nvidia-smi not found: is this the GPU machine?"
fi
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  say "installing the Vulkan loader (libvulkan1)"
  { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" apt-get install -y -qq --no-install-recommends libvulkan1; } > "$OUT/apt.log" 2>&1 \
    || say "could not install libvulkan1 (see $OUT/apt.log)"
fi
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | tee "$OUT/vulkan-icd.txt" || true
grep -qi nvidia "$OUT/vulkan-icd.txt" || say "no NVIDIA Vulkan ICD listed (in a container: NVIDIA_DRIVER_CAPABILITIES needs graphics); Dawn may find no GPU"

# 2. Install (webgpu and @tensorflow/tfjs-backend-webgpu are optional dependencies: check they came).
t=$(date +%s)
if [ -z "${SKIP_INSTALL:-}" ]; then
  npm ci --no-audit --no-fund > "$OUT/npm-ci.log" 2>&1
  say "npm ci: $(( $(date +%s) - t )) s"
fi
NODE=node_modules/.bin/node
[ -x "$NODE" ] || NODE=node
"$NODE" -e 'require.resolve("webgpu/package.json"); require.resolve("@tensorflow/tfjs-backend-webgpu/package.json")' \
  || { say "webgpu or @tensorflow/tfjs-backend-webgpu did not install (see $OUT/npm-ci.log)"; exit 1; }

# 3. The adapter Dawn finds: a GPU, or stop.
"$NODE" --input-type=module -e '
  import { Effect } from "effect"
  import { describeAdapter, openWebGpu } from "./dist/src/services/backend/webgpu.js"
  const r = await Effect.runPromise(Effect.result(openWebGpu(true)))
  if (r._tag === "Failure") { console.log(`no webgpu: ${r.failure.message}`); process.exit(2) }
  r.success.release()
  console.log(JSON.stringify({ ...r.success.adapter, line: describeAdapter(r.success.adapter) }))
  process.exit(r.success.adapter.software && process.env.ALLOW_SOFTWARE === undefined ? 3 : 0)
' > "$OUT/adapter.json" 2> "$OUT/adapter.err" || {
  code=$?
  say "$(cat "$OUT/adapter.json") (exit $code): $([ $code -eq 3 ] && echo 'only a software adapter, not a GPU' || echo 'no adapter'); nothing timed"
  exit 1
}
say "adapter: $(cat "$OUT/adapter.json")"

# 4. The webgpu tests, on the GPU's adapter (the suite's name carries the adapter).
t=$(date +%s)
npx vitest run test/webgpu.test.ts test/readbacks.test.ts > "$OUT/tests.log" 2>&1 && tests=passed || tests=FAILED
say "webgpu tests: $tests in $(( $(date +%s) - t )) s (log: $OUT/tests.log)"

# 5. The canonical step ([16, 48, 1], 8 β × 256 samples, the paper's hypernetwork): median of 20 steps.
"$NODE" dist/bench/trainStep.js --backends webgpu,wasm --threads 1 --steps "$BENCH_STEPS" > "$OUT/bench.log" 2>&1 || say "bench failed (see $OUT/bench.log)"
grep -E '^(webgpu|wasm)|^step time over|^\{' "$OUT/bench.log" | tee -a "$OUT/summary.txt" || true

# 6. 1,000 steps of the quick preset's training ([8, 24, 1], lr 2e-3), each backend at most 80 s.
every=$(( QUICK_STEPS / 10 ))
for backend in webgpu wasm; do
  run="$OUT/quick-$backend"
  t=$(date +%s%N)
  timeout 80 "$NODE" dist/cli/bin/hyperlayers.js train --backend "$backend" --seed 1 --shape 8,24,1 --lr 0.002 --steps "$QUICK_STEPS" \
    --checkpoint-every "$(( QUICK_STEPS / 2 ))" --log-every "$every" --threads 1 --out "$run" > "$OUT/quick-$backend.log" 2>&1 || say "quick $backend: stopped (timeout or error; see $OUT/quick-$backend.log)"
  rows=$(wc -l < "$run/metrics.jsonl" 2>/dev/null || echo 0)
  say "quick $backend: $(( rows * every )) steps in $(( ($(date +%s%N) - t) / 1000000 )) ms wall, start-up and checkpoints included"
done

# 7. One JSON summary: the ratios that table needs.
"$NODE" --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs"
  const out = process.argv[1]
  const lines = readFileSync(`${out}/bench.log`, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
  const step = Object.fromEntries(lines.map((l) => [l.backend, l.ms_per_step]))
  const quick = {}
  for (const b of ["webgpu", "wasm"]) {
    try {
      const rows = readFileSync(`${out}/quick-${b}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      const ms = rows.map((r) => r.msPerStep).sort((x, y) => x - y)
      quick[b] = { steps: rows[rows.length - 1].step, median_ms_per_step: ms[Math.floor(ms.length / 2)], last_loss: rows[rows.length - 1].loss }
    } catch { quick[b] = null }
  }
  const ratio = (a, b) => (a && b ? Number((a / b).toFixed(3)) : null)
  const summary = {
    adapter: JSON.parse(readFileSync(`${out}/adapter.json`, "utf8")),
    gpu: (() => { try { return readFileSync(`${out}/gpu.txt`, "utf8").trim() } catch { return null } })(),
    canonical_step_ms: step, canonical_webgpu_over_wasm: ratio(step.webgpu, step.wasm),
    quick: quick, quick_webgpu_over_wasm: ratio(quick.webgpu?.median_ms_per_step, quick.wasm?.median_ms_per_step)
  }
  writeFileSync(`${out}/summary.json`, JSON.stringify(summary, null, 2) + "\n")
  console.log(JSON.stringify(summary))
' "$OUT" | tee -a "$OUT/summary.txt"
say "done in $(( $(date +%s) - started )) s; tests $tests; summary: $OUT/summary.json"
[ "$tests" = passed ]
