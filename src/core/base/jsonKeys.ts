/**
 * The keys of a JSON object's text at its top level, in order, repeats included (`JSON.parse`
 * keeps only the last of a repeated key); none when the text is not an object. `text` must be
 * valid JSON (parse it first): the scan only skips strings and nested values by their brackets.
 */
export const topLevelKeys = (text: string): ReadonlyArray<string> => {
  const keys: Array<string> = []
  if (!text.trimStart().startsWith("{")) return keys
  let depth = 0
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string)
      expectKey = false
      i = j
    } else if (c === "{" || c === "[") {
      depth++
      expectKey = c === "{" && depth === 1
    } else if (c === "}" || c === "]") {
      depth--
    } else if (c === "," && depth === 1) {
      expectKey = true
    }
  }
  return keys
}

/** The first of `keys` that comes twice, if any. */
export const firstRepeatedKey = (keys: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  for (const k of keys) {
    if (seen.has(k)) return k
    seen.add(k)
  }
  return undefined
}
