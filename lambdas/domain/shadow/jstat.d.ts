// jstat ships no types. The shadow comparison imports it by its file ('jstat/dist/jstat.js',
// the same file 'jstat' resolves to, so bundles hold it once) and declares here only what it
// uses: a separate specifier cannot collide with another domain's `declare module 'jstat'`.
declare module 'jstat/dist/jstat.js' {
  interface Distributions {
    readonly beta: {
      /** Quantile function of Beta(alpha, beta). */
      inv(p: number, alpha: number, beta: number): number;
    };
    readonly normal: {
      /** Quantile function of Normal(mean, std). */
      inv(p: number, mean: number, std: number): number;
    };
  }
  const jStat: Distributions;
  export default jStat;
}
