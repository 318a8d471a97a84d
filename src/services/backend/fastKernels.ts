import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm"
import { compileWasmSimd, type WasmSimd } from "./wasmSimd.js"
import { registerFusedHyperlayer, unregisterFusedHyperlayer } from "./fusedHyperlayer.js"
import { registerFusedAdam, unregisterFusedAdam } from "./fusedAdam.js"
import { type KernelVersion, kernelVersion, setKernelVersion } from "./kernelVersion.js"

/**
 * Faster data-movement kernels for the wasm and cpu backends of TensorFlow.js 4.22, where the
 * hypernetwork spends much of its time outside matrix products. Their results are identical to the
 * stock kernels' (property tests compare them); string tensors go to the stock kernels.
 *
 * - Slice, SplitV, Unpack: the stock wasm kernels read their input with `backend.readSync`, which
 *   copies the *whole* input out of the heap before copying the slice, so splitting a tensor in k
 *   parts costs k full copies (17 ms to unstack an `[8, 1632, 58]` tensor); the stock cpu kernels
 *   index every element (7 s of a 16 s training step went to SplitV). These copy contiguous runs
 *   from a view of the input: a slice costs its own size.
 * - Concat, Tile: the stock wasm kernels copy one `subarray` per innermost run, or index every
 *   element (Tile: 5 ms to broadcast `[1, 1, 816, 4]` to `[8, 2, 816, 4]`). These copy the longest
 *   contiguous runs.
 * On wasm, strided runs of 4-byte values are copied by a SIMD loop (`wasmSimd`), Identity shares
 * its input's data, and BatchMatMul runs on `wasmSimd`'s products (equal to the stock kernel's to
 * float tolerance, tested likewise). From kernel version 2 (`kernelVersion`) it also registers the
 * fused hyperlayer kernels (`fusedHyperlayer`) and Adam in one kernel (`fusedAdam`).
 */

type Values = tf.TypedArray
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }
type Spec = { readonly shape: ReadonlyArray<number>; readonly dtype: tf.DataType }

/**
 * Where a backend keeps tensor values: allocate the outputs, then give views of inputs and outputs
 * to `fill` (on wasm allocating may grow, and detach, the heap, so views come after).
 */
interface Storage {
  readonly run: (inputs: ReadonlyArray<tf.TensorInfo>, outputs: ReadonlyArray<Spec>, fill: (ins: ReadonlyArray<Values>, outs: ReadonlyArray<Values>) => void) => Array<tf.TensorInfo>
  /** Copy `rows` runs of `n` values from `from` (run r at `fromAt + r·fromStride`) into `to`. */
  readonly copyRows: (from: Values, fromAt: number, fromStride: number, to: Values, toAt: number, toStride: number, rows: number, n: number) => void
}

const wasmStorage = (simd: (backend: BackendWasm) => WasmSimd) => (b: tf.KernelBackend): Storage => {
  const backend = b as BackendWasm
  const { copyRows } = simd(backend)
  return {
    run: (inputs, outputs, fill) => {
      const outs = outputs.map((o) => backend.makeOutput([...o.shape], o.dtype))
      fill(inputs.map((t) => backend.typedArrayFromHeap(t)), outs.map((t) => backend.typedArrayFromHeap(t)))
      return outs
    },
    // the SIMD copy moves 4-byte values; bool tensors (1 byte) take the JavaScript loop
    copyRows: (from, fromAt, fromStride, to, toAt, toStride, rows, n) =>
      from.BYTES_PER_ELEMENT === 4 && to.BYTES_PER_ELEMENT === 4
        ? copyRows(from, fromAt, fromStride, to, toAt, toStride, rows, n)
        : copyRowsJs(from, fromAt, fromStride, to, toAt, toStride, rows, n)
  }
}

const cpuStorage = (b: tf.KernelBackend): Storage => {
  // the cpu backend hands out its stored array, no copy
  const backend = b as tf.KernelBackend & { makeTensorInfo: (shape: Array<number>, dtype: tf.DataType, values: Values) => tf.TensorInfo }
  return {
    run: (inputs, outputs, fill) => {
      const outs = outputs.map((o) => tf.util.getTypedArrayFromDType(o.dtype as "float32", tf.util.sizeFromShape([...o.shape])))
      fill(inputs.map((t) => backend.readSync(t.dataId) as Values), outs)
      return outs.map((v, k) => backend.makeTensorInfo([...outputs[k]!.shape], outputs[k]!.dtype, v))
    },
    copyRows: copyRowsJs
  }
}

/** Copy `n` values; a loop beats subarray + set for short runs. */
const copyRun = (from: Values, at: number, to: Values, offset: number, n: number): void => {
  if (n >= 64) to.set(from.subarray(at, at + n), offset)
  else for (let k = 0; k < n; k++) to[offset + k] = from[at + k]!
}

const copyRowsJs = (from: Values, fromAt: number, fromStride: number, to: Values, toAt: number, toStride: number, rows: number, n: number): void => {
  for (let r = 0; r < rows; r++) copyRun(from, fromAt + r * fromStride, to, toAt + r * toStride, n)
}

