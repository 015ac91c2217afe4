#!/usr/bin/env node
// Entry point. Everything lives in the compiled and bundled CLI (`npm run build` after editing src/).
// On Node >= 22.1, V8's compiled code is cached on disk (Node's compile cache, in the temp
// directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off): the bundle then loads ~30 ms faster.
// Decode workers a big scan will want start first, so their start-up overlaps the CLI's own
// (src/cli/prestart.ts); then the CLI loads.
import module from 'node:module';

module.enableCompileCache?.();
const { prestart } = await import('../dist/bundle/prestart.js');
prestart(process.argv, process.env);
const { run } = await import('../dist/bundle/main.js');
process.exitCode = await run(process.argv);
