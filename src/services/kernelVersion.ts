/**
 * Which version of the library's own kernels runs on the wasm backend.
 *
 * - 1: batched products on `bmm`.
 * - 2: batched products on `gemm`: the same sums as `bmm`, bit for bit, faster.
 */
export type KernelVersion = 1 | 2

/** The version new runs use. */
export const LATEST_KERNELS: KernelVersion = 2

let active: KernelVersion = LATEST_KERNELS

/** The version in force in this process. */
export const kernelVersion = (): KernelVersion => active

/** Switch the version in force; returns the one it replaces. */
export const setKernelVersion = (version: KernelVersion): KernelVersion => {
  const before = active
  active = version
  return before
}
