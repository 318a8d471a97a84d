/**
 * The built-in tasks and task families by name, with their one-line descriptions: the tasks' own
 * definitions read their descriptions from here, and the command line lists them without loading
 * TensorFlow.js.
 */
export const taskDescriptions = {
  l1: "the L1 norm ‖x‖₁ of Gaussian inputs (the paper's task)",
  l2: "the Euclidean norm ‖x‖₂ of Gaussian inputs",
  "max-abs": "the largest absolute input max_i |x_i| (the L∞ norm) of Gaussian inputs",
  "l1-linf": "two outputs: the L1 norm and the largest absolute input of Gaussian inputs",
  heat: "a family: the 1-D heat equation's solution x ↦ u(x, t) on [0, 1] (Dirichlet, 4 modes, D = 0.05), condition t",
  sdf: "a family: the signed distance field of a square on [−1, 1]² (negative inside), conditions size (half-width) and position (centre x)"
} as const

/** The single tasks every program knows (`l1`, the paper's, first), in the order of `builtinTasks`. */
export const builtinTaskNames = ["l1", "l2", "max-abs", "l1-linf"] as const

/** The task families (for implicit neural representations), in the order of `builtinFamilies` and `inrFamilies`. */
export const builtinFamilyNames = ["heat", "sdf"] as const
