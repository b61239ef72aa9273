// jstat ships no types: the parts of it Understudy uses, declared once.
declare module 'jstat' {
  interface JStat {
    /** Regularised lower incomplete gamma P(a, x). */
    lowRegGamma(a: number, x: number): number;
    readonly chisquare: {
      cdf(x: number, dof: number): number;
    };
    readonly binomial: {
      cdf(k: number, n: number, p: number): number;
      pdf(k: number, n: number, p: number): number;
    };
    readonly beta: {
      /** Quantile function of Beta(alpha, beta). */
      inv(p: number, alpha: number, beta: number): number;
    };
    readonly studentt: {
      cdf(x: number, dof: number): number;
      /** Quantile function of Student's t with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
    readonly normal: {
      cdf(x: number, mean: number, std: number): number;
      /** Quantile function of Normal(mean, std). */
      inv(p: number, mean: number, std: number): number;
    };
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
