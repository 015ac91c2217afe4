import { describe, expect, it } from 'vitest';
import { colourLevel, makeChalk } from '../../src/report/colour.js';

describe('colourLevel', () => {
  // [why, flag, isTty, env, expected]
  const cases: [string, boolean | undefined, boolean, NodeJS.ProcessEnv, 0 | 1][] = [
    // --color / --no-color win over everything.
    ['--color on a pipe', true, false, {}, 1],
    ['--color with NO_COLOR', true, false, { NO_COLOR: '1' }, 1],
    ['--color with FORCE_COLOR=0', true, false, { FORCE_COLOR: '0' }, 1],
    ['--color with TERM=dumb', true, false, { TERM: 'dumb' }, 1],
    ['--no-color on a TTY', false, true, {}, 0],
    ['--no-color with FORCE_COLOR=1', false, true, { FORCE_COLOR: '1' }, 0],
    ['--no-color with FORCE_COLOR=3 and a TTY', false, true, { FORCE_COLOR: '3', TERM: 'xterm-256color' }, 0],
    // FORCE_COLOR: 0 / false off, anything else on; it outranks NO_COLOR, TERM and the TTY.
    ['FORCE_COLOR=0 on a TTY', undefined, true, { FORCE_COLOR: '0' }, 0],
    ['FORCE_COLOR=false on a TTY', undefined, true, { FORCE_COLOR: 'false' }, 0],
    ['FORCE_COLOR=1 on a pipe', undefined, false, { FORCE_COLOR: '1' }, 1],
    ['FORCE_COLOR=2 on a pipe', undefined, false, { FORCE_COLOR: '2' }, 1],
    ['FORCE_COLOR=true on a pipe', undefined, false, { FORCE_COLOR: 'true' }, 1],
    ['FORCE_COLOR empty on a pipe', undefined, false, { FORCE_COLOR: '' }, 1],
    ['FORCE_COLOR=1 with NO_COLOR', undefined, false, { FORCE_COLOR: '1', NO_COLOR: '1' }, 1],
    ['FORCE_COLOR=1 with TERM=dumb', undefined, false, { FORCE_COLOR: '1', TERM: 'dumb' }, 1],
    ['FORCE_COLOR=0 with a TTY and no NO_COLOR', undefined, true, { FORCE_COLOR: '0', TERM: 'xterm' }, 0],
    // NO_COLOR: any non-empty value turns colour off; an empty one is ignored.
    ['NO_COLOR=1 on a TTY', undefined, true, { NO_COLOR: '1' }, 0],
    ['NO_COLOR=0 on a TTY (any non-empty value)', undefined, true, { NO_COLOR: '0' }, 0],
    ['NO_COLOR=false on a TTY (any non-empty value)', undefined, true, { NO_COLOR: 'false' }, 0],
    ['NO_COLOR empty on a TTY', undefined, true, { NO_COLOR: '' }, 1],
    ['NO_COLOR empty on a pipe', undefined, false, { NO_COLOR: '' }, 0],
    // TERM=dumb off.
    ['TERM=dumb on a TTY', undefined, true, { TERM: 'dumb' }, 0],
    ['NO_COLOR empty and TERM=dumb on a TTY', undefined, true, { NO_COLOR: '', TERM: 'dumb' }, 0],
    ['TERM=xterm-256color on a TTY', undefined, true, { TERM: 'xterm-256color' }, 1],
    ['TERM=xterm-256color on a pipe', undefined, false, { TERM: 'xterm-256color' }, 0],
    // Otherwise the TTY decides.
    ['nothing set, TTY', undefined, true, {}, 1],
    ['nothing set, pipe', undefined, false, {}, 0],
  ];

  it.each(cases)('%s', (_why, flag, isTty, env, expected) => {
    expect(colourLevel(flag, isTty, env)).toBe(expected);
  });

  it('does not read the process environment', () => {
    const saved = { ...process.env };
    try {
      process.env.FORCE_COLOR = '1';
      process.env.NO_COLOR = '1';
      expect(colourLevel(undefined, true, {})).toBe(1);
      expect(colourLevel(undefined, false, {})).toBe(0);
    } finally {
      for (const k of ['FORCE_COLOR', 'NO_COLOR']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

describe('makeChalk', () => {
  it('level 0 prints plain text, level 1 prints ANSI codes', () => {
    expect(makeChalk(0).red.bold('x')).toBe('x');
    expect(makeChalk(1).red('x')).toBe('\u001b[31mx\u001b[39m');
  });
});
