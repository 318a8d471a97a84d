// prototype: JS batched matmul, out[p] = op(A[p]) · op(B[p])
const bmm = (A: Float32Array, B: Float32Array, out: Float32Array, P: number, M: number, K: number, N: number, ta: boolean, tb: boolean) => {
  // strides for A as [M,K] (or [K,M] if ta) and B as [K,N] (or [N,K] if tb)
  const aRow = ta ? 1 : K, aCol = ta ? M : 1
  const bRow = tb ? 1 : N, bCol = tb ? K : 1
  const acc = new Float32Array(N)
  for (let p = 0; p < P; p++) {
    const ao = p * M * K, bo = p * K * N, oo = p * M * N
    for (let i = 0; i < M; i++) {
      acc.fill(0)
      for (let k = 0; k < K; k++) {
        const a = A[ao + i * aRow + k * aCol]!
        const bb = bo + k * bRow
        for (let j = 0; j < N; j++) acc[j]! += a * B[bb + j * bCol]!
      }
      out.set(acc, oo + i * N)
    }
  }
}
for (const [P, s] of [[256, 48], [768, 17]]) {
  const q = new Float32Array(P * s * 5).map(Math.random), k = new Float32Array(P * s * 5).map(Math.random)
  const S = new Float32Array(P * s * s).map(Math.random), o = new Float32Array(P * s * s), o2 = new Float32Array(P * s * 5)
  const time = (name: string, f: () => void) => { f(); const t0 = performance.now(); for (let i = 0; i < 30; i++) f(); console.log(P, s, name.padEnd(20), ((performance.now() - t0) / 30).toFixed(3), "ms") }
  time("q k^T", () => bmm(q, k, o, P, s, 5, s, false, true))
  time("S v", () => bmm(S, q, o2, P, s, s, 5, false, false))
  time("S^T v", () => bmm(S, q, o2, P, s, s, 5, true, false))
  time("S k (dq)", () => bmm(S, k, o2, P, s, s, 5, false, false))
}
