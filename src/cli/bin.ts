#!/usr/bin/env node
// Entry point of the `reconcile` command (package.json "bin").

import { main } from './main.js';
import { quietOnClosedPipes } from './output.js';

quietOnClosedPipes();
process.exitCode = await main(process.argv.slice(2));
