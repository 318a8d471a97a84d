/** See build.mjs: whether the checkout at `dir` has a complete build newer than every source. */
export declare const buildIsFresh: (dir: string) => boolean
