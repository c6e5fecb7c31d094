/**
 * Direct (no im2col) stride-1 convolution for layers with fewer than four output channels,
 * such as an autoencoder's last conv to one channel. There the packed GEMM would pad the
 * output channels to a panel of four and spend as long packing im2col as multiplying.
 */
import type { ConvGeometry } from './conv-geometry.js';

/** Forward: `y[m, co] = sum over taps and ci of x * filter`, fully overwriting `y`. */
export function directConvForward(x: Float32Array, filter: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const { batch, inH, inW, inC, outH, outW, outC, fh, fw, padTop, padLeft } = g;
  let m = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, m++) {
        for (let co = 0; co < outC; co++) {
          let acc = 0;
          for (let fy = 0; fy < fh; fy++) {
            const iy = oy - padTop + fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < fw; fx++) {
              const ix = ox - padLeft + fx;
              if (ix < 0 || ix >= inW) continue;
              const src = ((b * inH + iy) * inW + ix) * inC;
              let w = (fy * fw + fx) * inC * outC + co;
              for (let ci = 0; ci < inC; ci++, w += outC) acc += x[src + ci]! * filter[w]!;
            }
          }
          y[m * outC + co] = acc;
        }
      }
    }
  }
}

/** Filter gradient: `dW[tap, ci, co] = sum over pixels of x * dy`, as a new array. */
export function directConvFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const { batch, inH, inW, inC, outH, outW, outC, fh, fw, padTop, padLeft } = g;
  // Float64 accumulators: one sum runs over every pixel of the batch.
  const acc = new Float64Array(fh * fw * inC * outC);
  let m = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, m++) {
        for (let co = 0; co < outC; co++) {
          const d = dy[m * outC + co]!;
          if (d === 0) continue;
          for (let fy = 0; fy < fh; fy++) {
            const iy = oy - padTop + fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < fw; fx++) {
              const ix = ox - padLeft + fx;
              if (ix < 0 || ix >= inW) continue;
              const src = ((b * inH + iy) * inW + ix) * inC;
              let w = (fy * fw + fx) * inC * outC + co;
              for (let ci = 0; ci < inC; ci++, w += outC) acc[w] = acc[w]! + x[src + ci]! * d;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}
