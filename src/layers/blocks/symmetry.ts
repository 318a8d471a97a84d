import { Result } from "effect"
import { InvalidInput } from "../../core/base/schemas.js"
import type { EdgeGraph } from "./edgeGraph.js"

/**
 * Symmetries of a target network, for property tests of hypernetworks. Hidden units have no
 * positional identity, so relabelling them (in every per-edge input) must relabel the generated
 * weights the same way.
 */

/**
 * The edge relabelling induced by permuting the hidden units: `perms[h]` permutes hidden layer
 * h + 1 (neuron layers 1 … N−1) and must hold each of 0 … n−1 once. Entry e of the result is the
 * old edge that lands on new edge e, so `new[e] = old[result[e]]` (a gather). Fails with
 * {@link InvalidInput} naming the permutation that is not one of its layer.
 */
export const hiddenEdgePermutation = (graph: EdgeGraph, perms: ReadonlyArray<ReadonlyArray<number>>): Result.Result<Int32Array, InvalidInput> => {
  const N = graph.layers.length
  const fail = (message: string) => Result.fail(new InvalidInput({ source: "perms", message }))
  if (perms.length !== N - 1) return fail(`[${graph.shape.join(", ")}] has ${N - 1} hidden layer${N === 2 ? "" : "s"}, so it needs ${N - 1} permutation${N === 2 ? "" : "s"}, got ${perms.length}`)
  for (let h = 0; h < N - 1; h++) {
    const n = graph.shape[h + 1]!
    const p = perms[h]!
    const seen = new Set(p)
    if (p.length !== n || seen.size !== n || p.some((v) => !Number.isInteger(v) || v < 0 || v >= n)) {
      return fail(`perms[${h}] must be a permutation of 0…${n - 1} (hidden layer ${h + 1} has ${n} units), got [${p.join(", ")}]`)
    }
  }
  const identity = (n: number) => Array.from({ length: n }, (_, k) => k)
  // neuron layer m's permutation: inputs and outputs stay put
  const perm = (m: number, n: number) => (m === 0 || m === N ? identity(n) : perms[m - 1]!)
  const out = new Int32Array(graph.edges)
  for (const { l, rows, cols, offset } of graph.layers) {
    const behind = perm(l - 1, rows)
    const front = perm(l, cols)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[offset + i * cols + j] = offset + behind[i]! * cols + front[j]!
  }
  return Result.succeed(out)
}
