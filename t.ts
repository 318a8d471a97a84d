import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { installWasmKernels } from "./src/services/wasmKernels.js"
import { attentionBlock } from "./src/layers/blocks/attention.js"
import { edgeGraph } from "./src/layers/edgeGraph.js"
import { linearMap } from "./src/layers/linearMap.js"
await tf.setBackend("wasm"); await tf.ready(); tf.enableProdMode(); if (!process.env.STOCK) installWasmKernels()
const time = (name: string, f: () => unknown, n = 10) => { tf.tidy(() => { f() }); const t0 = performance.now(); for (let i=0;i<n;i++) tf.tidy(() => { f() }); console.log(name.padEnd(44), ((performance.now()-t0)/n).toFixed(2), "ms") }
const graph = edgeGraph([16,48,1])
const att = attentionBlock()
const ctx = { graph, batch: 8, sides: 2 as const, mode: "encoder" as const }
const env = { context: ctx, param: () => { throw 0 }, random: () => { throw 0 } }
const x = tf.randomNormal([8, 2, 816, 30])
time("attention fwd", () => att.apply(x, env).output.dataSync())
const g = tf.grad((x: tf.Tensor) => tf.sum(att.apply(x, env).output))
time("attention fwd+bwd", () => g(x).dataSync())
const h = tf.randomNormal([8, 2, 816, 56]), M = tf.randomNormal([8, 56, 58]), m = tf.randomNormal([8, 58])
time("linear fwd", () => linearMap(h, M, m).dataSync())
const gl = tf.grads((h: tf.Tensor, M: tf.Tensor, m: tf.Tensor) => tf.sum(linearMap(h, M, m)))
time("linear fwd+bwd", () => gl([h, M, m]).map(t => t.dataSync()))
const c = tf.randomNormal([1,1,816,4])
time("broadcast fwd+bwd", () => tf.grad((c: tf.Tensor) => tf.sum(tf.broadcastTo(c, [8,2,816,4])))(c).dataSync())
const parts = [20,4,4,4,5,10,5,4].map(f => tf.randomNormal([8,2,816,f]))
time("concat 8 blocks", () => tf.concat(parts, -1).dataSync())
const y = tf.randomNormal([8,2,816,58])
time("split 3 blocks", () => tf.split(y, [20,30,8], -1).map(t=>t.dataSync()))
for (const [label, fn] of [["att fwd", () => { att.apply(x, env).output.dataSync() }], ["att fwd+bwd", () => { g(x).dataSync() }]] as const) {
const prof = await tf.profile(() => tf.tidy(fn))
const agg = new Map<string, {t: number, n: number}>()
for (const k of prof.kernels) { const a = agg.get(k.name) ?? {t:0,n:0}; a.t += (k.kernelTimeMs as number); a.n++; agg.set(k.name, a) }
console.log("==", label)
for (const [k,a] of [...agg.entries()].sort((a,b) => b[1].t - a[1].t).slice(0, 12)) console.log(k.padEnd(24), a.t.toFixed(2).padStart(8), String(a.n).padStart(6))
}
const prof = await tf.profile(() => tf.tidy(() => { g(x).dataSync() }))
for (const k of prof.kernels.filter(k => k.name === "BatchMatMul")) console.log(k.inputShapes.map(s => JSON.stringify(s)).join(" x "), (k.kernelTimeMs as number).toFixed(2))
