import * as tf from "@tensorflow/tfjs"
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm"
import initWabt from "wabt"
import { kernelVersion } from "./kernelVersion.js"
import { HYPERLAYER_WAT } from "./wasmHyperlayer.js"

/**
 * Kernels for the wasm backend in WebAssembly SIMD, working in place on the backend's own heap.
 *
 * - `bmm`, a batched matrix product. The stock TensorFlow.js 4.22 kernel hands batched products to
 *   a scalar blocked loop that runs the attention pools' products (`[256, 48, 5] · [256, 5, 48]`
 *   and the like) at 0.3–1 GFLOP/s, 3–25× slower than this one, and the linear maps' products
 *   about as fast as XNNPACK runs their 2-D slices (≈ 8–10 GMAC/s; in version 1 products of one
 *   matrix keep the stock kernel). `c[b] = A[b] · B[b]`, vectorised along the columns of `B`: rows four at a time in
 *   blocks of 8 columns (each vector of `B` serves four rows), the rest one row at a time in blocks
 *   of 4 and 1, accumulating in registers over the inner axis. A transposed `A` is read with
 *   strides; a transposed `B` is first copied, transposed, into a scratch block (1/m of the
 *   product's cost). Sums run over the inner axis in order, as the stock kernel's do.
 * - `gemm` (kernel version 2), the same products with the same sums, bit for bit, faster where
 *   `bmm` went slow: the last (fewer than 8) columns run through 4-row blocks too (4 columns wide
 *   for 1–4 of them, 8 for 5–7), from a copy of B's last columns padded to 8, instead of one row at
 *   a time through scalar loops (1.10× on a
 *   hyperlayer's linear map `[8, 1632, 56]·[8, 56, 58]`, 1.38× on its gradient
 *   `[8, 1632, 56]ᵀ·[8, 1632, 58]`, 1.6× on the attention pools' `[256, 48, 48]ᵀ·[256, 48, 5]`).
 *   It also takes the untransposed products of one matrix, which the stock kernel hands to XNNPACK:
 *   XNNPACK sums over the inner axis in order from zero as gemm does (the same bits, held by a
 *   test), but packs B anew for every B tensor it has not seen, every step for a parameter that
 *   Adam has just replaced: the hyperhypernetwork's last layer `[8, 10]·[10, 2P]` and the two
 *   products of its gradient run 3.4–3.6× faster (0.82, 0.88, 0.71 ms → 0.24, 0.25, 0.20 ms at
 *   2P = 24,760, each product on a fresh B). Transposed products of one matrix stay on the stock
 *   kernel, which sums them in blocks of 48 along the inner axis.
 * - `bmmDot`, the same product for few columns (n < 8) and a long inner axis, such as the
 *   attention pools' `A·V` (`[256, 48, 48] · [256, 48, 5]`): dot products along the inner axis, 4
 *   lanes at a time, against `B` transposed. Its sums are in a different order from the stock
 *   kernel's (equal to float tolerance).
 * - `adam`, one Adam step over a parameter, its moments and its gradient in one pass, with the
 *   operations and float32 roundings of TensorFlow.js's AdamOptimizer (12 kernels per parameter).
 * - `copyRows`, a strided copy of equal runs of 4-byte values: the data movement of concatenating
 *   and splitting hyperfeature blocks (runs of 4–30 values), which a JavaScript loop does at about
 *   7 ns a value.
 */
/** Pointers to rows 1–3 of a 4-row block of A, `$ars4` bytes apart from row 0's pointer `first`. */
const rowPointers = (first: string): string =>
  [1, 2, 3].map((r) => `(local.set $a${r} (i32.add (local.get ${r === 1 ? first : `$a${r - 1}`}) (local.get $ars4)))`).join("\n    ")

/** Step the four row pointers of a 4-row block (row 0's is `first`) one value along the inner axis (`$acs4` bytes). */
const stepRows = (first: string): string =>
  [first, "$a1", "$a2", "$a3"].map((a) => `(local.set ${a} (i32.add (local.get ${a}) (local.get $acs4)))`).join("\n      ")

