/** Plain-text tables for terminal output: columns padded to their widest cell. */
export interface Column<Row> {
  readonly header: string
  readonly cell: (row: Row) => string
  /** Right-align (numbers) or left-align (text). */
  readonly align?: "left" | "right"
}

export const formatTable = <Row>(rows: ReadonlyArray<Row>, columns: ReadonlyArray<Column<Row>>): string => {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)))
  const widths = columns.map((c, k) => Math.max(c.header.length, ...cells.map((row) => row[k]!.length)))
  const pad = (text: string, k: number) => (columns[k]!.align === "right" ? text.padStart(widths[k]!) : text.padEnd(widths[k]!))
  const line = (row: ReadonlyArray<string>) => row.map(pad).join("  ").trimEnd()
  return [line(columns.map((c) => c.header)), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n")
}

/** A number in a fixed number of significant digits, in exponent form when very large or small. */
export const formatNumber = (x: number, digits = 3): string =>
  !Number.isFinite(x) ? String(x) : x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3) ? x.toExponential(digits - 1) : x.toPrecision(digits)
