/** Tasks as values: the paper's L1 and other norms, families with conditions (heat, sdf), and defineTask for a researcher's own. */
export * from "../core/task/index.js"