const WAT = `
(module
  (import "env" "memory" (memory 0))

  ;; One row of c, columns j0 … n: c[j] = Σ_p A(p)·B[p, j], A(p) at aP + p·acs4 bytes, B rows n4 bytes
  ;; apart; 4 columns at a time, then 1. It serves what $quad leaves: the last (fewer than 8)
  ;; columns of each group of four rows, and the last (fewer than 4) rows.
  (func $row (param $aP i32) (param $acs4 i32) (param $bB i32) (param $cRow i32) (param $j i32) (param $n i32) (param $k i32)
    (local $n4 i32) (local $a i32) (local $b i32) (local $p i32)
    (local $s0 v128) (local $sf f32)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $done4 (loop $per4
      (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $s0 (v128.const f32x4 0 0 0 0))
      (local.set $a (local.get $aP))
      (local.set $b (i32.add (local.get $bB) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $p (local.get $k))
      (block $dK4 (loop $lK4
        (br_if $dK4 (i32.eqz (local.get $p)))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (f32x4.splat (f32.load (local.get $a))) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (local.get $acs4)))
        (local.set $b (i32.add (local.get $b) (local.get $n4)))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (br $lK4)))
      (v128.store (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $s0))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $per4)))
    (block $done1 (loop $per1
      (br_if $done1 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $sf (f32.const 0))
      (local.set $a (local.get $aP))
      (local.set $b (i32.add (local.get $bB) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $p (local.get $k))
      (block $dK1 (loop $lK1
        (br_if $dK1 (i32.eqz (local.get $p)))
        (local.set $sf (f32.add (local.get $sf) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (local.get $acs4)))
        (local.set $b (i32.add (local.get $b) (local.get $n4)))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (br $lK1)))
      (f32.store (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $sf))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $per1))))

  ;; Four rows of c (rows ars4 bytes apart in A, n4 in c), columns 0 … n8 − 1, 8 at a time: each
  ;; value of B loaded once serves the four rows.
  (func $quad (param $aP i32) (param $ars4 i32) (param $acs4 i32) (param $bB i32) (param $cRow i32) (param $n8 i32) (param $n i32) (param $k i32)
    (local $n4 i32) (local $j i32) (local $a i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b i32) (local $c i32) (local $p i32)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $r00 v128) (local $r01 v128) (local $r10 v128) (local $r11 v128)
    (local $r20 v128) (local $r21 v128) (local $r30 v128) (local $r31 v128)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $doneJ (loop $perJ
      (br_if $doneJ (i32.ge_u (local.get $j) (local.get $n8)))
      (local.set $r00 (v128.const f32x4 0 0 0 0)) (local.set $r01 (v128.const f32x4 0 0 0 0))
      (local.set $r10 (v128.const f32x4 0 0 0 0)) (local.set $r11 (v128.const f32x4 0 0 0 0))
      (local.set $r20 (v128.const f32x4 0 0 0 0)) (local.set $r21 (v128.const f32x4 0 0 0 0))
      (local.set $r30 (v128.const f32x4 0 0 0 0)) (local.set $r31 (v128.const f32x4 0 0 0 0))
      ;; the four rows' pointers into A, each stepping along the inner axis
      (local.set $a (local.get $aP))
      ${rowPointers("$a")}
      (local.set $b (i32.add (local.get $bB) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $p (local.get $k))
      (block $dK (loop $lK
        (br_if $dK (i32.eqz (local.get $p)))
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $av (v128.load32_splat (local.get $a)))
        (local.set $r00 (f32x4.add (local.get $r00) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $r01 (f32x4.add (local.get $r01) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a1)))
        (local.set $r10 (f32x4.add (local.get $r10) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $r11 (f32x4.add (local.get $r11) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a2)))
        (local.set $r20 (f32x4.add (local.get $r20) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $r21 (f32x4.add (local.get $r21) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat (local.get $a3)))
        (local.set $r30 (f32x4.add (local.get $r30) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $r31 (f32x4.add (local.get $r31) (f32x4.mul (local.get $av) (local.get $b1))))
        ${stepRows("$a")}
        (local.set $b (i32.add (local.get $b) (local.get $n4)))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (br $lK)))
      (local.set $c (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $c) (local.get $r00))
      (v128.store offset=16 (local.get $c) (local.get $r01))
      (local.set $c (i32.add (local.get $c) (local.get $n4)))
      (v128.store (local.get $c) (local.get $r10))
      (v128.store offset=16 (local.get $c) (local.get $r11))
      (local.set $c (i32.add (local.get $c) (local.get $n4)))
      (v128.store (local.get $c) (local.get $r20))
      (v128.store offset=16 (local.get $c) (local.get $r21))
      (local.set $c (i32.add (local.get $c) (local.get $n4)))
      (v128.store (local.get $c) (local.get $r30))
      (v128.store offset=16 (local.get $c) (local.get $r31))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $perJ))))

  ;; to[c·rows + r] = from[r·cols + c]: a row-major [rows, cols] matrix transposed
  (func $transpose (param $from i32) (param $to i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32)
    (block $dR (loop $lR
      (br_if $dR (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $dC (loop $lC
        (br_if $dC (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store
          (i32.add (local.get $to) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
          (f32.load (i32.add (local.get $from) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lC)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lR))))

  ;; c[b] = A[b]·B[b]. A element (i, p) at a + 4·(b·abs + i·ars + p·acs); B row-major [k, n] at
  ;; bm + 4·b·bbs, or when tb stored [n, k] and copied transposed into scratch first; c row-major
  ;; [m, n], batch after batch. Rows go four at a time through $quad (columns in blocks of 8), the
  ;; columns it leaves and the last rows through $row.
  (func $bmm (export "bmm")
    (param $a i32) (param $bm i32) (param $c i32) (param $scratch i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $ars i32) (param $acs i32) (param $abs i32) (param $bbs i32) (param $tb i32)
    (local $bi i32) (local $i i32) (local $r i32)
    (local $aB i32) (local $bB i32) (local $cRow i32) (local $aP i32)
    (local $ars4 i32) (local $acs4 i32) (local $n4 i32) (local $n8 i32)
    (local.set $ars4 (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $acs4 (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $cRow (local.get $c))
    (block $doneB (loop $perB
      (br_if $doneB (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $aB (i32.add (local.get $a) (i32.shl (i32.mul (local.get $bi) (local.get $abs)) (i32.const 2))))
      (local.set $bB (i32.add (local.get $bm) (i32.shl (i32.mul (local.get $bi) (local.get $bbs)) (i32.const 2))))
      (if (local.get $tb) (then
        (call $transpose (local.get $bB) (local.get $scratch) (local.get $n) (local.get $k))
        (local.set $bB (local.get $scratch))))
      (local.set $i (i32.const 0))
      (local.set $aP (local.get $aB))
      (block $doneQ (loop $perQ
        (br_if $doneQ (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (call $quad (local.get $aP) (local.get $ars4) (local.get $acs4) (local.get $bB) (local.get $cRow) (local.get $n8) (local.get $n) (local.get $k))
        (if (i32.lt_u (local.get $n8) (local.get $n)) (then
          (local.set $r (i32.const 0))
          (block $dR (loop $lR
            (br_if $dR (i32.ge_u (local.get $r) (i32.const 4)))
            (call $row (i32.add (local.get $aP) (i32.mul (local.get $r) (local.get $ars4))) (local.get $acs4) (local.get $bB)
              (i32.add (local.get $cRow) (i32.mul (local.get $r) (local.get $n4))) (local.get $n8) (local.get $n) (local.get $k))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $lR)))))
        (local.set $aP (i32.add (local.get $aP) (i32.shl (local.get $ars4) (i32.const 2))))
        (local.set $cRow (i32.add (local.get $cRow) (i32.shl (local.get $n4) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $perQ)))
      (block $doneI (loop $perI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $m)))
        (call $row (local.get $aP) (local.get $acs4) (local.get $bB) (local.get $cRow) (i32.const 0) (local.get $n) (local.get $k))
        (local.set $aP (i32.add (local.get $aP) (local.get $ars4)))
        (local.set $cRow (i32.add (local.get $cRow) (local.get $n4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $perI)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $perB))))

  ;; c[b] = A[b]·B[b] for few columns (n < 8) and a long inner axis: c[i, j] = A[i, ·]·Bt[j, ·], dot
  ;; products along the inner axis, 4 lanes at a time. A row-major [m, k] at a + 4·b·abs; B stored
  ;; [n, k] at bm + 4·b·bbs when tb, else [k, n] and copied transposed into scratch first.
  (func $bmmDot (export "bmmDot")
    (param $a i32) (param $bm i32) (param $c i32) (param $scratch i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $abs i32) (param $bbs i32) (param $tb i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $p i32)
    (local $aRow i32) (local $bB i32) (local $bRow i32) (local $cP i32) (local $k4 i32)
    (local $x i32) (local $y i32) (local $acc v128) (local $sf f32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $cP (local.get $c))
    (block $doneB (loop $perB
      (br_if $doneB (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $bB (i32.add (local.get $bm) (i32.shl (i32.mul (local.get $bi) (local.get $bbs)) (i32.const 2))))
      (if (i32.eqz (local.get $tb)) (then
        (call $transpose (local.get $bB) (local.get $scratch) (local.get $k) (local.get $n))
        (local.set $bB (local.get $scratch))))
      (local.set $aRow (i32.add (local.get $a) (i32.shl (i32.mul (local.get $bi) (local.get $abs)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $doneI (loop $perI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $bRow (local.get $bB))
        (local.set $j (i32.const 0))
        (block $doneJ (loop $perJ
          (br_if $doneJ (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $x (local.get $aRow))
          (local.set $y (local.get $bRow))
          (local.set $p (i32.const 0))
          (block $d4 (loop $l4
            (br_if $d4 (i32.ge_u (local.get $p) (local.get $k4)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l4)))
          (local.set $sf (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
          (block $d1 (loop $l1
            (br_if $d1 (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $sf (f32.add (local.get $sf) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $l1)))
          (f32.store (local.get $cP) (local.get $sf))
          (local.set $cP (i32.add (local.get $cP) (i32.const 4)))
          (local.set $bRow (i32.add (local.get $bRow) (i32.shl (local.get $k) (i32.const 2))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $perJ)))
        (local.set $aRow (i32.add (local.get $aRow) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $perI)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $perB))))

  ;; Store the first cnt (0–4) lanes of v at addr.
  (func $storeLanes (param $addr i32) (param $v v128) (param $cnt i32)
    (if (i32.ge_u (local.get $cnt) (i32.const 4)) (then (v128.store (local.get $addr) (local.get $v)) (return)))
    (if (i32.ge_u (local.get $cnt) (i32.const 2)) (then
      (v128.store64_lane 0 (local.get $addr) (local.get $v))
      (if (i32.eq (local.get $cnt) (i32.const 3)) (then (v128.store32_lane offset=8 2 (local.get $addr) (local.get $v))))
      (return)))
    (if (i32.eq (local.get $cnt) (i32.const 1)) (then (v128.store32_lane 0 (local.get $addr) (local.get $v)))))

  ;; Store the first cnt (1–8) values of the 8 in (v0, v1) at addr.
  (func $store8 (param $addr i32) (param $v0 v128) (param $v1 v128) (param $cnt i32)
    (if (i32.ge_u (local.get $cnt) (i32.const 4))
      (then
        (v128.store (local.get $addr) (local.get $v0))
        (call $storeLanes (i32.add (local.get $addr) (i32.const 16)) (local.get $v1) (i32.sub (local.get $cnt) (i32.const 4))))
      (else (call $storeLanes (local.get $addr) (local.get $v0) (local.get $cnt)))))

  ;; One block of 4 rows × 8 columns of c = A·B: A(r, p) at aP + r·ars4 + p·acs4, B rows bs4 bytes
  ;; apart from bP, c rows cs4 bytes apart from cP; the first cnt columns are stored. Each value of
  ;; B loaded serves four rows; every sum runs over p in order from 0, as $quad's and $row's do.
  (func $block4 (param $aP i32) (param $ars4 i32) (param $acs4 i32) (param $bP i32) (param $bs4 i32) (param $cP i32) (param $cs4 i32) (param $k i32) (param $cnt i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $r00 v128) (local $r01 v128) (local $r10 v128) (local $r11 v128)
    (local $r20 v128) (local $r21 v128) (local $r30 v128) (local $r31 v128)
    ${rowPointers("$aP")}
    (block $dK (loop $lK
      (br_if $dK (i32.eqz (local.get $k)))
      (local.set $b0 (v128.load (local.get $bP)))
      (local.set $b1 (v128.load offset=16 (local.get $bP)))
      (local.set $av (v128.load32_splat (local.get $aP)))
      (local.set $r00 (f32x4.add (local.get $r00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $r01 (f32x4.add (local.get $r01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat (local.get $a1)))
      (local.set $r10 (f32x4.add (local.get $r10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $r11 (f32x4.add (local.get $r11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat (local.get $a2)))
      (local.set $r20 (f32x4.add (local.get $r20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $r21 (f32x4.add (local.get $r21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat (local.get $a3)))
      (local.set $r30 (f32x4.add (local.get $r30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $r31 (f32x4.add (local.get $r31) (f32x4.mul (local.get $av) (local.get $b1))))
      ${stepRows("$aP")}
      (local.set $bP (i32.add (local.get $bP) (local.get $bs4)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $lK)))
    (call $store8 (local.get $cP) (local.get $r00) (local.get $r01) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $store8 (local.get $cP) (local.get $r10) (local.get $r11) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $store8 (local.get $cP) (local.get $r20) (local.get $r21) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $store8 (local.get $cP) (local.get $r30) (local.get $r31) (local.get $cnt)))

  ;; Four rows × 4 columns, as $block4 for its first 4 columns (cnt ≤ 4 of them stored): half its
  ;; work where the last columns are 4 or fewer.
  (func $block4x4 (param $aP i32) (param $ars4 i32) (param $acs4 i32) (param $bP i32) (param $bs4 i32) (param $cP i32) (param $cs4 i32) (param $k i32) (param $cnt i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $b0 v128) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    ${rowPointers("$aP")}
    (block $dK (loop $lK
      (br_if $dK (i32.eqz (local.get $k)))
      (local.set $b0 (v128.load (local.get $bP)))
      (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (v128.load32_splat (local.get $aP)) (local.get $b0))))
      (local.set $r1 (f32x4.add (local.get $r1) (f32x4.mul (v128.load32_splat (local.get $a1)) (local.get $b0))))
      (local.set $r2 (f32x4.add (local.get $r2) (f32x4.mul (v128.load32_splat (local.get $a2)) (local.get $b0))))
      (local.set $r3 (f32x4.add (local.get $r3) (f32x4.mul (v128.load32_splat (local.get $a3)) (local.get $b0))))
      ${stepRows("$aP")}
      (local.set $bP (i32.add (local.get $bP) (local.get $bs4)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $lK)))
    (call $storeLanes (local.get $cP) (local.get $r0) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $storeLanes (local.get $cP) (local.get $r1) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $storeLanes (local.get $cP) (local.get $r2) (local.get $cnt))
    (local.set $cP (i32.add (local.get $cP) (local.get $cs4)))
    (call $storeLanes (local.get $cP) (local.get $r3) (local.get $cnt)))

  ;; One row × 8 columns, as $block4.
  (func $block1 (param $aP i32) (param $acs4 i32) (param $bP i32) (param $bs4 i32) (param $cP i32) (param $k i32) (param $cnt i32)
    (local $av v128) (local $r0 v128) (local $r1 v128)
    (block $dK (loop $lK
      (br_if $dK (i32.eqz (local.get $k)))
      (local.set $av (v128.load32_splat (local.get $aP)))
      (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (local.get $av) (v128.load (local.get $bP)))))
      (local.set $r1 (f32x4.add (local.get $r1) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $bP)))))
      (local.set $aP (i32.add (local.get $aP) (local.get $acs4)))
      (local.set $bP (i32.add (local.get $bP) (local.get $bs4)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $lK)))
    (call $store8 (local.get $cP) (local.get $r0) (local.get $r1) (local.get $cnt)))

  ;; to[r·8 + c] = from[r·fs4/4 + c] for c < cnt, zero for cnt ≤ c < 8: the last (fewer than 8)
  ;; columns of a row-major matrix, padded to a block of 8.
  (func $packTail (param $from i32) (param $fs4 i32) (param $to i32) (param $rows i32) (param $cnt i32)
    (local $c i32)
    (block $dR (loop $lR
      (br_if $dR (i32.eqz (local.get $rows)))
      (v128.store (local.get $to) (v128.const f32x4 0 0 0 0))
      (v128.store offset=16 (local.get $to) (v128.const f32x4 0 0 0 0))
      (local.set $c (i32.const 0))
      (block $dC (loop $lC
        (br_if $dC (i32.ge_u (local.get $c) (local.get $cnt)))
        (f32.store (i32.add (local.get $to) (i32.shl (local.get $c) (i32.const 2)))
          (f32.load (i32.add (local.get $from) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lC)))
      (local.set $from (i32.add (local.get $from) (local.get $fs4)))
      (local.set $to (i32.add (local.get $to) (i32.const 32)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $lR))))

  ;; c[b] = A[b]·B[b] with the same operands and the same sums as bmm (every value bit for bit),
  ;; faster: the last (fewer than 8) columns run through the 4-row blocks too, from a copy of B's
  ;; last columns padded to 8 (scratch after the transposed B, when tb), instead of one row at a time.
  (func $gemm (export "gemm")
    (param $a i32) (param $bm i32) (param $c i32) (param $scratch i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $ars i32) (param $acs i32) (param $abs i32) (param $bbs i32) (param $tb i32)
    (local $bi i32) (local $i i32) (local $j i32)
    (local $aB i32) (local $bB i32) (local $cRow i32) (local $aP i32) (local $tail i32)
    (local $ars4 i32) (local $acs4 i32) (local $n4 i32) (local $n8 i32) (local $left i32) (local $m4 i32)
    (local.set $ars4 (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $acs4 (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $left (i32.sub (local.get $n) (local.get $n8)))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $tail (select (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $k) (local.get $n)) (i32.const 2))) (local.get $scratch) (local.get $tb)))
    (local.set $cRow (local.get $c))
    (block $doneB (loop $perB
      (br_if $doneB (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $aB (i32.add (local.get $a) (i32.shl (i32.mul (local.get $bi) (local.get $abs)) (i32.const 2))))
      (local.set $bB (i32.add (local.get $bm) (i32.shl (i32.mul (local.get $bi) (local.get $bbs)) (i32.const 2))))
      (if (local.get $tb) (then
        (call $transpose (local.get $bB) (local.get $scratch) (local.get $n) (local.get $k))
        (local.set $bB (local.get $scratch))))
      (if (local.get $left) (then
        (call $packTail (i32.add (local.get $bB) (i32.shl (local.get $n8) (i32.const 2))) (local.get $n4) (local.get $tail) (local.get $k) (local.get $left))))
      (local.set $aP (local.get $aB))
      (local.set $i (i32.const 0))
      (block $doneQ (loop $perQ
        (br_if $doneQ (i32.ge_u (local.get $i) (local.get $m4)))
        (call $quad (local.get $aP) (local.get $ars4) (local.get $acs4) (local.get $bB) (local.get $cRow) (local.get $n8) (local.get $n) (local.get $k))
        (if (local.get $left) (then
          (if (i32.le_u (local.get $left) (i32.const 4))
            (then (call $block4x4 (local.get $aP) (local.get $ars4) (local.get $acs4) (local.get $tail) (i32.const 32)
              (i32.add (local.get $cRow) (i32.shl (local.get $n8) (i32.const 2))) (local.get $n4) (local.get $k) (local.get $left)))
            (else (call $block4 (local.get $aP) (local.get $ars4) (local.get $acs4) (local.get $tail) (i32.const 32)
              (i32.add (local.get $cRow) (i32.shl (local.get $n8) (i32.const 2))) (local.get $n4) (local.get $k) (local.get $left))))))
        (local.set $aP (i32.add (local.get $aP) (i32.shl (local.get $ars4) (i32.const 2))))
        (local.set $cRow (i32.add (local.get $cRow) (i32.shl (local.get $n4) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $perQ)))
      (block $doneI (loop $perI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $doneJ1 (loop $perJ1
          (br_if $doneJ1 (i32.ge_u (local.get $j) (local.get $n8)))
          (call $block1 (local.get $aP) (local.get $acs4) (i32.add (local.get $bB) (i32.shl (local.get $j) (i32.const 2))) (local.get $n4)
            (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $k) (i32.const 8))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $perJ1)))
        (if (local.get $left) (then
          (call $block1 (local.get $aP) (local.get $acs4) (local.get $tail) (i32.const 32)
            (i32.add (local.get $cRow) (i32.shl (local.get $n8) (i32.const 2))) (local.get $k) (local.get $left))))
        (local.set $aP (i32.add (local.get $aP) (local.get $ars4)))
        (local.set $cRow (i32.add (local.get $cRow) (local.get $n4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $perI)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $perB))))

  ;; rows runs of n 4-byte values, from one strided block to another; strides in bytes
  (func $copyRows (export "copyRows")
    (param $from i32) (param $fromStride i32) (param $to i32) (param $toStride i32) (param $rows i32) (param $n i32)
    (local $f i32) (local $t i32) (local $left i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $perRow
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $f (local.get $from))
      (local.set $t (local.get $to))
      (local.set $left (local.get $bytes))
      (block $d16 (loop $l16
        (br_if $d16 (i32.lt_u (local.get $left) (i32.const 16)))
        (v128.store (local.get $t) (v128.load (local.get $f)))
        (local.set $f (i32.add (local.get $f) (i32.const 16)))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $left (i32.sub (local.get $left) (i32.const 16)))
        (br $l16)))
      (block $d4 (loop $l4
        (br_if $d4 (i32.eqz (local.get $left)))
        (i32.store (local.get $t) (i32.load (local.get $f)))
        (local.set $f (i32.add (local.get $f) (i32.const 4)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (local.set $left (i32.sub (local.get $left) (i32.const 4)))
        (br $l4)))
      (local.set $from (i32.add (local.get $from) (local.get $fromStride)))
      (local.set $to (i32.add (local.get $to) (local.get $toStride)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $perRow))))
  ;; One Adam step on n values, in the order and float32 roundings of TensorFlow.js's
  ;; AdamOptimizer (so bit for bit the same): m' = m·β1 + g·c1, v' = v·β2 + (g·g)·c2,
  ;; x' = ((m'/a1)/(√(v'/a2) + ε))·(−lr) + x, with c = 1 − β and a = 1 − β^t as float32 scalars.
  (func $adam (export "adam") (param $x i32) (param $m i32) (param $v i32) (param $g i32) (param $ox i32) (param $om i32) (param $ov i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $a1 f32) (param $a2 f32) (param $eps f32) (param $nlr f32)
    (local $i i32) (local $n4 i32) (local $o i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $A1 v128) (local $A2 v128) (local $EPS v128) (local $NLR v128)
    (local.set $B1 (f32x4.splat (local.get $b1))) (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2))) (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $A1 (f32x4.splat (local.get $a1))) (local.set $A2 (f32x4.splat (local.get $a2)))
    (local.set $EPS (f32x4.splat (local.get $eps))) (local.set $NLR (f32x4.splat (local.get $nlr)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1)) (f32x4.mul (local.get $gv) (local.get $C1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2)) (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
      (v128.store (i32.add (local.get $om) (local.get $o)) (local.get $mv))
      (v128.store (i32.add (local.get $ov) (local.get $o)) (local.get $vv))
      (v128.store (i32.add (local.get $ox) (local.get $o)) (f32x4.add (f32x4.mul (f32x4.div (f32x4.div (local.get $mv) (local.get $A1))
        (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $A2))) (local.get $EPS))) (local.get $NLR)) (v128.load (i32.add (local.get $x) (local.get $o)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l4)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gv (v128.load32_splat (i32.add (local.get $g) (local.get $o))))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load32_splat (i32.add (local.get $m) (local.get $o))) (local.get $B1)) (f32x4.mul (local.get $gv) (local.get $C1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load32_splat (i32.add (local.get $v) (local.get $o))) (local.get $B2)) (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
      (f32.store (i32.add (local.get $om) (local.get $o)) (f32x4.extract_lane 0 (local.get $mv)))
      (f32.store (i32.add (local.get $ov) (local.get $o)) (f32x4.extract_lane 0 (local.get $vv)))
      (f32.store (i32.add (local.get $ox) (local.get $o)) (f32x4.extract_lane 0 (f32x4.add (f32x4.mul (f32x4.div (f32x4.div (local.get $mv) (local.get $A1))
        (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $A2))) (local.get $EPS))) (local.get $NLR)) (v128.load32_splat (i32.add (local.get $x) (local.get $o))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1))))
${HYPERLAYER_WAT})
`

