import { Result } from "effect"
import { paperHypernetworkSpec, type PaperSizes, paperSizes } from "../../core/hypernetwork/index.js"
import { type Hypernetwork, makeHypernetwork } from "./hypernetwork.js"

/** The paper's hypernetwork, built (see {@link paperHypernetworkSpec}). */
export const paperHypernetwork = (sizes: PaperSizes = paperSizes): Hypernetwork => Result.getOrThrow(makeHypernetwork(paperHypernetworkSpec(sizes)))
