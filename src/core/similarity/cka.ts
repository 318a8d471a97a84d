import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { InvalidInput } from "../base/schemas.js"

/**
 * Linear centred kernel alignment (CKA) between two representations of the same N inputs
 * (Kornblith, Norouzi, Lee & Hinton, "Similarity of Neural Network Representations Revisited",
 * ICML 2019, eq. (5)):
 *
 *   CKA(X, Y) = ‖Ȳᵀ X̄‖_F² / (‖X̄ᵀ X̄‖_F · ‖Ȳᵀ Ȳ‖_F)
 *
 * with X̄, Ȳ the column-centred feature matrices. It lies in [0, 1], equals 1 for representations
 * that differ by an orthogonal transform and an isotropic scaling (a permutation of units, say),
 * and is invariant to both on either side. The sums run in float64, so the invariances hold to
 * about 1e−12 relative to the inputs' float32 values.
 */

/** A row-major feature matrix: N inputs (rows) × d features (columns). */
export interface FeatureMatrix {
  readonly rows: number
  readonly cols: number
  readonly data: ArrayLike<number>
}

const centred = (m: FeatureMatrix): Float64Array => {
  const out = Float64Array.from(m.data)
  for (let j = 0; j < m.cols; j++) {
    let mean = 0
    for (let i = 0; i < m.rows; i++) mean += out[i * m.cols + j]!
    mean /= m.rows
    for (let i = 0; i < m.rows; i++) out[i * m.cols + j]! -= mean
  }
  return out
}

/** ‖Aᵀ B‖_F² for row-major A (n × p) and B (n × q). */
const crossNormSquared = (a: Float64Array, p: number, b: Float64Array, q: number, n: number): number => {
  const c = new Float64Array(p * q)
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < p; r++) {
      const x = a[i * p + r]!
      if (x === 0) continue
      for (let s = 0; s < q; s++) c[r * q + s]! += x * b[i * q + s]!
    }
  }
  let sum = 0
  for (let k = 0; k < c.length; k++) sum += c[k]! * c[k]!
  return sum
}

const checkMatrix = (m: FeatureMatrix, name: string): InvalidInput | undefined => {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 1 || m.cols < 1) {
    return new InvalidInput({ source: name, message: `${name} must have at least one row and one column, got ${m.rows} × ${m.cols}` })
  }
  if (m.data.length !== m.rows * m.cols) {
    return new InvalidInput({ source: name, message: `${name} holds ${m.data.length} values but is declared ${m.rows} × ${m.cols}` })
  }
  for (let k = 0; k < m.data.length; k++) {
    if (!Number.isFinite(m.data[k]!)) return new InvalidInput({ source: name, message: `${name} has a non-finite value (${m.data[k]}) at row ${Math.floor(k / m.cols)}, column ${k % m.cols}` })
  }
  return undefined
}

/**
 * Linear CKA of `x` (N × d_x) and `y` (N × d_y), rows being the same N ≥ 2 inputs.
 * Fails with {@link InvalidInput} naming `x` or `y` when the row counts differ, there are fewer
 * than two rows, a value is not finite, or a representation is constant over the inputs (CKA is
 * undefined there: 0/0).
 */
export const linearCkaOfMatrices = (x: FeatureMatrix, y: FeatureMatrix): Result.Result<number, InvalidInput> => {
  const bad = checkMatrix(x, "x") ?? checkMatrix(y, "y")
  if (bad !== undefined) return Result.fail(bad)
  if (x.rows !== y.rows) return Result.fail(new InvalidInput({ source: "y", message: `x and y must describe the same inputs: x has ${x.rows} rows, y has ${y.rows}` }))
  if (x.rows < 2) return Result.fail(new InvalidInput({ source: "x", message: `CKA needs at least 2 inputs, got ${x.rows}` }))
  const n = x.rows
  const xc = centred(x)
  const yc = centred(y)
  const xx = Math.sqrt(crossNormSquared(xc, x.cols, xc, x.cols, n))
  const yy = Math.sqrt(crossNormSquared(yc, y.cols, yc, y.cols, n))
  if (xx === 0 || yy === 0) {
    const which = xx === 0 ? "x" : "y"
    return Result.fail(new InvalidInput({ source: which, message: `${which} is constant over the inputs: CKA is undefined` }))
  }
  const xy = crossNormSquared(xc, x.cols, yc, y.cols, n)
  // Cauchy–Schwarz bounds it by 1; rounding may not
  return Result.succeed(Math.min(1, Math.max(0, xy / (xx * yy))))
}

/** A 2-D tensor's values as a {@link FeatureMatrix} (reads it, synchronously: cpu-only; does not dispose it). */
export const featureMatrix = (t: tf.Tensor, name: string): Result.Result<FeatureMatrix, InvalidInput> =>
  t.rank !== 2
    ? Result.fail(new InvalidInput({ source: name, message: `${name} must be a 2-D tensor [inputs, features], got shape [${t.shape.join(", ")}]` }))
    : Result.succeed({ rows: t.shape[0]!, cols: t.shape[1]!, data: t.dataSync() })

/**
 * Linear CKA of two feature tensors `x: [N, d_x]` and `y: [N, d_y]` (see
 * {@link linearCkaOfMatrices}); the tensors are read, not disposed. Fails with {@link InvalidInput}.
 * cpu-only (it reads synchronously): on any backend, read the features and call
 * {@link linearCkaOfMatrices}.
 */
export const linearCka = (x: tf.Tensor, y: tf.Tensor): Result.Result<number, InvalidInput> =>
  Result.flatMap(featureMatrix(x, "x"), (a) => Result.flatMap(featureMatrix(y, "y"), (b) => linearCkaOfMatrices(a, b)))