type Bmm = (a: number, b: number, c: number, scratch: number, batch: number, m: number, k: number, n: number,
  ars: number, acs: number, abs: number, bbs: number, tb: number) => void
type BmmDot = (a: number, b: number, c: number, scratch: number, batch: number, m: number, k: number, n: number,
  abs: number, bbs: number, tb: number) => void
type CopyRows = (from: number, fromStride: number, to: number, toStride: number, rows: number, n: number) => void

/** What the kernels need of the Emscripten module behind the wasm backend. */
interface WasmModule {
  readonly asm: { readonly memory: object }
  readonly _malloc: (bytes: number) => number
  readonly _free: (pointer: number) => void
}

/** The WebAssembly API, which TypeScript declares only with the DOM library. */
const WebAssembly = (globalThis as unknown as {
  WebAssembly: {
    Module: new (binary: Uint8Array) => object
    Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
  }
}).WebAssembly

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }

/** The kernels, instantiated on one wasm backend's heap. */
export interface WasmSimd {
  /**
   * The BatchMatMul kernel: products of more than one matrix, and (version 2) untransposed products
   * of one; the rest go to the stock kernel.
   */
  readonly batchMatMul: (args: KernelArgs) => tf.TensorInfo
  /**
   * Copy `rows` runs of `n` values from `from` (run r at `fromAt + r·fromStride`) into `to` (at
   * `toAt + r·toStride`); both are views of 4-byte values on this backend's heap, offsets in values.
   */
  readonly copyRows: (from: tf.TypedArray, fromAt: number, fromStride: number, to: tf.TypedArray, toAt: number, toStride: number, rows: number, n: number) => void
  /** One Adam step on `n` values (`adam`: the operations and roundings of TensorFlow.js's AdamOptimizer). */
  readonly adam: (x: number, m: number, v: number, g: number, ox: number, om: number, ov: number, n: number,
    b1: number, c1: number, b2: number, c2: number, a1: number, a2: number, eps: number, nlr: number) => void
  /** The fused hyperlayer kernels of `wasmHyperlayer`, by byte address on this backend's heap. */
  readonly hyperlayer: HyperlayerKernels
}

