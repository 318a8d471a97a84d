import { Schema } from "effect"

/** What a user may ask for: a backend by name, or `auto` for the fastest one available (light: no TensorFlow.js). */
export const BackendRequest = Schema.Literals(["auto", "wasm", "cpu", "tensorflow", "webgpu"])
export type BackendRequest = typeof BackendRequest.Type
