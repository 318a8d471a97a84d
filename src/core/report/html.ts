/**
 * The pieces every self-contained HTML report of the library is built from: escaping, tables,
 * inline SVG figures and one style sheet, so that the run, study, similarity, INR and analysis
 * reports look alike.
 */

/** A rendered figure: its name (file stem and anchor), a caption and the SVG text. */
export interface Figure {
  readonly name: string
  readonly caption: string
  readonly svg: string
}

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A table of escaped headers and cells given as HTML (escape text cells with {@link escapeHtml}). */
export const htmlTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`

/** A figure kept as a PNG (base64), where its SVG would be very large (heatmaps of many cells). */
export interface PngFigure {
  readonly name: string
  readonly caption: string
  readonly pngBase64: string
}

/** A figure inlined with its caption (the SVG's XML declaration dropped, or the PNG as a data URL). */
export const htmlFigure = (f: Figure | PngFigure): string =>
  `<figure id="${escapeHtml(f.name)}">${"svg" in f ? f.svg.replace(/^<\?xml[^>]*>/, "") : `<img alt="${escapeHtml(f.caption)}" src="data:image/png;base64,${f.pngBase64}">`}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`

/** The reports' style sheet, plus `extra` rules of one report. */
export const reportStyle = (extra = ""): string => `<style>
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1.5em 0;overflow-x:auto}figcaption{color:#555;font-size:.9em}img{max-width:100%}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}th{background:#f4f4f4}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}
${extra}</style>`