/** The fused hyperlayer kernels (see `wasmHyperlayer` for what each computes) and the heap they work on. */
export interface HyperlayerKernels {
  readonly addBias: (x: number, out: number, bias: number, batch: number, rows: number, cols: number) => void
  readonly colSums: (x: number, out: number, batch: number, rows: number, cols: number) => void
  readonly swish: (x: number, xs4: number, out: number, os4: number, sig: number, rows: number, w: number) => void
  readonly swishGrad: (x: number, xs4: number, sig: number, dh: number, ds4: number, dx: number, es4: number, rows: number, w: number) => void
  readonly attnFwd: (y: number, yIdx: number, h: number, hIdx: number, s: number, k: number, scale: number, p: number, scratch: number) => void
  readonly attnBwd: (y: number, yIdx: number, dh: number, hIdx: number, dy: number, s: number, k: number, scale: number, p: number, scratch: number) => void
  readonly klFwd: (yq: number, yp: number, eps: number, hq: number, hp: number, E: number, L: number, ys4: number, hs4: number, sides: number) => number
  readonly klBwd: (yq: number, yp: number, eps: number, dhq: number, dhp: number, dyq: number, dyp: number, E: number, L: number, ys4: number, hs4: number, sides: number, g: number) => void
  /** Copy `rows` runs of `n` 4-byte values, strides in bytes. */
  readonly copyRows: (from: number, fromStride: number, to: number, toStride: number, rows: number, n: number) => void
  readonly malloc: (bytes: number) => number
  readonly free: (pointer: number) => void
  /** The heap as it is now (an allocation may replace it). */
  readonly heap: () => ArrayBuffer
  /** A tensor's byte address. */
  readonly address: (t: tf.TensorInfo) => number
}