/** Copy the box `begin … begin + size` of `x` (shape `shape`) into `out`, in contiguous runs. */
const copyBox = (storage: Storage, xVals: Values, shape: ReadonlyArray<number>, begin: ReadonlyArray<number>, size: ReadonlyArray<number>, outVals: Values): void => {
  const total = size.reduce((a, b) => a * b, 1)
  const rank = shape.length
  if (total === 0) return
  if (rank === 0) {
    outVals.set(xVals)
    return
  }
  const computed = tf.util.computeStrides([...shape])
  const stride = (a: number) => (a === rank - 1 ? 1 : computed[a]!)
  // axes after `inner` are taken whole, so each step over the outer axes copies one run
  let inner = rank - 1
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--
  const run = size[inner]! * stride(inner)
  // merge an outer axis into the one before it when it is taken whole (a last-axis split of
  // [B, S, E, F] becomes one loop over B·S·E rows)
  const outer: Array<{ count: number; stride: number; begin: number }> = []
  for (let a = 0; a < inner; a++) {
    const whole = begin[a] === 0 && size[a] === shape[a]
    const prev = outer[outer.length - 1]
    if (whole && prev !== undefined && prev.stride === stride(a) * shape[a]!) {
      outer[outer.length - 1] = { count: prev.count * size[a]!, stride: stride(a), begin: prev.begin * shape[a]! }
    } else outer.push({ count: size[a]!, stride: stride(a), begin: begin[a]! })
  }
  const base = begin[inner]! * stride(inner) + outer.reduce((acc, o) => acc + o.begin * o.stride, 0)
  // the innermost outer axis is one strided copy of rows; the axes before it are walked
  const rows = outer[outer.length - 1] ?? { count: 1, stride: 0, begin: 0 }
  const walked = outer.slice(0, -1)
  const index = new Array<number>(walked.length).fill(0)
  for (let o = 0; o < total; o += run * rows.count) {
    let xOffset = base
    for (let a = 0; a < walked.length; a++) xOffset += index[a]! * walked[a]!.stride
    storage.copyRows(xVals, xOffset, rows.stride, outVals, o, run, rows.count, run)
    for (let a = walked.length - 1; a >= 0; a--) {
      if (++index[a]! < walked[a]!.count) break
      index[a] = 0
    }
  }
}

const sliceWith = (storage: Storage, x: tf.TensorInfo, begin: ReadonlyArray<number>, size: ReadonlyArray<number>): tf.TensorInfo =>
  storage.run([x], [{ shape: size, dtype: x.dtype }], ([xv], [ov]) => copyBox(storage, xv!, x.shape, begin, size, ov!))[0]!

const slice = (storage: Storage) => ({ inputs, attrs }: KernelArgs): tf.TensorInfo => {
  const x = inputs["x"]!
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs!["begin"] as number[], attrs!["size"] as number[])
  return sliceWith(storage, x, begin, size)
}

const splitV = (storage: Storage) => ({ inputs, attrs }: KernelArgs): Array<tf.TensorInfo> => {
  const x = inputs["x"]!
  const axis = tf.util.parseAxisParam(attrs!["axis"] as number, x.shape)[0]!
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs!["numOrSizeSplits"] as number[] | number, axis)
  const rank = x.shape.length
  const begin = new Array<number>(rank).fill(0)
  return sizes.map((s) => {
    const size = [...x.shape]
    size[axis] = s
    const out = sliceWith(storage, x, begin, size)
    begin[axis]! += s
    return out
  })
}

const unpack = (storage: Storage) => ({ inputs, attrs }: KernelArgs): Array<tf.TensorInfo> => {
  const value = inputs["value"]!
  let axis = attrs!["axis"] as number
  if (axis < 0) axis += value.shape.length
  const outShape = value.shape.filter((_, a) => a !== axis)
  const begin = new Array<number>(value.shape.length).fill(0)
  const size = [...value.shape]
  size[axis] = 1
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    begin[axis] = i
    const { dataId, dtype } = sliceWith(storage, value, begin, size)
    return { dataId, dtype, shape: outShape }
  })
}

const concat = (storage: Storage) => ({ inputs, attrs }: KernelArgs): tf.TensorInfo => {
  const all = Object.keys(inputs).sort((a, b) => Number(a) - Number(b)).map((k) => inputs[k]!)
  const axis = tf.util.parseAxisParam(attrs!["axis"] as number, all[0]!.shape)[0]!
  const outShape = tf.backend_util.computeOutShape(all.map((t) => t.shape), axis)
  const parts = all.filter((t) => tf.util.sizeFromShape(t.shape) > 0)
  return storage.run(parts, [{ shape: outShape, dtype: all[0]!.dtype }], (values, [outVals]) => {
    if (parts.length === 0) return
    const outer = tf.util.sizeFromShape(parts[0]!.shape.slice(0, axis))
    const inner = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)))
    const width = inner.reduce((a, b) => a + b, 0)
    let start = 0
    for (const [k, v] of values.entries()) {
      const n = inner[k]!
      storage.copyRows(v, 0, n, outVals!, start, width, outer, n)
      start += n
    }
  })[0]!
}

