/**
 * WebAssembly SIMD text of the fused hyperlayer kernels (assembled with the products of
 * `wasmSimd`, into the same module): the bias of a hyperlayer's linear map and its gradient, swish
 * and its gradient, and per-neuron softmax attention over one pool of edges with its gradient.
 * Addresses are bytes on the wasm backend's heap; every function works in place there.
 *
 * `exp4` is the exponential of four floats by the Cephes polynomial (as in `sse_mathfun`): within
 * 2 ulp of exp on [−87.3, 88.4], clamped outside (exp(−87.3) ≈ 1.2e−38 stands for anything smaller).
 *
 * The clamps are `f32x4.pmin`/`pmax` (one x86 instruction each) rather than `f32x4.min`/`max`
 * (NaN-propagating and ordering −0 below +0: a sequence of several on x86): against bounds that
 * are neither zero nor NaN the two give the same value for every input but NaN (where both give a
 * NaN). The power 2ⁿ is built from n as a float: n + 127 is an integer in [1, 255] (n = ⌊x·log₂e +
 * ½⌋ of a clamped x), so n + (2²³ + 127) is exact and its low mantissa bits are n + 127, which the
 * shift by 23 moves into the exponent field, the bits `trunc_sat(n) + 127 << 23` gives, without the
 * saturating conversion (several instructions on x86). Softmax's row maxima and the KL
 * channel's max(r, 0) take pmax too: where pmax and max differ for numbers (a −0 where max gives
 * +0), nothing that follows does (score − max differs only for a score of −0, and exp4 of ±0 is
 * the same; −0 + u² is +0 + u²). Softmax, swish and the KL channels spend much of their time in
 * these operations; every bit stays as it was (kernel version 2's bits are pinned by a test).
 */
/** Four lanes of one value. */
const f4 = (x: number | string): string => `(v128.const f32x4 ${x} ${x} ${x} ${x})`

/** The temporaries of {@link exp4}, to declare in the function that uses it. */
const expLocals = "(local $ex v128) (local $efx v128) (local $ez v128) (local $ey v128)"

/**
 * Statements setting the local `dst` to exp(`src`) (four lanes): `$exp4` written out in place, as
 * V8 does not inline calls between wasm functions and softmax and swish call it for every 4 values.
 */
const exp4 = (dst: string, src: string): string => `
    (local.set $ex (f32x4.pmin (f32x4.pmax ${src} ${f4(-87.3365478515625)}) ${f4(88.3762626647949)}))
    (local.set $efx (f32x4.floor (f32x4.add (f32x4.mul (local.get $ex) ${f4(1.44269504088896341)}) ${f4(0.5)})))
    (local.set $ex (f32x4.sub (f32x4.sub (local.get $ex) (f32x4.mul (local.get $efx) ${f4(0.693359375)})) (f32x4.mul (local.get $efx) ${f4(-2.12194440e-4)})))
    (local.set $ez (f32x4.mul (local.get $ex) (local.get $ex)))
    (local.set $ey (f32x4.add (f32x4.mul ${f4(1.9875691500e-4)} (local.get $ex)) ${f4(1.3981999507e-3)}))
    (local.set $ey (f32x4.add (f32x4.mul (local.get $ey) (local.get $ex)) ${f4(8.3334519073e-3)}))
    (local.set $ey (f32x4.add (f32x4.mul (local.get $ey) (local.get $ex)) ${f4(4.1665795894e-2)}))
    (local.set $ey (f32x4.add (f32x4.mul (local.get $ey) (local.get $ex)) ${f4(1.6666665459e-1)}))
    (local.set $ey (f32x4.add (f32x4.mul (local.get $ey) (local.get $ex)) ${f4(5.0000001201e-1)}))
    (local.set $ey (f32x4.add (f32x4.add (f32x4.mul (local.get $ey) (local.get $ez)) (local.get $ex)) ${f4(1)}))
    (local.set ${dst} (f32x4.mul (local.get $ey)
      (i32x4.shl (f32x4.add (local.get $efx) ${f4(8388735)}) (i32.const 23))))`

/** The temporaries of {@link log4}, {@link softplus4}, {@link spread4}. */
const mathLocals = `${expLocals} (local $lx v128) (local $le v128) (local $lm v128) (local $ls v128) (local $lz v128) (local $ly v128)
    (local $sy v128) (local $su v128) (local $sm v128) (local $tp v128) (local $tt v128)`

/** Statements setting `dst` to log(`src`) of four positive floats (Cephes logf: within 1 ulp for normal x). */
const log4 = (dst: string, src: string): string => `
    (local.set $lx (f32x4.pmax ${src} (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000)))
    (local.set $le (f32x4.convert_i32x4_s (i32x4.sub (i32x4.shr_u (local.get $lx) (i32.const 23)) (v128.const i32x4 126 126 126 126))))
    (local.set $lm (v128.or (v128.and (local.get $lx) (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff)) (v128.const i32x4 0x3f000000 0x3f000000 0x3f000000 0x3f000000)))
    (local.set $ls (f32x4.lt (local.get $lm) ${f4(0.707106781186547524)}))
    (local.set $le (f32x4.sub (local.get $le) (v128.and (local.get $ls) ${f4(1)})))
    (local.set $lx (f32x4.sub (f32x4.add (local.get $lm) (v128.and (local.get $ls) (local.get $lm))) ${f4(1)}))
    (local.set $lz (f32x4.mul (local.get $lx) (local.get $lx)))
    (local.set $ly (f32x4.add (f32x4.mul ${f4(7.0376836292e-2)} (local.get $lx)) ${f4(-1.1514610310e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(1.1676998740e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(-1.2420140846e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(1.4249322787e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(-1.6668057665e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(2.0000714765e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(-2.4999993993e-1)}))
    (local.set $ly (f32x4.add (f32x4.mul (local.get $ly) (local.get $lx)) ${f4(3.3333331174e-1)}))
    (local.set $ly (f32x4.mul (f32x4.mul (local.get $ly) (local.get $lx)) (local.get $lz)))
    (local.set $ly (f32x4.add (local.get $ly) (f32x4.mul (local.get $le) ${f4(-2.12194440e-4)})))
    (local.set $ly (f32x4.sub (local.get $ly) (f32x4.mul (local.get $lz) ${f4(0.5)})))
    (local.set ${dst} (f32x4.add (f32x4.add (local.get $lx) (local.get $ly)) (f32x4.mul (local.get $le) ${f4(0.693359375)})))`

