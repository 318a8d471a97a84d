import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { edgeGraph } from "../src/layers/blocks/edgeGraph.js"
import { checkHyperactivation, fromRagged, toRagged } from "../src/layers/blocks/hyperactivation.js"
import { noLeak, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 })

describe("ragged hyperactivations", () => {
  it("pack and unpack losslessly, one [B, S, n_(l-1), n_l, F] tensor per weight layer", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2), fc.integer({ min: 1, max: 4 }), (shape, B, S, F) => {
      noLeak(() => {
        const graph = edgeGraph(shape)
        const data = tf.randomNormal([B, S, graph.edges, F], 0, 1, "float32", 3)
        const h = { graph, data }
        const described = Result.getOrThrow(checkHyperactivation(h))
        expect(described).toEqual({ batch: B, sides: S, features: F, layers: shape.slice(1).map((n, l) => ({ rows: shape[l]!, cols: n })) })
        const ragged = toRagged(h)
        expect(ragged.map((t) => t.shape)).toEqual(shape.slice(1).map((n, l) => [B, S, shape[l]!, n, F]))
        const back = Result.getOrThrow(fromRagged(graph, ragged))
        expect(Array.from(back.data.dataSync())).toEqual(Array.from(data.dataSync()))
        tf.dispose([data, back.data, ...ragged])
      })
    }), { numRuns: 30 })
  })

  it("reject data whose shape disagrees with the network, saying how", () => {
    noLeak(() => {
      const graph = edgeGraph([2, 3, 1])
      const wrongEdges = tf.zeros([1, 2, 8, 4])
      const e1 = checkHyperactivation({ graph, data: wrongEdges })
      expect(Result.isFailure(e1) && e1.failure.message).toBe("the edge axis has 8 entries but the network [2, 3, 1] has 9 edges")
      const threeSides = tf.zeros([1, 3, 9, 4])
      const e2 = checkHyperactivation({ graph, data: threeSides })
      expect(Result.isFailure(e2) && e2.failure.message).toMatch(/invalid hyperactivation shape/)
      const rank3 = tf.zeros([1, 9, 4])
      expect(Result.isFailure(checkHyperactivation({ graph, data: rank3 }))).toBe(true)
      const layers = [tf.zeros([1, 2, 2, 3, 4]), tf.zeros([1, 2, 3, 2, 4])]
      const e3 = fromRagged(graph, layers)
      expect(Result.isFailure(e3) && e3.failure.message).toBe("layer 2: expected [1, 2, 3, 1, 4], got [1, 2, 3, 2, 4]")
      expect(Result.isFailure(fromRagged(graph, layers.slice(0, 1)))).toBe(true)
      tf.dispose([wrongEdges, threeSides, rank3, ...layers])
    })
  })
})
