/** The paper's experiments on a run: sweep, ablation, generalisation, baseline, drawings, reproduce, replay and the report (§2, Figures 2–6). */
export * from "../programs/experiments/index.js"
export * from "../core/report/index.js"
