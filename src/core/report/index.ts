/** The public face of core/report (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./analysisHtml.js"
export * from "./figures.js"
export * from "./html.js"
export * from "./palette.js"
export * from "./reportHtml.js"
export * from "./runSections.js"
