// What the shipped bundle's body (dist/bundle/reconcile-code.cjs) exports to
// its launcher (launch.ts); the tsc build's entry is bin.ts.

export { main } from './main.js';
export { quietOnClosedPipes } from './output.js';