/** Assemble the kernels (once); the result instantiates them per backend, on first use. */
export const compileWasmSimd = async (stockBatchMatMul: tf.KernelFunc): Promise<(backend: BackendWasm) => WasmSimd> => {
  const wabt = await initWabt()
  const parsed = wabt.parseWat("kernels.wat", WAT, { simd: true })
  // the name section lets a V8 CPU profile (node --cpu-prof) name every kernel (quad, attnFwd, klBwd…) instead of wasm-function[N]
  const compiled = new WebAssembly.Module(parsed.toBinary({ write_debug_names: true }).buffer)
  parsed.destroy()
  const instances = new WeakMap<BackendWasm, WasmSimd>()
  return (backend) => {
    let simd = instances.get(backend)
    if (simd === undefined) {
      simd = instantiate(backend, compiled, stockBatchMatMul)
      instances.set(backend, simd)
    }
    return simd
  }
}

const instantiate = (backend: BackendWasm, compiled: object, stock: tf.KernelFunc): WasmSimd => {
  const module = backend.wasm as unknown as WasmModule
  const exports = new WebAssembly.Instance(compiled, { env: { memory: module.asm.memory } }).exports
  const bmm = exports["bmm"] as Bmm
  const bmmDot = exports["bmmDot"] as BmmDot
  const gemm = exports["gemm"] as Bmm
  const copy = exports["copyRows"] as CopyRows
  const offset = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset
  const batchMatMul = (args: KernelArgs): tf.TensorInfo => {
    const a = args.inputs["a"]!
    const b = args.inputs["b"]!
    const transposeA = args.attrs!["transposeA"] as boolean
    const transposeB = args.attrs!["transposeB"] as boolean
    const outerA = a.shape.slice(0, -2)
    const outerB = b.shape.slice(0, -2)
    const batchA = tf.util.sizeFromShape(outerA)
    const batchB = tf.util.sizeFromShape(outerB)
    const batch = Math.max(batchA, batchB)
    const sameOuter = outerA.length === outerB.length && outerA.every((d, k) => d === outerB[k])
    // one matrix: the stock kernel hands an untransposed product to XNNPACK, which packs B anew for
    // every new B tensor (every step, for a parameter Adam just replaced) and then sums over the
    // inner axis in order from zero, as gemm does: from version 2 gemm takes those, with the same
    // bits. A transposed one the stock kernel sums in blocks of 48 along the inner axis: it stays there.
    const single = batch <= 1
    if (single && (transposeA || transposeB || kernelVersion() === 1)) return stock(args as never) as tf.TensorInfo
    if (a.dtype !== "float32" || b.dtype !== "float32" || !(sameOuter || batchA === 1 || batchB === 1)) {
      return stock(args as never) as tf.TensorInfo
    }
    const ra = a.shape.length
    const rb = b.shape.length
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!
    if (k !== kb) throw new Error(`matMul: inner dimensions ${k} and ${kb} of shapes [${a.shape}] and [${b.shape}] (transposeA=${transposeA}, transposeB=${transposeB}) must match`)
    const outShape = [...tf.backend_util.assertAndGetBroadcastShape(outerA, outerB), m, n]
    const out = backend.makeOutput(outShape, "float32")
    if (m * n === 0) return out
    // few columns and a long inner axis: dot products along it (A must be row-major); not for one
    // matrix, whose sums must stay XNNPACK's
    const dot = n < 8 && k >= 16 && !transposeA && !single
    // heap offsets stay valid when an allocation grows the heap
    const scratch = transposeB !== dot && (dot || kernelVersion() === 1) ? module._malloc(4 * k * n) : 0
    const abs = batchA === 1 ? 0 : m * k
    const bbs = batchB === 1 ? 0 : k * n
    if (dot) bmmDot(offset(a), offset(b), offset(out), scratch, batch, m, k, n, abs, bbs, transposeB ? 1 : 0)
    else if (kernelVersion() === 1) bmm(offset(a), offset(b), offset(out), scratch, batch, m, k, n, transposeA ? 1 : k, transposeA ? m : 1, abs, bbs, transposeB ? 1 : 0)
    else {
      // gemm's scratch: B transposed (when stored transposed), then its last columns padded to 8
      const room = (transposeB ? k * n : 0) + (n % 8 === 0 ? 0 : 8 * k)
      const space = room === 0 ? 0 : module._malloc(4 * room)
      gemm(offset(a), offset(b), offset(out), space, batch, m, k, n, transposeA ? 1 : k, transposeA ? m : 1, abs, bbs, transposeB ? 1 : 0)
      if (space !== 0) module._free(space)
    }
    if (scratch !== 0) module._free(scratch)
    return out
  }
  return {
    batchMatMul,
    copyRows: (from, fromAt, fromStride, to, toAt, toStride, rows, n) =>
      copy(from.byteOffset + 4 * fromAt, 4 * fromStride, to.byteOffset + 4 * toAt, 4 * toStride, rows, n),
    adam: exports["adam"] as WasmSimd["adam"],
    hyperlayer: {
      addBias: exports["addBias"] as HyperlayerKernels["addBias"],
      colSums: exports["colSums"] as HyperlayerKernels["colSums"],
      swish: exports["swish"] as HyperlayerKernels["swish"],
      swishGrad: exports["swishGrad"] as HyperlayerKernels["swishGrad"],
      attnFwd: exports["attnFwd"] as HyperlayerKernels["attnFwd"],
      attnBwd: exports["attnBwd"] as HyperlayerKernels["attnBwd"],
      klFwd: exports["klFwd"] as HyperlayerKernels["klFwd"],
      klBwd: exports["klBwd"] as HyperlayerKernels["klBwd"],
      copyRows: copy,
      malloc: (bytes) => module._malloc(bytes),
      free: (pointer) => module._free(pointer),
      heap: () => (module.asm.memory as { buffer: ArrayBuffer }).buffer,
      address: offset
    }
  }
}
