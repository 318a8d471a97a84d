/**
 * Layer sizes spaced `perOctave` to a doubling around `center`, within [min, max]: the axes of the
 * generalisation grid. Geometric spacing through the trained size resolves the narrow low-loss
 * region around it (neighbours within ≈ 10–20 %) and still spans the whole range in a few dozen
 * sizes; a coarse grid (4, 8, 16, …) can miss that region entirely.
 */
export const sizeGrid = (center: number, min: number, max: number, perOctave: number): ReadonlyArray<number> => {
  if (!(Number.isInteger(center) && Number.isInteger(min) && Number.isInteger(max) && Number.isInteger(perOctave)) || min < 1 || perOctave < 1 || !(min <= center && center <= max))
    throw new RangeError(`sizeGrid needs integers 1 ≤ min ≤ center ≤ max and perOctave ≥ 1 (got center ${center}, [${min}, ${max}], ${perOctave} per octave)`)
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
