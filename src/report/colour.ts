import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Whether to colour a stream. chalk 5 ignores NO_COLOR, so the decision is made here:
 * --color / --no-color win; else FORCE_COLOR (anything but 0/false) forces it on; else NO_COLOR
 * (non-empty) or TERM=dumb turn it off; else colour only a TTY.
 */
export function colourLevel(flag: boolean | undefined, isTty: boolean, env: NodeJS.ProcessEnv): 0 | 1 {
  if (flag !== undefined) return flag ? 1 : 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force === '0' || force === 'false' ? 0 : 1;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.TERM === 'dumb') return 0;
  return isTty ? 1 : 0;
}

export function makeChalk(level: 0 | 1): ChalkInstance {
  return new Chalk({ level });
}