/**
 * Statements setting `dst` to softplus(`src`) as TensorFlow.js defines it: exp(x) below
 * log(ε) + 2, x above −(log(ε) + 2), else log1p(exp(x)) (log(u) − ((u − 1) − y)/u with u = 1 + y,
 * y = exp(x), which corrects u's rounding). `src` is read more than once: a local.get.
 */
const softplus4 = (dst: string, src: string): string => `
    ${exp4("$sy", src)}
    (local.set $su (f32x4.add ${f4(1)} (local.get $sy)))
    ${log4("$sm", "(local.get $su)")}
    (local.set $sm (f32x4.sub (local.get $sm) (f32x4.div (f32x4.sub (f32x4.sub (local.get $su) ${f4(1)}) (local.get $sy)) (local.get $su))))
    (local.set ${dst} (v128.bitselect (local.get $sy)
      (v128.bitselect ${src} (local.get $sm) (f32x4.gt ${src} ${f4(13.942385152878742)}))
      (f32x4.lt ${src} ${f4(-13.942385152878742)})))`

/** Statements setting `dst` to expm1(t) − t (`t` a local.get): its series below |t| = 1/2 (t²/2! + … + t¹⁰/10!), exp(t) − 1 − t above. */
const spread4 = (dst: string, t: string): string => `
    (local.set $tp (f32x4.add (f32x4.mul ${f4(2.755731922398589e-7)} ${t}) ${f4(2.48015873015873e-5)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(1.984126984126984e-4)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(1.388888888888889e-3)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(8.333333333333333e-3)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(4.1666666666666664e-2)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(0.16666666666666666)}))
    (local.set $tp (f32x4.add (f32x4.mul (local.get $tp) ${t}) ${f4(0.5)}))
    (local.set $tp (f32x4.mul (f32x4.mul (local.get $tp) ${t}) ${t}))
    ${exp4("$tt", t)}
    (local.set ${dst} (v128.bitselect (local.get $tp) (f32x4.sub (f32x4.sub (local.get $tt) ${f4(1)}) ${t}) (f32x4.lt (f32x4.abs ${t}) ${f4(0.5)})))`

/** Statements setting `dst` to σ(`src`) = 1/(1 + exp(−src)). */
const sigmoid4 = (dst: string, src: string): string => `
    ${exp4(dst, `(f32x4.neg ${src})`)}
    (local.set ${dst} (f32x4.div ${f4(1)} (f32x4.add ${f4(1)} (local.get ${dst}))))`

/** The first `cnt` floats at `p` (zeros after): a plain load for 4. */
const loadN = (p: string, cnt = "(local.get $cnt)"): string =>
  `(if (result v128) (i32.ge_u ${cnt} (i32.const 4)) (then (v128.load ${p})) (else (call $loadLanes ${p} ${cnt})))`

/** Store the first `cnt` lanes of `v` at `p`: a plain store for 4. */
const storeN = (p: string, v: string, cnt = "(local.get $cnt)"): string =>
  `(if (i32.ge_u ${cnt} (i32.const 4)) (then (v128.store ${p} ${v})) (else (call $storeLanes ${p} ${v} ${cnt})))`

