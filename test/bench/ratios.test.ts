import { describe, expect, it } from 'vitest';
import { perRunRatios } from '../../src/bench/ratios.js';

describe('perRunRatios', () => {
  it('compares each run with the baseline run of its own round', () => {
    // Round 2 was slow for both: the ratio stays, where medians alone would mix rounds.
    const baseline = [{ wallMs: 10_000 }, { wallMs: 20_000 }, { wallMs: 10_000 }];
    const row = [{ wallMs: 5_000 }, { wallMs: 10_000 }, { wallMs: 8_000 }];
    expect(perRunRatios(row, 1_000_000, baseline, 1_000_000)).toEqual([2, 2, 1.25]);
  });

  it('counts the records of the row and of the baseline apart (two copies of (a) read twice the records)', () => {
    expect(perRunRatios([{ wallMs: 12_000 }], 2_000_000, [{ wallMs: 10_000 }], 1_000_000)).toEqual([2_000_000 / 12_000 / (1_000_000 / 10_000)]);
  });

  it('gives nothing when the row did not run every round the baseline ran', () => {
    expect(perRunRatios([{ wallMs: 1 }], 10, [{ wallMs: 1 }, { wallMs: 2 }], 10)).toEqual([]);
  });
});
