import { Effect } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { RunStore } from "../../services/store/index.js"

import type { Figure } from "../../core/report/index.js"

export type { Figure }

// vega, vega-lite and resvg load when the first figure is drawn (about 1.3 s of CPU a process
// that draws nothing, a runner or a command, does not spend)

/** Render a Vega-Lite specification to SVG, headlessly. */
export const renderSpec = (spec: TopLevelSpec): Effect.Effect<string> =>
  Effect.promise(async () => {
    const [{ parse, View }, { compile }] = await Promise.all([import("vega"), import("vega-lite")])
    const view = new View(parse(compile(spec).spec), { renderer: "none" })
    try {
      return await view.toSVG()
    } finally {
      view.finalize()
    }
  })

/** An SVG as a PNG at twice its size, on white (resvg, with the system's fonts). */
export const svgToPng = (svg: string): Effect.Effect<Uint8Array> =>
  Effect.promise(async () => {
    const { Resvg } = await import("@resvg/resvg-js")
    return new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" } }).render().asPng()
  })

/** Write `figures/<name>.svg` and a PNG copy at twice the size; returns the PNG's bytes. */
export const writeFigure = (runDir: string, figure: Figure) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    yield* store.writeText(store.join(runDir, "figures", `${figure.name}.svg`), figure.svg)
    const png = yield* svgToPng(figure.svg)
    yield* store.writeBytes(store.join(runDir, "figures", `${figure.name}.png`), png)
    return png
  })
