#!/usr/bin/env node
// Entry point. Everything lives in the compiled and bundled CLI (`npm run build` after editing src/).
// Decode workers a big scan will want start first, so their start-up overlaps the CLI's own
// (src/cli/prestart.ts); then the CLI loads.
import { prestart } from '../dist/bundle/prestart.js';

prestart(process.argv, process.env);
const { run } = await import('../dist/bundle/main.js');
process.exitCode = await run(process.argv);
