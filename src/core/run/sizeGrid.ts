import { InvalidInput } from "../base/schemas.js"
import { MAX_LAYER_SIZE } from "../network/schemas.js"

/** More sizes per doubling than this only repeats sizes after rounding. */
const MAX_PER_OCTAVE = 1024

/**
 * Layer sizes spaced `perOctave` to a doubling around `center`, within [min, max]: the axes of the
 * generalisation grid. Geometric spacing through the trained size resolves the narrow low-loss
 * region around it (neighbours within ≈ 10–20 %) and still spans the whole range in a few dozen
 * sizes; a coarse grid (4, 8, 16, …) can miss that region entirely. Throws InvalidInput for
 * arguments outside their domain (sizes are layer sizes, at most MAX_LAYER_SIZE).
 */
export const sizeGrid = (center: number, min: number, max: number, perOctave: number): ReadonlyArray<number> => {
  if (!(Number.isInteger(center) && Number.isInteger(min) && Number.isInteger(max) && Number.isInteger(perOctave)) || min < 1 || max > MAX_LAYER_SIZE || perOctave < 1 || perOctave > MAX_PER_OCTAVE || !(min <= center && center <= max))
    throw new InvalidInput({ source: "sizeGrid", message: `sizeGrid needs integers 1 ≤ min ≤ center ≤ max ≤ ${MAX_LAYER_SIZE} and 1 ≤ perOctave ≤ ${MAX_PER_OCTAVE} (got center ${center}, [${min}, ${max}], ${perOctave} per octave)` })
  const sizes = new Set<number>([center])
  for (const direction of [1, -1]) {
    for (let k = 1; ; k++) {
      const size = Math.round(center * 2 ** ((direction * k) / perOctave))
      if (size < min || size > max) break
      sizes.add(size)
    }
  }
  return [...sizes].sort((a, b) => a - b)
}
