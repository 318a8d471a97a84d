import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { installWasmKernels } from "./src/services/wasmKernels.js"
await tf.setBackend("wasm"); await tf.ready(); tf.enableProdMode(); installWasmKernels()
const time = (name: string, f: () => tf.Tensor | tf.Tensor[], n = 30) => { tf.dispose(f()); const t0 = performance.now(); for (let i=0;i<n;i++) tf.dispose(f()); console.log(name.padEnd(50), ((performance.now()-t0)/n).toFixed(3), "ms") }
for (const [P, s] of [[256, 48], [768, 17]]) {
  const q = tf.randomNormal([P, s, 5]), k = tf.randomNormal([P, s, 5]), kt = tf.randomNormal([P, 5, s]), att = tf.randomNormal([P, s, s])
  console.log("P", P, "s", s)
  time("q k^T transposeB", () => tf.matMul(q, k, false, true))
  time("q kt (explicit)", () => tf.matMul(q, kt))
  time("transpose k", () => tf.transpose(k, [0, 2, 1]))
  time("att v", () => tf.matMul(att, q))
  time("att^T v (transposeA)", () => tf.matMul(att, q, true, false))
  time("elementwise 5-term", () => tf.tidy(() => { const qs = tf.split(q, 5, -1); const ks = tf.split(k, 5, -1); let acc = tf.mul(qs[0]!, tf.reshape(ks[0]!, [P, 1, s])); for (let f = 1; f < 5; f++) acc = tf.add(acc, tf.mul(qs[f]!, tf.reshape(ks[f]!, [P, 1, s]))); return acc }))
  time("softmax", () => tf.softmax(att))
}
