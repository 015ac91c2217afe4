#!/usr/bin/env node
// Entry point: everything lives in the compiled CLI (run `npm run build` after editing src/).
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv);
