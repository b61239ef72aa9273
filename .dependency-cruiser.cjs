/**
 * The layer rules of ARCHITECTURE.md, checked on the import graph (type-only imports
 * included) by test/unit/architecture.test.ts, so the layout stays true.
 *
 * Layers: handlers (lambdas/<function>/) → adapters (lambdas/adapters/, lambdas/shared/)
 * → domain (lambdas/domain/<capability>/). The domain sees no AWS SDK and no outer layer;
 * capability folders never import each other in a cycle; kernel imports no capability.
 */
const HANDLERS = '^lambdas/(control|invoke|shadow|monitor|deployer|training)/';
const ADAPTERS = '^lambdas/(adapters|shared)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-capability-cycles',
      comment: 'Capability folders depend on each other in one direction only.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^lambdas/domain/[^/]+' },
      to: { circular: true },
    },
    {
      name: 'kernel-is-the-base',
      comment: 'The kernel is what every capability shares: it imports none of them.',
      severity: 'error',
      from: { path: '^lambdas/domain/kernel/' },
      to: { path: '^lambdas/domain/', pathNot: '^lambdas/domain/kernel/' },
    },
    {
      name: 'domain-imports-no-cloud',
      comment: 'Domain code reaches AWS only through ports that adapters implement.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { path: 'node_modules/(@aws-sdk|@smithy|@aws-lambda-powertools|@middy|aws-lambda)/' },
    },
    {
      name: 'domain-imports-no-outer-layer',
      comment: 'Domain code knows nothing of adapters, handlers, infrastructure, scripts or tests.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { path: `${HANDLERS}|${ADAPTERS}|^(infra|scripts|cli|bench|test)/` },
    },
    {
      name: 'adapters-import-no-handlers',
      comment: 'Adapters implement ports; handlers compose them, never the other way round.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: HANDLERS },
    },
    {
      name: 'production-imports-no-tests',
      comment: 'Test doubles and fixtures live in test/ and stay there.',
      severity: 'error',
      from: { path: '^(lambdas|infra|scripts|cli)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to parse with; swc parses
    // TypeScript and keeps type-only imports in the graph.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^cdk\\.out/|^layers/' },
  },
};