/** The horizontal sum of a v128 local. */
const hsum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 (local.get ${v})) (f32x4.extract_lane 1 (local.get ${v}))) (f32.add (f32x4.extract_lane 2 (local.get ${v})) (f32x4.extract_lane 3 (local.get ${v}))))`

/** Lanes 0 and 2 of `a` then of `b` (`even`), or lanes 1 and 3 (`odd`), as one vector. */
const evenLanes = (a: string, b: string): string => `(i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 ${a} ${b})`
const oddLanes = (a: string, b: string): string => `(i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 ${a} ${b})`

/**
 * The horizontal sums of the v128 locals `a`, `b`, `c`, `d` as the four lanes of one vector, each
 * summed as {@link hsum} sums one, (l0 + l1) + (l2 + l3), so bit for bit the same: pairs first
 * ([a0 + a1, a2 + a3, b0 + b1, b2 + b3], likewise c and d), then the pairs' sums. Uses the v128
 * locals $h0 and $h1.
 */
const hsum4 = (a: string, b: string, c: string, d: string): string => `
    (local.set $h0 (f32x4.add ${evenLanes(`(local.get ${a})`, `(local.get ${b})`)} ${oddLanes(`(local.get ${a})`, `(local.get ${b})`)}))
    (local.set $h1 (f32x4.add ${evenLanes(`(local.get ${c})`, `(local.get ${d})`)} ${oddLanes(`(local.get ${c})`, `(local.get ${d})`)}))
    (f32x4.add ${evenLanes("(local.get $h0)", "(local.get $h1)")} ${oddLanes("(local.get $h0)", "(local.get $h1)")})`

/** The most columns of P·v one pass over a pool's members sums (one accumulator each). */
const PV_COLUMNS = 8

/**
 * One pass of attnFwd's P·v over the members (j), for the `g` columns d … d + g − 1 at once: each
 * column's sum runs over j in order in its own accumulator, as a pass per column would sum it (the
 * same bits), but the g sums' chains of additions run side by side. Reads the row of P at $p, the
 * columns' rows of vᵀ from $m (rows $sp4 bytes apart), stores the sums at $out + 4d, and advances
 * $d by g. Locals: $a0 … $a7, $v1 … $v7 (i32), $e, $h0, $h1, $j.
 */
const pvPass = (g: number): string => {
  const cols = Array.from({ length: g }, (_, c) => c)
  const row = (c: number): string => (c === 0 ? "(local.get $m)" : `(local.get $v${c})`)
  const stores: Array<string> = []
  for (let c = 0; c + 4 <= g; c += 4) {
    stores.push(`(v128.store offset=${4 * c} (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) ${hsum4(`$a${c}`, `$a${c + 1}`, `$a${c + 2}`, `$a${c + 3}`)})`)
  }
  for (let c = g - (g % 4); c < g; c++) stores.push(`(f32.store offset=${4 * c} (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) ${hsum(`$a${c}`)})`)
  return `
        (local.set $m (i32.add (local.get $vt) (i32.mul (local.get $d) (local.get $sp4))))
        ${cols.slice(1).map((c) => `(local.set $v${c} (i32.add ${row(c - 1)} (local.get $sp4)))`).join(" ")}
        ${cols.map((c) => `(local.set $a${c} ${f4(0)})`).join(" ")}
        ${loop("$j", "(local.get $sp4)", 16, `
          (local.set $e (v128.load (i32.add (local.get $p) (local.get $j))))
          ${cols.map((c) => `(local.set $a${c} (f32x4.add (local.get $a${c}) (f32x4.mul (local.get $e) (v128.load (i32.add ${row(c)} (local.get $j))))))`).join("\n          ")}`)}
        ${stores.join("\n        ")}
        (local.set $d (i32.add (local.get $d) (i32.const ${g})))`
}

/**
 * The P·v pass for min(k − d, {@link PV_COLUMNS}) columns, chosen by a br_table (blocks $g8 … $g1,
 * the case for g columns after block $g<g> ends), each case ending with a branch back to $pvNext.
 */
const pvSwitch = (): string => {
  const sizes = Array.from({ length: PV_COLUMNS }, (_, n) => n + 1)
  const index = `(i32.sub (select (i32.sub (local.get $k) (local.get $d)) (i32.const ${PV_COLUMNS}) (i32.lt_u (i32.sub (local.get $k) (local.get $d)) (i32.const ${PV_COLUMNS}))) (i32.const 1))`
  const opens = [...sizes].reverse().map((g) => `(block $g${g}`).join(" ")
  const cases = sizes.map((g) => `)${pvPass(g)}
        (br $pvNext)`).join("\n")
  return `${opens}
          (br_table ${sizes.map((g) => `$g${g}`).join(" ")} $g${PV_COLUMNS} ${index})
        ${cases}`
}

/** `for (j = 0; j < end; j += step) { body }` over an i32 local. */
const loop = (j: string, end: string, step: number, body: string): string => `
    (local.set ${j} (i32.const 0))
    (block (loop
      (br_if 1 (i32.ge_u (local.get ${j}) ${end}))
      ${body}
      (local.set ${j} (i32.add (local.get ${j}) (i32.const ${step})))
      (br 0)))`

export const HYPERLAYER_WAT = `
  (func $exp4 (param $x v128) (result v128)
    (local $fx v128) (local $z v128) (local $y v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87.3365478515625 -87.3365478515625 -87.3365478515625 -87.3365478515625))
      (v128.const f32x4 88.3762626647949 88.3762626647949 88.3762626647949 88.3762626647949)))
    (local.set $fx (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
      (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $x (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
      (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $x)) (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $y)
      (i32x4.shl (f32x4.add (local.get $fx) (v128.const f32x4 8388735 8388735 8388735 8388735)) (i32.const 23))))

  ;; out[b, r, c] = x[b, r, c] + bias[b, c] (rows × cols per b, row-major)
  (func $addBias (export "addBias") (param $x i32) (param $out i32) (param $bias i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $c4 i32) (local $bb i32)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (block $dB (loop $lB
      (br_if $dB (i32.eqz (local.get $batch)))
      (local.set $r (local.get $rows))
      (block $dR (loop $lR
        (br_if $dR (i32.eqz (local.get $r)))
        (local.set $bb (local.get $bias))
        (local.set $c (i32.const 0))
        (block $d4 (loop $l4
          (br_if $d4 (i32.ge_u (local.get $c) (local.get $c4)))
          (v128.store (local.get $out) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bb))))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $bb (i32.add (local.get $bb) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $l4)))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $c) (local.get $cols)))
          (f32.store (local.get $out) (f32.add (f32.load (local.get $x)) (f32.load (local.get $bb))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $bb (i32.add (local.get $bb) (i32.const 4)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $l1)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $lR)))
      (local.set $bias (i32.add (local.get $bias) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $lB))))

  ;; out[b, c] = Σ_r x[b, r, c], the rows in order
  (func $colSums (export "colSums") (param $x i32) (param $out i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $c4 i32) (local $o i32)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (block $dB (loop $lB
      (br_if $dB (i32.eqz (local.get $batch)))
      (local.set $o (local.get $out))
      (local.set $c (i32.const 0))
      (block $dz (loop $lz
        (br_if $dz (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store (local.get $o) (f32.const 0))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lz)))
      (local.set $r (local.get $rows))
      (block $dR (loop $lR
        (br_if $dR (i32.eqz (local.get $r)))
        (local.set $o (local.get $out))
        (local.set $c (i32.const 0))
        (block $d4 (loop $l4
          (br_if $d4 (i32.ge_u (local.get $c) (local.get $c4)))
          (v128.store (local.get $o) (f32x4.add (v128.load (local.get $o)) (v128.load (local.get $x))))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $l4)))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $c) (local.get $cols)))
          (f32.store (local.get $o) (f32.add (f32.load (local.get $o)) (f32.load (local.get $x))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $l1)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $lR)))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $lB))))

  ;; σ(x) = 1/(1 + exp(−x)) of four values
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x))))))

  ;; fill n floats at p with v
  (func $fill (param $p i32) (param $n i32) (param $v f32)
    (local $e i32) (local $e4 i32) (local $vv v128)
    (local.set $vv (f32x4.splat (local.get $v)))
    (local.set $e (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $e4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $p) (local.get $e4)))
      (v128.store (local.get $p) (local.get $vv))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l4)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $p) (local.get $e)))
      (f32.store (local.get $p) (local.get $v))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l1))))

  ;; the first cnt (1–4) floats at p, zeros after
  (func $loadLanes (param $p i32) (param $cnt i32) (result v128)
    (local $v v128)
    (if (i32.ge_u (local.get $cnt) (i32.const 4)) (then (return (v128.load (local.get $p)))))
    (local.set $v (f32x4.replace_lane 0 (v128.const f32x4 0 0 0 0) (f32.load (local.get $p))))
    (if (i32.ge_u (local.get $cnt) (i32.const 2)) (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $p))))))
    (if (i32.ge_u (local.get $cnt) (i32.const 3)) (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $p))))))
    (local.get $v))

  ;; A KL channel of one generation over its E edges, L latents: μ, ρ of q at yq (side 0), of p at
  ;; yp (side S − 1), rows ys4 bytes apart; ε (E × L) at eps. σ = softplus(ρ) + 1e−3. With both
  ;; sides, z = μq + σq·ε to hq and hp (rows hs4 bytes apart) and returns Σ KL(q‖p) =
  ;; Σ ½·(max(spread(t), 0) + u²), spread(t) = expm1(t) − t, t = 2·log(σq/σp), u = (μq − μp)/σp;
  ;; decoder-only (sides 1), z = μp + σp·ε to hq and returns 0.
  (func $klFwd (export "klFwd") (param $yq i32) (param $yp i32) (param $eps i32) (param $hq i32) (param $hp i32)
    (param $E i32) (param $L i32) (param $ys4 i32) (param $hs4 i32) (param $sides i32) (result f32)
    (local $c i32) (local $cnt i32) (local $o i32) (local $oL i32) (local $acc v128)
    (local $muP v128) (local $sP v128) (local $muQ v128) (local $sQ v128) (local $z v128) (local $t v128) (local $u v128) (local $ep v128) (local $r v128)
    ${mathLocals}
    (block $dE (loop $lE
      (br_if $dE (i32.eqz (local.get $E)))
      (local.set $c (i32.const 0))
      (block $dC (loop $lC
        (br_if $dC (i32.ge_u (local.get $c) (local.get $L)))
        (local.set $cnt (i32.sub (local.get $L) (local.get $c)))
        (local.set $o (i32.shl (local.get $c) (i32.const 2)))
        (local.set $oL (i32.shl (i32.add (local.get $c) (local.get $L)) (i32.const 2)))
        (local.set $ep ${loadN("(i32.add (local.get $eps) (local.get $o))")})
        (local.set $muP ${loadN("(i32.add (local.get $yp) (local.get $o))")})
        (local.set $r ${loadN("(i32.add (local.get $yp) (local.get $oL))")})
        ${softplus4("$sP", "(local.get $r)")}
        (local.set $sP (f32x4.add (local.get $sP) ${f4("1e-3")}))
        (if (i32.eq (local.get $sides) (i32.const 1))
          (then
            ${storeN("(i32.add (local.get $hq) (local.get $o))", "(f32x4.add (local.get $muP) (f32x4.mul (local.get $sP) (local.get $ep)))")})
          (else
            (local.set $muQ ${loadN("(i32.add (local.get $yq) (local.get $o))")})
            (local.set $r ${loadN("(i32.add (local.get $yq) (local.get $oL))")})
            ${softplus4("$sQ", "(local.get $r)")}
            (local.set $sQ (f32x4.add (local.get $sQ) ${f4("1e-3")}))
            (local.set $z (f32x4.add (local.get $muQ) (f32x4.mul (local.get $sQ) (local.get $ep))))
            ${storeN("(i32.add (local.get $hq) (local.get $o))", "(local.get $z)")}
            ${storeN("(i32.add (local.get $hp) (local.get $o))", "(local.get $z)")}
            ${log4("$t", "(f32x4.div (local.get $sQ) (local.get $sP))")}
            (local.set $t (f32x4.mul ${f4(2)} (local.get $t)))
            ${spread4("$r", "(local.get $t)")}
            (local.set $u (f32x4.div (f32x4.sub (local.get $muQ) (local.get $muP)) (local.get $sP)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul ${f4(0.5)}
              (f32x4.add (f32x4.pmax (local.get $r) ${f4(0)}) (f32x4.mul (local.get $u) (local.get $u))))))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $lC)))
      (local.set $yq (i32.add (local.get $yq) (local.get $ys4)))
      (local.set $yp (i32.add (local.get $yp) (local.get $ys4)))
      (local.set $hq (i32.add (local.get $hq) (local.get $hs4)))
      (local.set $hp (i32.add (local.get $hp) (local.get $hs4)))
      (local.set $eps (i32.add (local.get $eps) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $E (i32.sub (local.get $E) (i32.const 1)))
      (br $lE)))
    ${hsum("$acc")})

  ;; The gradient of klFwd for one generation: the samples' gradient (dh at dhq and dhp, both sides
  ;; summed) and the KL's (g) into dy (laid out as y) at the μ and ρ columns of each side:
  ;; dμq = dz + g·u/σp, dρq = (dz·ε + g·m/σq)·sigmoid(ρq), dμp = −g·u/σp,
  ;; dρp = −g·(m + u²)/σp·sigmoid(ρp), with m = expm1(t) where spread(t) > 0, else 0;
  ;; decoder-only dμp = dz, dρp = dz·ε·sigmoid(ρp).
  (func $klBwd (export "klBwd") (param $yq i32) (param $yp i32) (param $eps i32) (param $dhq i32) (param $dhp i32) (param $dyq i32) (param $dyp i32)
    (param $E i32) (param $L i32) (param $ys4 i32) (param $hs4 i32) (param $sides i32) (param $g f32)
    (local $c i32) (local $cnt i32) (local $o i32) (local $oL i32) (local $gv v128)
    (local $muP v128) (local $rP v128) (local $sP v128) (local $muQ v128) (local $rQ v128) (local $sQ v128)
    (local $t v128) (local $u v128) (local $ep v128) (local $dz v128) (local $sp v128) (local $m v128) (local $gu v128) (local $sg v128)
    ${mathLocals}
    (local.set $gv (f32x4.splat (local.get $g)))
    (block $dE (loop $lE
      (br_if $dE (i32.eqz (local.get $E)))
      (local.set $c (i32.const 0))
      (block $dC (loop $lC
        (br_if $dC (i32.ge_u (local.get $c) (local.get $L)))
        (local.set $cnt (i32.sub (local.get $L) (local.get $c)))
        (local.set $o (i32.shl (local.get $c) (i32.const 2)))
        (local.set $oL (i32.shl (i32.add (local.get $c) (local.get $L)) (i32.const 2)))
        (local.set $ep ${loadN("(i32.add (local.get $eps) (local.get $o))")})
        (local.set $rP ${loadN("(i32.add (local.get $yp) (local.get $oL))")})
        (if (i32.eq (local.get $sides) (i32.const 1))
          (then
            (local.set $dz ${loadN("(i32.add (local.get $dhq) (local.get $o))")})
            ${storeN("(i32.add (local.get $dyq) (local.get $o))", "(local.get $dz)")}
            ${sigmoid4("$sg", "(local.get $rP)")}
            ${storeN("(i32.add (local.get $dyq) (local.get $oL))", "(f32x4.mul (f32x4.mul (local.get $dz) (local.get $ep)) (local.get $sg))")})
          (else
            ${softplus4("$sP", "(local.get $rP)")}
            (local.set $sP (f32x4.add (local.get $sP) ${f4("1e-3")}))
            (local.set $dz (f32x4.add ${loadN("(i32.add (local.get $dhq) (local.get $o))")} ${loadN("(i32.add (local.get $dhp) (local.get $o))")}))
            (local.set $muP ${loadN("(i32.add (local.get $yp) (local.get $o))")})
            (local.set $muQ ${loadN("(i32.add (local.get $yq) (local.get $o))")})
            (local.set $rQ ${loadN("(i32.add (local.get $yq) (local.get $oL))")})
            ${softplus4("$sQ", "(local.get $rQ)")}
            (local.set $sQ (f32x4.add (local.get $sQ) ${f4("1e-3")}))
            ${log4("$t", "(f32x4.div (local.get $sQ) (local.get $sP))")}
            (local.set $t (f32x4.mul ${f4(2)} (local.get $t)))
            ${spread4("$sp", "(local.get $t)")}
            ;; expm1(t) = spread + t, where the spread is positive
            (local.set $m (v128.and (f32x4.add (local.get $sp) (local.get $t)) (f32x4.gt (local.get $sp) ${f4(0)})))
            (local.set $u (f32x4.div (f32x4.sub (local.get $muQ) (local.get $muP)) (local.get $sP)))
            (local.set $gu (f32x4.div (f32x4.mul (local.get $gv) (local.get $u)) (local.get $sP)))
            ${storeN("(i32.add (local.get $dyq) (local.get $o))", "(f32x4.add (local.get $dz) (local.get $gu))")}
            ${sigmoid4("$sg", "(local.get $rQ)")}
            ${storeN("(i32.add (local.get $dyq) (local.get $oL))",
              "(f32x4.mul (f32x4.add (f32x4.mul (local.get $dz) (local.get $ep)) (f32x4.div (f32x4.mul (local.get $gv) (local.get $m)) (local.get $sQ))) (local.get $sg))")}
            ${storeN("(i32.add (local.get $dyp) (local.get $o))", "(f32x4.neg (local.get $gu))")}
            ${sigmoid4("$sg", "(local.get $rP)")}
            ${storeN("(i32.add (local.get $dyp) (local.get $oL))",
              "(f32x4.neg (f32x4.mul (f32x4.div (f32x4.mul (local.get $gv) (f32x4.add (local.get $m) (f32x4.mul (local.get $u) (local.get $u)))) (local.get $sP)) (local.get $sg)))")}))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $lC)))
      (local.set $yq (i32.add (local.get $yq) (local.get $ys4)))
      (local.set $yp (i32.add (local.get $yp) (local.get $ys4)))
      (local.set $dyq (i32.add (local.get $dyq) (local.get $ys4)))
      (local.set $dyp (i32.add (local.get $dyp) (local.get $ys4)))
      (local.set $dhq (i32.add (local.get $dhq) (local.get $hs4)))
      (local.set $dhp (i32.add (local.get $dhp) (local.get $hs4)))
      (local.set $eps (i32.add (local.get $eps) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $E (i32.sub (local.get $E) (i32.const 1)))
      (br $lE))))

  ;; swish on rows of w values: out = x·σ(x), σ kept (rows × w, row-major); x and out rows xs4
  ;; and os4 bytes apart
  (func $swish (export "swish") (param $x i32) (param $xs4 i32) (param $out i32) (param $os4 i32) (param $sig i32) (param $rows i32) (param $w i32)
    (local $c i32) (local $w16 i32) (local $v v128) (local $s v128) ${expLocals}
    (local.set $w16 (i32.shl (i32.and (local.get $w) (i32.const -4)) (i32.const 2)))
    (block $dR (loop $lR
      (br_if $dR (i32.eqz (local.get $rows)))
      ${loop("$c", "(local.get $w16)", 16, `
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $c))))
        ${exp4("$s", "(f32x4.neg (local.get $v))")}
        (local.set $s (f32x4.div ${f4(1)} (f32x4.add ${f4(1)} (local.get $s))))
        (v128.store (local.get $sig) (local.get $s))
        (v128.store (i32.add (local.get $out) (local.get $c)) (f32x4.mul (local.get $v) (local.get $s)))
        (local.set $sig (i32.add (local.get $sig) (i32.const 16)))`)}
      (local.set $c (local.get $w16))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (i32.shl (local.get $w) (i32.const 2))))
        (local.set $v (v128.load32_splat (i32.add (local.get $x) (local.get $c))))
        (local.set $s (call $sigmoid4 (local.get $v)))
        (f32.store (local.get $sig) (f32x4.extract_lane 0 (local.get $s)))
        (f32.store (i32.add (local.get $out) (local.get $c)) (f32x4.extract_lane 0 (f32x4.mul (local.get $v) (local.get $s))))
        (local.set $sig (i32.add (local.get $sig) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $l1)))
      (local.set $x (i32.add (local.get $x) (local.get $xs4)))
      (local.set $out (i32.add (local.get $out) (local.get $os4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $lR))))

  ;; the gradient of swish: dx = dh·σ + (dh·x)·(σ·(1 − σ)), as TensorFlow.js sums the gradients of
  ;; x·σ(x); x, dh and dx rows xs4, ds4 and es4 bytes apart, σ as swish kept it
  (func $swishGrad (export "swishGrad") (param $x i32) (param $xs4 i32) (param $sig i32) (param $dh i32) (param $ds4 i32) (param $dx i32) (param $es4 i32) (param $rows i32) (param $w i32)
    (local $c i32) (local $w4 i32) (local $v v128) (local $s v128) (local $g v128)
    (local.set $w4 (i32.shl (local.get $w) (i32.const 2)))
    (block $dR (loop $lR
      (br_if $dR (i32.eqz (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $w4)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $c))))
        (local.set $s (v128.load (local.get $sig)))
        (local.set $g (v128.load (i32.add (local.get $dh) (local.get $c))))
        (v128.store (i32.add (local.get $dx) (local.get $c)) (f32x4.add (f32x4.mul (local.get $g) (local.get $s))
          (f32x4.mul (f32x4.mul (local.get $g) (local.get $v)) (f32x4.mul (local.get $s) (f32x4.sub ${f4(1)} (local.get $s))))))
        (local.set $sig (i32.add (local.get $sig) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $l4)))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c) (local.get $w4)))
        (local.set $v (v128.load32_splat (i32.add (local.get $x) (local.get $c))))
        (local.set $s (v128.load32_splat (local.get $sig)))
        (local.set $g (v128.load32_splat (i32.add (local.get $dh) (local.get $c))))
        (f32.store (i32.add (local.get $dx) (local.get $c)) (f32x4.extract_lane 0 (f32x4.add (f32x4.mul (local.get $g) (local.get $s))
          (f32x4.mul (f32x4.mul (local.get $g) (local.get $v)) (f32x4.mul (local.get $s) (f32x4.sub ${f4(1)} (local.get $s)))))))
        (local.set $sig (i32.add (local.get $sig) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $l1)))
      (local.set $x (i32.add (local.get $x) (local.get $xs4)))
      (local.set $dh (i32.add (local.get $dh) (local.get $ds4)))
      (local.set $dx (i32.add (local.get $dx) (local.get $es4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $lR))))

  ;; Gather one pool's members from y: member m's (q, key, v) at y + 4·i32[idx + 4m], k values
  ;; each (key at +k, value at +2k); q times scale to q [s, k], key and value transposed to kt and
  ;; vt [k, sp] (columns s … sp − 1 zero).
  (func $gather (param $y i32) (param $idx i32) (param $s i32) (param $k i32) (param $sp i32) (param $q i32) (param $kt i32) (param $vt i32) (param $scale f32)
    (local $m i32) (local $d i32) (local $src i32) (local $sp4 i32) (local $col i32)
    (call $fill (local.get $kt) (i32.mul (local.get $k) (local.get $sp)) (f32.const 0))
    (call $fill (local.get $vt) (i32.mul (local.get $k) (local.get $sp)) (f32.const 0))
    (local.set $sp4 (i32.shl (local.get $sp) (i32.const 2)))
    (block $dM (loop $lM
      (br_if $dM (i32.ge_u (local.get $m) (local.get $s)))
      (local.set $src (i32.add (local.get $y) (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $m) (i32.const 2)))) (i32.const 2))))
      (local.set $col (i32.shl (local.get $m) (i32.const 2)))
      (local.set $d (i32.const 0))
      (block $dD (loop $lD
        (br_if $dD (i32.ge_u (local.get $d) (local.get $k)))
        (f32.store (local.get $q) (f32.mul (f32.load (local.get $src)) (local.get $scale)))
        (f32.store (i32.add (local.get $kt) (local.get $col)) (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))))
        (f32.store (i32.add (local.get $vt) (local.get $col)) (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $col (i32.add (local.get $col) (local.get $sp4)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $lD)))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $lM))))

  ;; Softmax attention within one pool of s members (key width k, scale = 1/√k): scores
  ;; (scale·q)·keyᵀ, softmax along each row (exp(score − max) times 1/Σ) (P, s rows of sp values, zero past s, to p), P·v to
  ;; h + 4·i32[hIdx + 4m] for member m. sp is s rounded up to a multiple of 4.
  ;; scratch: q [s, k] | kt [k, sp] | vt [k, sp]
  (func $attnFwd (export "attnFwd") (param $y i32) (param $yIdx i32) (param $h i32) (param $hIdx i32) (param $s i32) (param $k i32) (param $scale f32) (param $p i32) (param $scratch i32)
    (local $sp i32) (local $sp4 i32) (local $last i32) (local $q i32) (local $kt i32) (local $vt i32)
    (local $i i32) (local $j i32) (local $d i32) (local $m i32) (local $qrow i32) (local $out i32)
    (local $acc v128) (local $mv v128) (local $sv v128) (local $mask v128) (local $e v128) ${expLocals}
    ${Array.from({ length: PV_COLUMNS }, (_, c) => `(local $a${c} v128)`).join(" ")} ${Array.from({ length: PV_COLUMNS - 1 }, (_, c) => `(local $v${c + 1} i32)`).join(" ")} (local $h0 v128) (local $h1 v128)
    (local.set $sp (i32.and (i32.add (local.get $s) (i32.const 3)) (i32.const -4)))
    (local.set $sp4 (i32.shl (local.get $sp) (i32.const 2)))
    (local.set $last (i32.sub (local.get $sp4) (i32.const 16)))
    ;; the lanes of the last vector that hold members
    (local.set $mask (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (i32.add (local.get $s) (i32.const 4)) (local.get $sp)))))
    (local.set $q (local.get $scratch))
    (local.set $kt (i32.add (local.get $q) (i32.shl (i32.mul (local.get $s) (local.get $k)) (i32.const 2))))
    (local.set $vt (i32.add (local.get $kt) (i32.mul (local.get $sp4) (local.get $k))))
    (call $gather (local.get $y) (local.get $yIdx) (local.get $s) (local.get $k) (local.get $sp) (local.get $q) (local.get $kt) (local.get $vt) (local.get $scale))
    ${loop("$i", "(local.get $s)", 1, `
      (local.set $qrow (i32.add (local.get $q) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      ;; the row's scores (past s: −∞) and their maximum
      (local.set $mv ${f4("-inf")})
      ${loop("$j", "(local.get $sp4)", 16, `
        (local.set $acc ${f4(0)})
        (local.set $m (i32.add (local.get $kt) (local.get $j)))
        ${loop("$d", "(local.get $k)", 1, `
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (i32.add (local.get $qrow) (i32.shl (local.get $d) (i32.const 2)))) (v128.load (local.get $m)))))
          (local.set $m (i32.add (local.get $m) (local.get $sp4)))`)}
        (if (i32.eq (local.get $j) (local.get $last)) (then (local.set $acc (v128.bitselect (local.get $acc) ${f4("-inf")} (local.get $mask)))))
        (v128.store (i32.add (local.get $p) (local.get $j)) (local.get $acc))
        (local.set $mv (f32x4.pmax (local.get $mv) (local.get $acc)))`)}
      ;; the lanes' maximum in every lane (pmax: see exp4's note; a −0 for +0 here changes no exp(score − max))
      (local.set $mv (f32x4.pmax (local.get $mv) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mv) (local.get $mv))))
      (local.set $mv (f32x4.pmax (local.get $mv) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $mv) (local.get $mv))))
      ;; exp(score − max) (zero past s) and their sum
      (local.set $sv ${f4(0)})
      ${loop("$j", "(local.get $sp4)", 16, `
        ${exp4("$e", "(f32x4.sub (v128.load (i32.add (local.get $p) (local.get $j))) (local.get $mv))")}
        (if (i32.eq (local.get $j) (local.get $last)) (then (local.set $e (v128.and (local.get $e) (local.get $mask)))))
        (v128.store (i32.add (local.get $p) (local.get $j)) (local.get $e))
        (local.set $sv (f32x4.add (local.get $sv) (local.get $e)))`)}
      ;; P = e·(1/Σ e), kept
      (local.set $sv (f32x4.splat (f32.div (f32.const 1) ${hsum("$sv")})))
      ${loop("$j", "(local.get $sp4)", 16, `
        (v128.store (i32.add (local.get $p) (local.get $j)) (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $j))) (local.get $sv)))`)}
      ;; P·v to the member's output, up to ${PV_COLUMNS} columns a pass (each column's sum in the order of a pass of its own)
      (local.set $out (i32.add (local.get $h) (i32.shl (i32.load (i32.add (local.get $hIdx) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
      (local.set $d (i32.const 0))
      (block $pvDone (loop $pvNext
        (br_if $pvDone (i32.ge_u (local.get $d) (local.get $k)))
        ${pvSwitch()}))
      (local.set $p (i32.add (local.get $p) (local.get $sp4)))`)})

  ;; The gradient of attnFwd for one pool: dh (the outputs' gradient, laid out as h) and P (as
  ;; attnFwd kept it) → the gradient of the members' (q, key, v) in dy, laid out as y.
  ;; scratch: q [s, k] | kt [k, sp] | vt [k, sp] | do [s, k] | dq [s, k] | dkt [k, sp] | dvt [k, sp] | t [sp]
  (func $attnBwd (export "attnBwd") (param $y i32) (param $yIdx i32) (param $dh i32) (param $hIdx i32) (param $dy i32) (param $s i32) (param $k i32) (param $scale f32) (param $p i32) (param $scratch i32)
    (local $sp i32) (local $sp4 i32) (local $ks i32) (local $q i32) (local $kt i32) (local $vt i32) (local $do i32) (local $dq i32) (local $dkt i32) (local $dvt i32) (local $t i32)
    (local $i i32) (local $j i32) (local $d i32) (local $m i32) (local $n i32) (local $row i32) (local $src i32) (local $col i32)
    (local $acc v128) (local $g v128) (local $dv v128) (local $tv v128) (local $sc v128)
    (local.set $sp (i32.and (i32.add (local.get $s) (i32.const 3)) (i32.const -4)))
    (local.set $sp4 (i32.shl (local.get $sp) (i32.const 2)))
    (local.set $ks (i32.mul (local.get $sp4) (local.get $k)))
    (local.set $q (local.get $scratch))
    (local.set $kt (i32.add (local.get $q) (i32.shl (i32.mul (local.get $s) (local.get $k)) (i32.const 2))))
    (local.set $vt (i32.add (local.get $kt) (local.get $ks)))
    (local.set $do (i32.add (local.get $vt) (local.get $ks)))
    (local.set $dq (i32.add (local.get $do) (i32.shl (i32.mul (local.get $s) (local.get $k)) (i32.const 2))))
    (local.set $dkt (i32.add (local.get $dq) (i32.shl (i32.mul (local.get $s) (local.get $k)) (i32.const 2))))
    (local.set $dvt (i32.add (local.get $dkt) (local.get $ks)))
    (local.set $t (i32.add (local.get $dvt) (local.get $ks)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (call $gather (local.get $y) (local.get $yIdx) (local.get $s) (local.get $k) (local.get $sp) (local.get $q) (local.get $kt) (local.get $vt) (f32.const 1))
    (call $fill (local.get $dkt) (i32.mul (local.get $k) (local.get $sp)) (f32.const 0))
    (call $fill (local.get $dvt) (i32.mul (local.get $k) (local.get $sp)) (f32.const 0))
    ;; the outputs' gradient, gathered [s, k]
    ${loop("$i", "(local.get $s)", 1, `
      (local.set $src (i32.add (local.get $dh) (i32.shl (i32.load (i32.add (local.get $hIdx) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
      (local.set $row (i32.add (local.get $do) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      ${loop("$d", "(local.get $k)", 1, `
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $d) (i32.const 2))) (f32.load (i32.add (local.get $src) (i32.shl (local.get $d) (i32.const 2)))))`)}`)}
    ${loop("$i", "(local.get $s)", 1, `
      (local.set $row (i32.add (local.get $do) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      ;; dV += P[i, ·]ᵀ·dO[i, ·]
      (local.set $m (local.get $dvt))
      ${loop("$d", "(local.get $k)", 1, `
        (local.set $g (v128.load32_splat (i32.add (local.get $row) (i32.shl (local.get $d) (i32.const 2)))))
        ${loop("$j", "(local.get $sp4)", 16, `
          (v128.store (i32.add (local.get $m) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $m) (local.get $j)))
            (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $p) (local.get $j))))))`)}
        (local.set $m (i32.add (local.get $m) (local.get $sp4)))`)}
      ;; t = dP[i, ·] = dO[i, ·]·Vᵀ, and Σ t·P
      (local.set $dv ${f4(0)})
      ${loop("$j", "(local.get $sp4)", 16, `
        (local.set $acc ${f4(0)})
        (local.set $m (i32.add (local.get $vt) (local.get $j)))
        ${loop("$d", "(local.get $k)", 1, `
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (i32.add (local.get $row) (i32.shl (local.get $d) (i32.const 2)))) (v128.load (local.get $m)))))
          (local.set $m (i32.add (local.get $m) (local.get $sp4)))`)}
        (v128.store (i32.add (local.get $t) (local.get $j)) (local.get $acc))
        (local.set $dv (f32x4.add (local.get $dv) (f32x4.mul (local.get $acc) (v128.load (i32.add (local.get $p) (local.get $j))))))`)}
      (local.set $dv (f32x4.splat ${hsum("$dv")}))
      ;; the softmax's gradient t = P·(t − Σ t·P), times the scale
      ${loop("$j", "(local.get $sp4)", 16, `
        (v128.store (i32.add (local.get $t) (local.get $j))
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $j))) (f32x4.sub (v128.load (i32.add (local.get $t) (local.get $j))) (local.get $dv))) (local.get $sc)))`)}
      ;; dQ[i, d] = t·key[·, d]; dKey[·, d] += t·q[i, d]
      (local.set $m (local.get $kt))
      (local.set $n (local.get $dkt))
      ${loop("$d", "(local.get $k)", 1, `
        (local.set $acc ${f4(0)})
        (local.set $g (v128.load32_splat (i32.add (local.get $q) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $d)) (i32.const 2)))))
        ${loop("$j", "(local.get $sp4)", 16, `
          (local.set $tv (v128.load (i32.add (local.get $t) (local.get $j))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $tv) (v128.load (i32.add (local.get $m) (local.get $j))))))
          (v128.store (i32.add (local.get $n) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $n) (local.get $j))) (f32x4.mul (local.get $g) (local.get $tv))))`)}
        (f32.store (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $d)) (i32.const 2))) ${hsum("$acc")})
        (local.set $m (i32.add (local.get $m) (local.get $sp4)))
        (local.set $n (i32.add (local.get $n) (local.get $sp4)))`)}
      (local.set $p (i32.add (local.get $p) (local.get $sp4)))`)}
    ;; scatter into dy
    ${loop("$i", "(local.get $s)", 1, `
      (local.set $src (i32.add (local.get $dy) (i32.shl (i32.load (i32.add (local.get $yIdx) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
      (local.set $col (i32.shl (local.get $i) (i32.const 2)))
      ${loop("$d", "(local.get $k)", 1, `
        (f32.store (local.get $src) (f32.load (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $d)) (i32.const 2)))))
        (f32.store (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))) (f32.load (i32.add (local.get $dkt) (local.get $col))))
        (f32.store (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 3))) (f32.load (i32.add (local.get $dvt) (local.get $col))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $col (i32.add (local.get $col) (local.get $sp4)))`)}`)})
`
