/**
 * Which version of the library's own kernels runs (on the wasm backend; the cpu backend, the
 * reference, runs the same operations in every version).
 *
 * - 1: the kernels before version 2: every layer through the generic path of TensorFlow.js
 *   operations, batched products on `bmm`.
 * - 2: products on `gemm` (the same sums as `bmm`, bit for bit; untransposed products of one matrix
 *   too, with the sums of the stock kernel's XNNPACK, bit for bit), the built-in blocks of each
 *   hyperlayer as one fused operation with its own gradient (`layers/fusedStage`), and θ split into
 *   its hyperweights by one operation; Adam in one kernel per parameter (the same numbers as
 *   TensorFlow.js's, bit for bit).
 *
 * Versions round differently (the fused operations sum in another order and evaluate exp and log
 * their own way), so a run records the version it trained with in its manifest and `replay`
 * re-runs it with that version: runs recorded before version 2 (no version recorded) replay on
 * version 1, bit for bit.
 */
export type KernelVersion = 1 | 2

/** The version new runs use. */
export const LATEST_KERNELS: KernelVersion = 2

/** The version a run recorded (none: made before versions were recorded, so version 1). */
export const recordedKernels = (versions: Readonly<Record<string, string>>): KernelVersion | undefined => {
  const v = versions[KERNELS_KEY]
  return v === undefined ? 1 : v === "1" ? 1 : v === "2" ? 2 : undefined
}

/** The key of the kernel version in a manifest's `versions`. */
export const KERNELS_KEY = "hyperlayers-kernels"

let active: KernelVersion = LATEST_KERNELS

/** The version in force in this process. */
export const kernelVersion = (): KernelVersion => active

/** Switch the version in force; returns the one it replaces. */
export const setKernelVersion = (version: KernelVersion): KernelVersion => {
  const before = active
  active = version
  return before
}
