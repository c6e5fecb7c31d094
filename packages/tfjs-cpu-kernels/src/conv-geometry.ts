/** Geometry shared by the convolution routines. */

/** Shape of one stride-1 convolution. Padding may be asymmetric ('same' with even filters, explicit). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  padTop: number;
  padLeft: number;
}
