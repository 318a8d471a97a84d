import type { Algorithm } from "../network/schemas.js"
import type { DevelopmentalPath } from "../study/index.js"

/**
 * The colours of the figures, from Okabe & Ito's palette ("Color Universal Design", 2008): told
 * apart by readers with any of the common colour-vision deficiencies, unlike red against green.
 * One palette for every figure and page, so a class has the same colour everywhere.
 */
export const OKABE_ITO = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
  black: "#000000",
  grey: "#999999"
} as const

/** The three algorithms: convexity orange, pudding bluish green, double-sided blue. */
export const classColours: Readonly<Record<Algorithm, string>> = {
  convexity: OKABE_ITO.orange,
  pudding: OKABE_ITO.bluishGreen,
  "double-sided": OKABE_ITO.blue,
  unclassifiable: OKABE_ITO.grey
}

/** CSS rules `.c-<class>{color:…}` colouring class names in the HTML pages as in the figures. */
export const classCss = (): string =>
  (Object.entries(classColours) as Array<[Algorithm, string]>).map(([a, colour]) => `.c-${a}{color:${colour}${a === "unclassifiable" ? ";font-style:italic" : ""}}`).join("")

/** The developmental paths: each close to the colour of the algorithm it ends in. */
export const pathColours: Readonly<Record<DevelopmentalPath, string>> = {
  "convexity-throughout": OKABE_ITO.orange,
  "pudding-everywhere": OKABE_ITO.bluishGreen,
  "pudding-low-beta": OKABE_ITO.skyBlue,
  "through-double-sided": OKABE_ITO.blue,
  stalled: OKABE_ITO.yellow,
  "memorised-low-beta": OKABE_ITO.reddishPurple,
  "memorised-everywhere": OKABE_ITO.vermillion,
  "memorised-other": OKABE_ITO.black,
  other: OKABE_ITO.grey
}
