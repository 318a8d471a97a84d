import type { EdgeGraph } from "./edgeGraph.js"

/**
 * Symmetries of a target network, for property tests of hypernetworks. Hidden units have no
 * positional identity, so relabelling them (in every per-edge input) must relabel the generated
 * weights the same way.
 */

/**
 * The edge relabelling induced by permuting the hidden units: `perms[h]` permutes hidden layer
 * h + 1 (neuron layers 1 … N−1). Entry e of the result is the old edge that lands on new edge e,
 * so `new[e] = old[result[e]]` (a gather).
 */
export const hiddenEdgePermutation = (graph: EdgeGraph, perms: ReadonlyArray<ReadonlyArray<number>>): Int32Array => {
  const N = graph.layers.length
  if (perms.length !== N - 1) throw new RangeError(`expected ${N - 1} hidden permutations, got ${perms.length}`)
  const identity = (n: number) => Array.from({ length: n }, (_, k) => k)
  // neuron layer m's permutation: inputs and outputs stay put
  const perm = (m: number, n: number) => (m === 0 || m === N ? identity(n) : perms[m - 1]!)
  const out = new Int32Array(graph.edges)
  for (const { l, rows, cols, offset } of graph.layers) {
    const behind = perm(l - 1, rows)
    const front = perm(l, cols)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[offset + i * cols + j] = offset + behind[i]! * cols + front[j]!
  }
  return out
}
