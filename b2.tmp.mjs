import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { installFastKernels } from "./dist/src/services/fastKernels.js"
await tf.setBackend("wasm"); await tf.ready(); await installFastKernels("wasm")
const time = (f) => { for (let w = 0; w < 3; w++) f().dispose(); const t0 = performance.now(); for (let w = 0; w < 30; w++) f().dispose(); return (performance.now() - t0) / 30 }
for (const [m, k, n, tA, tB] of [[1632,58,56,false,false],[1632,56,58,false,true],[58,1632,56,true,false],[1632,22,58,false,false],[1632,56,2,false,false],[56,1632,2,true,false],[1632,2,56,false,true]]) {
  const a2 = tf.randomNormal(tA ? [k, m] : [m, k]), b2 = tf.randomNormal(tB ? [n, k] : [k, n])
  const a3 = tf.stack([a2, a2]), b3 = tf.stack([b2, b2])
  const xnn = time(() => tf.matMul(a2, b2, tA, tB))
  const mine = time(() => tf.matMul(a3, b3, tA, tB)) / 2
  console.log(JSON.stringify([m,k,n,tA,tB]), "stock", xnn.toFixed(3), "simd", mine.toFixed(3), "GMAC/s simd", (m*k*n/mine/1e6).toFixed(1))
}
for (const [batch,m,k,n,tA,tB] of [[256,48,5,48,false,true],[256,48,48,5,false,false],[768,17,17,5,false,false],[768,17,5,17,false,true],[256,48,48,5,true,false],[8,256,16,48,false,false]]) {
  const a = tf.randomNormal(tA ? [batch,k,m] : [batch,m,k]), b = tf.randomNormal(tB ? [batch,n,k] : [batch,k,n])
  console.log(JSON.stringify([batch,m,k,n,tA,tB]), "simd", time(() => tf.matMul(a,b,tA,tB)).toFixed(3))
}
