import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { paperHypernetwork } from "./src/layers/paperHypernetwork.js"
import { paramLayout, planGeneration, randomSpecs } from "./src/layers/hypernetwork.js"
import { hyperhypernetworkShapes, initHyperhypernetwork } from "./src/layers/hyperhypernetwork.js"
import { paretoObjective } from "./src/layers/paretoObjective.js"
import { Result } from "effect"
const backend = process.argv[2] ?? "wasm"
await tf.setBackend(backend); await tf.ready(); tf.enableProdMode()
import { installWasmKernels } from "./src/services/wasmKernels.js"
if (backend === "wasm") installWasmKernels()
const net = paperHypernetwork()
const layout = paramLayout(net, [16,48,1])
console.log("P =", layout.size)
const plan = Result.getOrThrow(planGeneration(net, layout, [16,48,1], "encoder"))
const spec = { outputs: layout.size, hidden: [100, 10] }
const params = initHyperhypernetwork(spec, hyperhypernetworkShapes(spec).map(s => tf.randomUniform([...s.shape], -1, 1))).map(t => tf.variable(t))
const B = 8
const opt = tf.train.adam(1e-3)
const step = () => {
  const logBeta = tf.randomUniform([B], -12, 0)
  const x = tf.randomNormal([B, 256, 16])
  const randoms = Object.fromEntries(randomSpecs(net, [16,48,1]).map(s => [s.name, tf.randomNormal([B, ...s.shape])]))
  const { value, grads } = tf.variableGrads(() => paretoObjective(plan, params, logBeta, x, randoms).objective as tf.Scalar, params as tf.Variable[])
  opt.applyGradients(grads)
  const v = value.dataSync()[0]
  tf.dispose([value, ...Object.values(grads), logBeta, x, ...Object.values(randoms)])
  return v
}
for (let i = 0; i < 3; i++) step()
const n0 = tf.memory().numTensors
const t0 = performance.now(); let v = 0
const N = 10
for (let i = 0; i < N; i++) v = step()
console.log(backend, "ms/step", ((performance.now() - t0) / N).toFixed(1), "obj", v, "tensors delta", tf.memory().numTensors - n0)
const prof = await tf.profile(() => { step() })
const agg = new Map<string, {t: number, n: number}>()
for (const k of prof.kernels) { const key = k.name; const a = agg.get(key) ?? {t:0,n:0}; a.t += (k.kernelTimeMs as number); a.n++; agg.set(key, a) }
const rows = [...agg.entries()].sort((a,b) => b[1].t - a[1].t)
let tot = 0; for (const [,a] of rows) tot += a.t
console.log("total kernel ms", tot.toFixed(1), "kernels", prof.kernels.length)
for (const [k,a] of rows.slice(0, 25)) console.log(k.padEnd(24), a.t.toFixed(1).padStart(8), String(a.n).padStart(6))
const prof2 = await tf.profile(() => { step() })
const bm = new Map<string, {t:number,n:number}>()
for (const k of prof2.kernels.filter(k => k.name === "BatchMatMul")) { const key = k.inputShapes.map(s => JSON.stringify(s)).join("x"); const a = bm.get(key) ?? {t:0,n:0}; a.t += k.kernelTimeMs as number; a.n++; bm.set(key, a) }
for (const [k,a] of [...bm.entries()].sort((a,b)=>b[1].t-a[1].t).slice(0,20)) console.log(k.padEnd(40), a.t.toFixed(2), a.n)
