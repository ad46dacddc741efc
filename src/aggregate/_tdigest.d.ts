// Types for npm `tdigest` 0.1.x (it ships none); only what sketch.ts uses.
export interface Centroid {
  mean: number;
  n: number;
}
export declare class TDigest {
  constructor(delta?: number | false, K?: number, CX?: number);
  n: number;
  push(x: number | number[], n?: number): void;
  push_centroid(c: Centroid | Centroid[]): void;
  percentile(p: number): number;
  size(): number;
  compress(): void;
  toArray(): Centroid[];
}
declare const tdigest: { TDigest: typeof TDigest };
export default tdigest;
