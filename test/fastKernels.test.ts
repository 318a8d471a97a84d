import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { fc } from "@fast-check/vitest"
import { beforeAll, describe, expect, it } from "vitest"
import { installFastKernels } from "../src/services/backend/fastKernels.js"
import { type KernelVersion, setKernelVersion } from "../src/services/backend/kernelVersion.js"

/** Run `f` on `inputs` under a backend and return every output's values. */
const under = async (backend: "cpu" | "wasm", inputs: ReadonlyArray<{ shape: number[]; values: Float32Array }>, f: (xs: Array<tf.Tensor>) => tf.Tensor | Array<tf.Tensor>) => {
  await tf.setBackend(backend)
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape))
  const out = f(xs)
  const outs = Array.isArray(out) ? out : [out]
  const values = outs.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }))
  tf.dispose([...xs, ...outs])
  return values
}

beforeAll(async () => {
  await tf.setBackend("wasm")
  await tf.ready()
  await installFastKernels("wasm")
})

const tensorArb = (maxRank: number) => fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: maxRank }).map((shape) => ({
  shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => k * 0.5 - 3)
}))

describe("the replacement kernels agree with the stock cpu kernels", () => {
  it("slice", async () => {
    await fc.assert(fc.asyncProperty(tensorArb(5).chain((t) => fc.tuple(fc.constant(t), fc.tuple(...t.shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: d - b })))))) ),
      async ([t, ranges]) => {
        const f = ([x]: Array<tf.Tensor>) => tf.slice(x!, ranges.map((r) => r[0]), ranges.map((r) => r[1]))
        expect(await under("wasm", [t], f)).toEqual(await under("cpu", [t], f))
      }), { numRuns: 60 })
  })

  it("split, unstack and their gradients", async () => {
    await fc.assert(fc.asyncProperty(tensorArb(4).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.shape.length - 1 }))), async ([t, axis]) => {
      const d = t.shape[axis]!
      const sizes = [1, d - 1]
      // splitting into one piece is a TensorFlow.js edge case (its gradient fails on every backend)
      const f = ([x]: Array<tf.Tensor>) => d === 1 ? tf.unstack(x!, axis) : [...tf.split(x!, sizes, axis), ...tf.unstack(x!, axis),
        tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.split(y, sizes, axis)[0]!, 2)))(x!)]
      expect(await under("wasm", [t], f)).toEqual(await under("cpu", [t], f))
    }), { numRuns: 40 })
  })

  it("concat of tensors that differ along one axis", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.nat(), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      async (shape, a, widths) => {
        const axis = a % shape.length
        const parts = widths.map((w, p) => {
          const s = shape.map((d, k) => (k === axis ? w : d))
          return { shape: s, values: Float32Array.from({ length: s.reduce((x, y) => x * y, 1) }, (_, k) => p * 100 + k) }
        })
        const f = (xs: Array<tf.Tensor>) => tf.concat(xs, axis)
        expect(await under("wasm", parts, f)).toEqual(await under("cpu", parts, f))
      }), { numRuns: 40 })
  })

  it("tile and broadcastTo", async () => {
    await fc.assert(fc.asyncProperty(tensorArb(4).chain((t) => fc.tuple(fc.constant(t), fc.tuple(...t.shape.map(() => fc.integer({ min: 1, max: 3 }))))), async ([t, reps]) => {
      const f = ([x]: Array<tf.Tensor>) => [tf.tile(x!, reps), tf.broadcastTo(tf.reshape(x!, [1, ...t.shape]), [2, ...t.shape])]
      expect(await under("wasm", [t], f)).toEqual(await under("cpu", [t], f))
    }), { numRuns: 40 })
  })

  it("on cpu too, and string tensors still slice (through the stock kernels)", async () => {
    const cases = fc.sample(tensorArb(4).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.shape.length - 1 }))), { numRuns: 30, seed: 5 })
    const f = (axis: number, d: number) => ([x]: Array<tf.Tensor>) => [
      tf.concat([x!, x!], axis), tf.tile(x!, x!.shape.map((_, a) => (a === axis ? 2 : 1))), ...tf.unstack(x!, axis),
      ...(d > 1 ? tf.split(x!, [1, d - 1], axis) : []), tf.slice(x!, x!.shape.map(() => 0), x!.shape.map((n) => Math.max(1, n - 1)))
    ]
    const stock = await Promise.all(cases.map(([t, axis]) => under("cpu", [t], f(axis, t.shape[axis]!))))
    await installFastKernels("cpu")
    const mine = await Promise.all(cases.map(([t, axis]) => under("cpu", [t], f(axis, t.shape[axis]!))))
    expect(mine).toEqual(stock)
    await tf.setBackend("wasm")
    const words = tf.tensor1d(["a", "b", "c"], "string")
    expect(tf.slice(words, 1, 2).arraySync()).toEqual(["b", "c"])
    words.dispose()
  })

  it("batched matrix products and their gradients, every transpose, shared or broadcast batches", async () => {
    const dims = fc.integer({ min: 1, max: 21 })
    await fc.assert(fc.asyncProperty(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), dims, dims, dims, fc.boolean(), fc.boolean(), fc.constantFrom("same", "a1", "b1"),
      async ([b0, b1], m, k, n, tA, tB, batches) => {
        const outer = [b0, b1 + 1]
        const aOuter = batches === "a1" ? [1, 1] : outer
        const bOuter = batches === "b1" ? [1, 1] : outer
        const input = (shape: number[], at: number) => ({ shape, values: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(at + i * 0.7)) })
        const a = input([...aOuter, ...(tA ? [k, m] : [m, k])], 1)
        const b = input([...bOuter, ...(tB ? [n, k] : [k, n])], 2)
        // TensorFlow.js has no gradient for broadcast batches (on any backend)
        const f = ([x, y]: Array<tf.Tensor>) => [tf.matMul(x!, y!, tA, tB),
          ...(batches === "same" ? tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.sin(tf.matMul(p, q, tA, tB))))([x!, y!]) : [])]
        const mine = await under("wasm", [a, b], f)
        const stock = await under("cpu", [a, b], f)
        expect(mine.map((t) => t.shape)).toEqual(stock.map((t) => t.shape))
        mine.forEach((t, o) => t.values.forEach((v, i) => expect(v).toBeCloseTo(stock[o]!.values[i]!, 4)))
      }), { numRuns: 60, seed: 11 })
  })

  it("kernel version 2's products (gemm) equal version 1's (bmm) bit for bit", async () => {
    await tf.setBackend("wasm")
    const dims = fc.integer({ min: 1, max: 23 })
    fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), dims, dims, dims, fc.boolean(), fc.boolean(), (batch, m, k, n, tA, tB) => {
      const products = (version: KernelVersion) => {
        const before = setKernelVersion(version)
        const values = tf.tidy(() => {
          const a = tf.randomNormal([batch, ...(tA ? [k, m] : [m, k])], 0, 1, "float32", m + 7 * k)
          const b = tf.randomNormal([batch, ...(tB ? [n, k] : [k, n])], 0, 1, "float32", n + 5 * k)
          return Array.from(tf.matMul(a, b, tA, tB).dataSync())
        })
        setKernelVersion(before)
        return values
      }
      expect(products(2)).toEqual(products(1))
    }), { numRuns: 80, seed: 25 })
  })

  it("one matrix, untransposed, on gemm from version 2: XNNPACK's sums (version 1 keeps it on the stock kernel) bit for bit, long inner axes and wide ones included", async () => {
    await tf.setBackend("wasm")
    // the hyperhypernetwork's last layer and its gradient's products are of this kind ([8, 10]·[10, 2P])
    const dims = fc.oneof(fc.integer({ min: 1, max: 23 }), fc.integer({ min: 24, max: 3000 }))
    fc.assert(fc.property(dims, dims, dims, fc.boolean(), (m, k, n, rank3) => {
      fc.pre(m * k + k * n + m * n <= 400_000)
      const products = (version: KernelVersion) => {
        const before = setKernelVersion(version)
        const values = tf.tidy(() => {
          const a = tf.randomNormal([...(rank3 ? [1] : []), m, k], 0, 1, "float32", m + 7 * k)
          const b = tf.randomNormal([...(rank3 ? [1] : []), k, n], 0, 1, "float32", n + 5 * k)
          const c = tf.matMul(a, b)
          return { shape: c.shape, values: c.dataSync() }
        })
        setKernelVersion(before)
        return values
      }
      const [p1, p2] = [products(1), products(2)]
      expect(p2.shape).toEqual(p1.shape)
      const [v1, v2] = [p1.values, p2.values]
      expect(v2.length).toBe(v1.length)
      // Object.is: the same bits, signed zeros included
      const first = v1.findIndex((x, i) => !Object.is(x, v2[i]))
      expect(first, `[${m}, ${k}]·[${k}, ${n}]: element ${first}`).toBe(-1)
    }), { numRuns: 60, seed: 26 })
  })

  it("products with few columns and a long inner axis (the dot-product path)", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 16, max: 70 }), fc.integer({ min: 1, max: 7 }), fc.boolean(),
      async (batch, m, k, n, tB) => {
        const input = (shape: number[], at: number) => ({ shape, values: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.cos(at + i * 0.3)) })
        const a = input([batch + 1, m, k], 1)
        const b = input([batch + 1, ...(tB ? [n, k] : [k, n])], 2)
        const f = ([x, y]: Array<tf.Tensor>) => tf.matMul(x!, y!, false, tB)
        const [mine] = await under("wasm", [a, b], f)
        const [stock] = await under("cpu", [a, b], f)
        expect(mine!.shape).toEqual(stock!.shape)
        mine!.values.forEach((v, i) => expect(v).toBeCloseTo(stock!.values[i]!, 4))
      }), { numRuns: 40, seed: 12 })
  })

  it("bool tensors (1-byte values) concatenate and slice through the JavaScript copy", async () => {
    await tf.setBackend("wasm")
    const a = tf.tensor2d([[true, false], [false, true]], undefined, "bool")
    const b = tf.tensor2d([[true], [true]], undefined, "bool")
    const joined = tf.concat([a, b], 1)
    const cut = tf.slice(joined, [0, 1], [2, 2])
    expect(joined.arraySync()).toEqual([[1, 0, 1], [0, 1, 1]])
    expect(cut.arraySync()).toEqual([[0, 1], [1, 1]])
    tf.dispose([a, b, joined, cut])
  })

  it("identity shares its input's data, and the copy outlives the original", async () => {
    await tf.setBackend("wasm")
    const before = tf.memory().numTensors
    const x = tf.tensor([1, 2, 3])
    const y = tf.clone(x)
    expect(y.dataId).toBe(x.dataId)
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3])
    y.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
