;; The sampling decoder's per-step kernels (trainer/model/decoder.ts), on the memory of the
;; tfjs wasm backend (imported, so tensors are read and written where they lie). Source of
;; trainer/tf/decode-kernels-wasm.ts (npm run build:wasm). Through tfjs each of these took
;; several kernel calls on a few thousand numbers, where a call's fixed cost is the work.
;;
;; attend: one decoding step of multi-head attention, for every (row, head) at once. Per row b and head h,
;; with the new position n and L = n + 1 positions attended:
;;   kᵀ[bh, :, n] ← k,  v[bh, n, :] ← v                          (the KV cache, in place)
;;   sₛ = Σ_d q_d · kᵀ[bh, d, s] + bias[bh, s]                   (q already scaled by 1/√D)
;;   pₛ = exp(sₛ − max s) / Σ exp(s − max s)                     (softmax)
;;   out[b, h·D + d] = Σₛ pₛ · v[bh, s, d]
;; Vaswani et al. 2017, eq. 1. f32x4 SIMD over positions (scores) and over d (output).
(module
  (import "env" "memory" (memory 1))

  ;; e^x for four lanes, x ≤ 0 (softmax's shifted scores): Cephes expf. x = k·ln2 + r with
  ;; |r| ≤ ln2/2 (ln2 split in two for exactness), e^r by its degree-7 polynomial, 2^k built
  ;; in the exponent bits. Lanes below ln(2⁻¹²⁶) = −87.33654 (under f32's normal range, where
  ;; tfjs's exp flushes to 0 too) give exactly 0: the masked columns' −1e9 bias.
  (func $exp4 (param $x v128) (result v128)
    (local $c v128) (local $k v128) (local $r v128) (local $p v128)
    (local.set $c (local.get $x))
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.33654))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; p·r² + r + 1
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (f32x4.splat (f32.const 1.0))))
    ;; · 2^k, k ∈ [−126, 0]: (k + 127) << 23 is 2^k's bit pattern
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))
    (v128.and (local.get $p) (f32x4.ge (local.get $c) (f32x4.splat (f32.const -87.33654)))))

  ;; All pointers are byte offsets into memory. qkv [B, 3·H·D] (queries, keys, values of the
  ;; new position); kT [B·H, D, cap]; v [B·H, cap, D]; bias [B·H, biasStride]; out [B, H·D];
  ;; scratch: room for n + 4 floats. D must be a multiple of 4 and n < cap.
  (func (export "attend")
    (param $qkv i32) (param $kT i32) (param $v i32) (param $bias i32) (param $out i32) (param $scratch i32)
    (param $B i32) (param $H i32) (param $D i32) (param $cap i32) (param $n i32) (param $biasStride i32)
    (local $C i32) (local $L i32) (local $L4 i32) (local $b i32) (local $h i32) (local $bh i32)
    (local $q i32) (local $kTb i32) (local $vb i32) (local $row i32) (local $o i32)
    (local $s i32) (local $d i32) (local $capBytes i32) (local $dBytes i32)
    (local $acc v128) (local $m v128) (local $sum v128) (local $e v128)
    (local $max f32) (local $total f32) (local $a f32)
    (local.set $C (i32.mul (local.get $H) (local.get $D)))
    (local.set $L (i32.add (local.get $n) (i32.const 1)))
    (local.set $L4 (i32.and (local.get $L) (i32.const -4)))
    (local.set $capBytes (i32.shl (local.get $cap) (i32.const 2)))
    (local.set $dBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $h (i32.const 0))
      (block $headsDone (loop $heads
        (br_if $headsDone (i32.ge_u (local.get $h) (local.get $H)))
        (local.set $bh (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $h)))
        ;; q of (b, h): qkv[b, h·D]; its key C floats on, its value 2C
        (local.set $q (i32.add (local.get $qkv)
          (i32.shl (i32.add (i32.mul (local.get $b) (i32.mul (local.get $C) (i32.const 3))) (i32.mul (local.get $h) (local.get $D))) (i32.const 2))))
        (local.set $kTb (i32.add (local.get $kT) (i32.mul (local.get $bh) (i32.mul (local.get $dBytes) (local.get $cap)))))
        (local.set $vb (i32.add (local.get $v) (i32.mul (local.get $bh) (i32.mul (local.get $capBytes) (local.get $D)))))
        (local.set $row (i32.add (local.get $bias) (i32.shl (i32.mul (local.get $bh) (local.get $biasStride)) (i32.const 2))))

        ;; the new position into the cache: kᵀ[bh, d, n] = k_d, v[bh, n, d] = v_d
        (local.set $d (i32.const 0))
        (block $writeKDone (loop $writeK
          (br_if $writeKDone (i32.ge_u (local.get $d) (local.get $D)))
          (f32.store
            (i32.add (local.get $kTb) (i32.add (i32.mul (local.get $d) (local.get $capBytes)) (i32.shl (local.get $n) (i32.const 2))))
            (f32.load (i32.add (local.get $q) (i32.shl (i32.add (local.get $C) (local.get $d)) (i32.const 2)))))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (br $writeK)))
        (local.set $d (i32.const 0))
        (block $writeDone (loop $write
          (br_if $writeDone (i32.ge_u (local.get $d) (local.get $D)))
          (v128.store
            (i32.add (local.get $vb) (i32.add (i32.mul (local.get $n) (local.get $dBytes)) (i32.shl (local.get $d) (i32.const 2))))
            (v128.load (i32.add (local.get $q) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (local.get $d)) (i32.const 2)))))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (br $write)))

        ;; scores, four positions at a time: Σ_d q_d · kᵀ[d, s..s+3], then + bias (tfjs's order:
        ;; a −1e9 mask first would absorb the product)
        (local.set $s (i32.const 0))
        (block $scoresDone (loop $scores
          (br_if $scoresDone (i32.ge_u (local.get $s) (local.get $L4)))
          (local.set $acc (f32x4.splat (f32.const 0)))
          (local.set $d (i32.const 0))
          (block $dotDone (loop $dot
            (br_if $dotDone (i32.ge_u (local.get $d) (local.get $D)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul
                (f32x4.splat (f32.load (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 2)))))
                (v128.load (i32.add (local.get $kTb) (i32.add (i32.mul (local.get $d) (local.get $capBytes)) (i32.shl (local.get $s) (i32.const 2))))))))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (br $dot)))
          (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2)))
            (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 2))))))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (br $scores)))
        ;; the last L mod 4 positions one by one (reading past L could leave the cache)
        (block $tailDone (loop $tail
          (br_if $tailDone (i32.ge_u (local.get $s) (local.get $L)))
          (local.set $a (f32.const 0))
          (local.set $d (i32.const 0))
          (block $tdotDone (loop $tdot
            (br_if $tdotDone (i32.ge_u (local.get $d) (local.get $D)))
            (local.set $a (f32.add (local.get $a)
              (f32.mul
                (f32.load (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 2))))
                (f32.load (i32.add (local.get $kTb) (i32.add (i32.mul (local.get $d) (local.get $capBytes)) (i32.shl (local.get $s) (i32.const 2))))))))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (br $tdot)))
          (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2)))
            (f32.add (local.get $a) (f32.load (i32.add (local.get $row) (i32.shl (local.get $s) (i32.const 2))))))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br $tail)))

        ;; max over the L scores
        (local.set $m (f32x4.splat (f32.const -inf)))
        (local.set $s (i32.const 0))
        (block $maxDone (loop $max4
          (br_if $maxDone (i32.ge_u (local.get $s) (local.get $L4)))
          (local.set $m (f32x4.max (local.get $m) (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2))))))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (br $max4)))
        (local.set $max (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                                 (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        (block $maxTailDone (loop $maxTail
          (br_if $maxTailDone (i32.ge_u (local.get $s) (local.get $L)))
          (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2))))))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br $maxTail)))

        ;; exp(s − max) in place, and its sum
        (local.set $m (f32x4.splat (local.get $max)))
        (local.set $sum (f32x4.splat (f32.const 0)))
        (local.set $s (i32.const 0))
        (block $expDone (loop $exp
          (br_if $expDone (i32.ge_u (local.get $s) (local.get $L4)))
          (local.set $e (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2)))) (local.get $m))))
          (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2))) (local.get $e))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (br $exp)))
        (local.set $total (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
                                   (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
        (block $expTailDone (loop $expTail
          (br_if $expTailDone (i32.ge_u (local.get $s) (local.get $L)))
          (local.set $a (f32x4.extract_lane 0 (call $exp4 (f32x4.splat
            (f32.sub (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2)))) (local.get $max))))))
          (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2))) (local.get $a))
          (local.set $total (f32.add (local.get $total) (local.get $a)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br $expTail)))

        ;; out[b, h·D + d..d+3] = Σₛ pₛ · v[bh, s, d..d+3] / Σ
        (local.set $e (f32x4.splat (f32.div (f32.const 1) (local.get $total))))
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $b) (local.get $C)) (i32.mul (local.get $h) (local.get $D))) (i32.const 2))))
        (local.set $d (i32.const 0))
        (block $outDone (loop $outCols
          (br_if $outDone (i32.ge_u (local.get $d) (local.get $D)))
          (local.set $acc (f32x4.splat (f32.const 0)))
          (local.set $s (i32.const 0))
          (block $mixDone (loop $mix
            (br_if $mixDone (i32.ge_u (local.get $s) (local.get $L)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul
                (f32x4.splat (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $s) (i32.const 2)))))
                (v128.load (i32.add (local.get $vb) (i32.add (i32.mul (local.get $s) (local.get $dBytes)) (i32.shl (local.get $d) (i32.const 2))))))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $mix)))
          (v128.store (i32.add (local.get $o) (i32.shl (local.get $d) (i32.const 2))) (f32x4.mul (local.get $acc) (local.get $e)))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (br $outCols)))

        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $heads)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; GELU, tanh form (Hendrycks & Gimpel 2016; GPT-2's "gelu_new"), n a multiple of 4:
  ;;   gelu(x) = x·σ(2u),  2u = x·(a + b·x²),  a = 2√(2/π),  b = 0.044715·a
  ;; (x·σ(2u) = ½x(1 + tanh u)). σ(t) from e = exp(−|t|) ≤ 1: 1/(1 + e) for t ≥ 0, e/(1 + e) below.
  (func (export "gelu") (param $x i32) (param $out i32) (param $n i32)
    (local $i i32) (local $v v128) (local $t v128) (local $e v128) (local $inv v128)
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $t (f32x4.mul (local.get $v)
        (f32x4.add (f32x4.mul (f32x4.mul (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0.0713548162726)))
                   (f32x4.splat (f32.const 1.5957691216057308)))))
      (local.set $e (call $exp4 (f32x4.neg (f32x4.abs (local.get $t)))))
      (local.set $inv (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (local.get $e))))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32x4.mul (local.get $v)
          (v128.bitselect (local.get $inv) (f32x4.mul (local.get $e) (local.get $inv))
            (f32x4.ge (local.get $t) (f32x4.splat (f32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $each))))

  ;; The residual step and the LayerNorm after it, per row of C numbers (C a multiple of 4):
  ;;   sum = x + y,  norm = (sum − μ)/√(σ² + ε)
  ;; with no gain or shift (the decoder folds them into the next product). y may be 0 (no
  ;; residual: norm of x alone, sum not written).
  (func (export "add_norm") (param $x i32) (param $y i32) (param $sum i32) (param $norm i32) (param $rows i32) (param $C i32) (param $eps f32)
    (local $r i32) (local $c i32) (local $row i32) (local $yrow i32) (local $srow i32) (local $nrow i32)
    (local $v v128) (local $acc v128) (local $m v128) (local $mean f32) (local $var f32)
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
      (local.set $yrow (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
      (local.set $srow (i32.add (local.get $sum) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
      (local.set $nrow (i32.add (local.get $norm) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
      ;; the sum (into sum, or x itself when there is no y), and Σ
      (if (local.get $y) (then) (else (local.set $srow (local.get $row))))
      (local.set $acc (f32x4.splat (f32.const 0)))
      (local.set $c (i32.const 0))
      (block $sumDone (loop $sumLoop
        (br_if $sumDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $v (v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
        (if (local.get $y) (then
          (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $yrow) (i32.shl (local.get $c) (i32.const 2))))))
          (v128.store (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2))) (local.get $v))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $sumLoop)))
      (local.set $mean (f32.div
        (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                 (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))
        (f32.convert_i32_u (local.get $C))))
      ;; σ² = Σ (v − μ)² / C, two-pass as tfjs's moments are
      (local.set $m (f32x4.splat (local.get $mean)))
      (local.set $acc (f32x4.splat (f32.const 0)))
      (local.set $c (i32.const 0))
      (block $varDone (loop $varLoop
        (br_if $varDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $v (f32x4.sub (v128.load (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2)))) (local.get $m)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $varLoop)))
      (local.set $var (f32.div
        (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                 (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))
        (f32.convert_i32_u (local.get $C))))
      (local.set $v (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (f32.add (local.get $var) (local.get $eps))))))
      (local.set $c (i32.const 0))
      (block $normDone (loop $normLoop
        (br_if $normDone (i32.ge_u (local.get $c) (local.get $C)))
        (v128.store (i32.add (local.get $nrow) (i32.shl (local.get $c) (i32.const 2)))
          (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2)))) (local.get $m)) (local.get $v)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $normLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop))))
)
