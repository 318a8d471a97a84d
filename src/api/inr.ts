/** Implicit neural representations of task families (the blog post's first further use of hypernetworks). */
export * from "../core/inr/index.js"
export * from "../programs/inr/index.js"
