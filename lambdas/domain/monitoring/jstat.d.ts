// Minimal types for the parts of jstat (CommonJS, untyped) the monitoring domain uses.
declare module 'jstat' {
  interface JStat {
    /** Regularised lower incomplete gamma P(a, x). */
    lowRegGamma(a: number, x: number): number;
    chisquare: {
      cdf(x: number, dof: number): number;
    };
    binomial: {
      cdf(k: number, n: number, p: number): number;
      pdf(k: number, n: number, p: number): number;
    };
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