const tile = (storage: Storage) => ({ inputs, attrs }: KernelArgs): tf.TensorInfo => {
  const x = inputs["x"]!
  const reps = attrs!["reps"] as number[]
  const rank = x.shape.length
  const outShape = x.shape.map((d, a) => d * reps[a]!)
  return storage.run([x], [{ shape: outShape, dtype: x.dtype }], ([xVals], [outVals]) => {
    const total = tf.util.sizeFromShape(outShape)
    if (total === 0) return
    // axes after `last` are not repeated: each output step copies one contiguous input block
    let last = rank - 1
    while (last >= 0 && reps[last] === 1) last--
    if (last < 0) {
      outVals!.set(xVals!)
      return
    }
    const block = tf.util.sizeFromShape(x.shape.slice(last + 1))
    const computed = tf.util.computeStrides(x.shape)
    const stride = (a: number) => (a === rank - 1 ? 1 : computed[a]!)
    const index = new Array<number>(last + 1).fill(0)
    for (let offset = 0; offset < total; offset += block) {
      let at = 0
      for (let a = 0; a <= last; a++) at += (index[a]! % x.shape[a]!) * stride(a)
      copyRun(xVals!, at, outVals!, offset, block)
      for (let a = last; a >= 0; a--) {
        if (++index[a]! < outShape[a]!) break
        index[a] = 0
      }
    }
  })[0]!
}

const KERNELS = { Slice: slice, SplitV: splitV, Unpack: unpack, Concat: concat, Tile: tile } as const

/** The first input's dtype: string and complex tensors keep the stock kernels. */
const firstDtype = (inputs: tf.NamedTensorInfoMap): tf.DataType | undefined => Object.values(inputs)[0]?.dtype

/** Share the input's data, as the cpu backend does: the stock wasm Identity copies it. */
const identity = ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
  const x = inputs["x"]!
  ;(backend as BackendWasm).incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}

const replace = (kernelName: string, backendName: string, make: (stock: tf.KernelConfig) => (args: KernelArgs) => tf.TensorInfo | Array<tf.TensorInfo>): void => {
  const stock = tf.getKernel(kernelName, backendName)
  if (stock === undefined) return
  tf.unregisterKernel(kernelName, backendName)
  tf.registerKernel({ ...stock, kernelFunc: make(stock) as unknown as tf.KernelFunc })
}

const installs = new Map<string, Promise<void>>()

/**
 * Replace the Slice, SplitV, Unpack, Concat and Tile kernels of a backend (once per process); on
 * wasm also Identity and BatchMatMul (see `wasmSimd`).
 */
export const installFastKernels = (backendName: "wasm" | "cpu"): Promise<void> => {
  const started = installs.get(backendName)
  if (started !== undefined) return started
  const install = installKernels(backendName)
  installs.set(backendName, install)
  return install
}

const installKernels = async (backendName: "wasm" | "cpu"): Promise<void> => {
  const simd = backendName === "wasm" ? await compileWasmSimd(tf.getKernel("BatchMatMul", "wasm")!.kernelFunc) : undefined
  const storageOf = simd === undefined ? cpuStorage : wasmStorage(simd)
  for (const [kernelName, make] of Object.entries(KERNELS)) {
    replace(kernelName, backendName, (stock) => (args) => {
      const dtype = firstDtype(args.inputs)
      return dtype === "string" || dtype === "complex64" ? stock.kernelFunc(args as never) as tf.TensorInfo : make(storageOf(args.backend))(args)
    })
  }
  if (simd !== undefined) {
    replace("Identity", "wasm", (stock) => (args) => (firstDtype(args.inputs) === "string" ? stock.kernelFunc(args as never) as tf.TensorInfo : identity(args)))
    replace("BatchMatMul", "wasm", () => (args) => simd(args.backend as BackendWasm).batchMatMul(args))
    wasmKernels = simd
    useKernels(kernelVersion())
  }
}

let wasmKernels: ((backend: BackendWasm) => WasmSimd) | undefined

/**
 * Put a kernel version in force (see `kernelVersion`): on wasm, from version 2, the fused
 * hyperlayer kernels are registered (and every stage of built-in blocks runs through them), in
 * version 1 they are not. Returns the version it replaces.
 */
export const useKernels = (version: KernelVersion): KernelVersion => {
  const before = setKernelVersion(version)
  if (wasmKernels !== undefined) {
    if (version >= 2) {
      registerFusedHyperlayer(wasmKernels)
      registerFusedAdam(wasmKernels)
    } else {
      unregisterFusedHyperlayer()
      unregisterFusedAdam()
    }
  }
  return before
}

/** Run `effect` under a kernel version (see {@link useKernels}), restoring the one before after it. */
export const withKernels = <A, E, R>(version: KernelVersion, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(Effect.sync(() => useKernels(version)), () => effect, (before) => Effect.sync(() => useKernels(before)))
