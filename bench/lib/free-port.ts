// One implementation for tests, benchmarks and the demo: @causeway/shared.
export { freePort, waitForPort } from '@causeway/shared';
