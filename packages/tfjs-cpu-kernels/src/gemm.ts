/**
 * Register-blocked matrix product over packed panels, the one inner loop every convolution
 * kernel of this package runs.
 *
 * It computes `C[p, q] (+)= sum_s A[s, p] * B[s, q]` where A and B are stored as panels of
 * four: `ap[((p >> 2) * S + s) * 4 + (p & 3)]` and `bp[((q >> 2) * S + s) * 4 + (q & 3)]`.
 * Both operands are then read strictly sequentially in the inner loop, and a 4x4 block of C
 * lives in sixteen locals for the whole reduction (V8 keeps them in registers). Lanes of the
 * last panel beyond P or Q may hold anything: they only feed outputs that are never written.
 */

/** Number of rows (and columns) of one panel. */
export const PANEL = 4;

/** Length of a packed operand with `rows` reduction steps and `cols` columns. */
export function packedLength(rows: number, cols: number): number {
  return rows * Math.ceil(cols / PANEL) * PANEL;
}

/**
 * `C[cOffset + p * ldc + q] = sum_s A[s, p] * B[s, q]` (or `+=` when `accumulate`), for
 * `p < P`, `q < Q`, with A and B packed as described in the module comment.
 */
export function gemmPacked(
  ap: Float32Array,
  bp: Float32Array,
  S: number,
  P: number,
  Q: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  accumulate: boolean,
): void {
  const panelStride = S * PANEL;
  for (let q0 = 0; q0 < Q; q0 += PANEL) {
    const bBase = (q0 >> 2) * panelStride;
    const qn = Math.min(PANEL, Q - q0);
    for (let p0 = 0; p0 < P; p0 += PANEL) {
      const aBase = (p0 >> 2) * panelStride;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let ai = aBase;
      let bi = bBase;
      const aEnd = aBase + panelStride;
      while (ai < aEnd) {
        const a0 = ap[ai]!, a1 = ap[ai + 1]!, a2 = ap[ai + 2]!, a3 = ap[ai + 3]!;
        const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!, b3 = bp[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        ai += 4;
        bi += 4;
      }
      const pn = Math.min(PANEL, P - p0);
      const row0 = cOffset + p0 * ldc + q0;
      if (pn === PANEL && qn === PANEL) {
        store4(c, row0, c00, c01, c02, c03, accumulate);
        store4(c, row0 + ldc, c10, c11, c12, c13, accumulate);
        store4(c, row0 + 2 * ldc, c20, c21, c22, c23, accumulate);
        store4(c, row0 + 3 * ldc, c30, c31, c32, c33, accumulate);
      } else {
        storePartial(c, row0, qn, c00, c01, c02, c03, accumulate);
        if (pn > 1) storePartial(c, row0 + ldc, qn, c10, c11, c12, c13, accumulate);
        if (pn > 2) storePartial(c, row0 + 2 * ldc, qn, c20, c21, c22, c23, accumulate);
        if (pn > 3) storePartial(c, row0 + 3 * ldc, qn, c30, c31, c32, c33, accumulate);
      }
    }
  }
}

function store4(c: Float32Array, i: number, v0: number, v1: number, v2: number, v3: number, acc: boolean): void {
  if (acc) {
    c[i] = c[i]! + v0; c[i + 1] = c[i + 1]! + v1; c[i + 2] = c[i + 2]! + v2; c[i + 3] = c[i + 3]! + v3;
  } else {
    c[i] = v0; c[i + 1] = v1; c[i + 2] = v2; c[i + 3] = v3;
  }
}

function storePartial(
  c: Float32Array, i: number, n: number, v0: number, v1: number, v2: number, v3: number, acc: boolean,
): void {
  if (acc) {
    c[i] = c[i]! + v0;
    if (n > 1) c[i + 1] = c[i + 1]! + v1;
    if (n > 2) c[i + 2] = c[i + 2]! + v2;
    if (n > 3) c[i + 3] = c[i + 3]! + v3;
  } else {
    c[i] = v0;
    if (n > 1) c[i + 1] = v1;
    if (n > 2) c[i + 2] = v2;
    if (n > 3) c[i + 3] = v3;
  }
}

/**
 * Packs rows `[s0, s0 + S)` of a row-major matrix `m` (`cols` columns, leading dimension `ld`,
 * starting at `offset`) into panels of four columns: the B operand layout of {@link gemmPacked}.
 */
export function packColumns(
  m: Float32Array,
  offset: number,
  ld: number,
  S: number,
  cols: number,
  out: Float32Array,
): void {
  const panelStride = S * PANEL;
  for (let c0 = 0; c0 < cols; c0 += PANEL) {
    const n = Math.min(PANEL, cols - c0);
    let o = (c0 >> 2) * panelStride;
    let src = offset + c0;
    if (n === PANEL) {
      for (let s = 0; s < S; s++, o += 4, src += ld) {
        out[o] = m[src]!; out[o + 1] = m[src + 1]!; out[o + 2] = m[src + 2]!; out[o + 3] = m[src + 3]!;
      }
    } else {
      for (let s = 0; s < S; s++, o += 4, src += ld) {
        for (let j = 0; j < PANEL; j++) out[o + j] = j < n ? m[src + j]! : 0;
      }
    }
  }
}
