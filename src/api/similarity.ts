/** Functional similarity between models by hypernetwork transfer, against linear CKA (the blog post's second further use). */
export * from "../core/similarity/index.js"
export * from "../programs/similarity/index.js"
