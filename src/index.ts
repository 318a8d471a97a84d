/**
 * hyperlayers: generate interpretable networks with hypernetworks. This module is the public API;
 * everything else is internal.
 */

// shapes, weights and the target network
export { decodeNetShape, NetShape, totalEdges } from "./core/netShape.js"
export { type Activation, forward, makeNetWeights, type NetWeights, disposeNetWeights } from "./core/network.js"
export { ConstructionError, InvalidInput, WeightShapeError } from "./core/errors.js"
// the task, constructions, order parameters, classification
export { l1Loss, l1Target } from "./core/l1Task.js"
export { convexity, doubleSided, pudding, type PuddingSign } from "./core/constructions.js"
export { doubleSidedness, type Matrix, orderParameters, seedDependence, strongestConnection } from "./core/orderParameters.js"
export { Algorithm, classify, defaultThresholds, Thresholds } from "./core/classifier.js"
// services
export { Backend, backendLayer, BackendUnavailable, type BackendRequest } from "./services/Backend.js"
export { makeSeededRng, Rng, RngState, seededRngLayer, systemRngLayer } from "./services/Rng.js"
// programs
export { constructionsTable } from "./programs/constructionsTable.js"
