/**
 * The house's layers, enforced in CI (`npm run lint:deps`, part of `npm test`): shared → broker → the
 * programs (cloud, edge, firmware-sim) → demo and bench. A program never reaches into another program,
 * nothing imports upwards, and there is no import loop — type-only imports included, since a loop of
 * types is a loop of design.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import loops make the start-up order fragile and the parts impossible to take apart',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-the-ground',
      severity: 'error',
      comment: 'shared depends on no other Causeway package',
      from: { path: '^shared/src' },
      to: { path: '^(broker|cloud|edge|firmware-sim|demo|bench)/' },
    },
    {
      name: 'broker-on-shared-only',
      severity: 'error',
      comment: 'the broker core knows nothing of the programs that run it',
      from: { path: '^broker/src' },
      to: { path: '^(cloud|edge|firmware-sim|demo|bench)/' },
    },
    {
      name: 'programs-stand-side-by-side',
      severity: 'error',
      comment: 'a program never imports another program (move what both need into shared or broker)',
      from: { path: '^(cloud|edge|firmware-sim)/src' },
      to: { path: '^(cloud|edge|firmware-sim|demo|bench)/', pathNot: '^$1/' },
    },
    {
      name: 'no-program-imports-the-demo',
      severity: 'error',
      from: { path: '^(shared|broker|cloud|edge|firmware-sim)/src' },
      to: { path: '^demo/' },
    },
    {
      name: 'the-agent-never-carries-jetstream',
      severity: 'error',
      comment: 'a gateway never runs NATS: nothing the agent imports may pull it in, directly or not (issue 14)',
      from: { path: '^edge/src/main\\.ts$' },
      to: { path: 'node_modules/nats/', reachable: true },
    },
    {
      name: 'product-code-never-imports-tests',
      severity: 'error',
      from: { path: '^[^/]+/src' },
      to: { path: '^[^/]+/test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    combinedDependencies: false,
  },
};
