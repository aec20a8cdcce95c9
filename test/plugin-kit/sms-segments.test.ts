import { describe, expect, it } from 'vitest';
import { smsSegments } from '../../src/plugin-api.js';

describe('smsSegments', () => {
  it('counts an empty text as no segment', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, characters: 0 });
  });

  it.each([
    [1, 1],
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('GSM-7: %i plain characters take %i segment(s)', (length, segments) => {
    expect(smsSegments('a'.repeat(length))).toEqual({ encoding: 'GSM-7', segments, characters: length });
  });

  it('keeps GSM-7 for the whole default alphabet, accents included', () => {
    expect(smsSegments('ú').encoding).toBe('UCS-2'); // only ù is in the alphabet
    expect(smsSegments('Ça va? Øre, ñandù, 3£ @ Δ §').encoding).toBe('GSM-7');
  });

  it('counts extension characters twice', () => {
    expect(smsSegments('Hello €5')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 9 });
    expect(smsSegments('{}[]~|^\\')).toMatchObject({ characters: 16 });
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 162 });
  });

  it('never splits an escape pair across segments', () => {
    // 306 septets would fit 2 × 153, but the first € would straddle the boundary.
    expect(smsSegments('a'.repeat(152) + '€'.repeat(77))).toEqual({ encoding: 'GSM-7', segments: 3, characters: 306 });
  });

  it('switches the whole message to UCS-2 for one character outside GSM-7', () => {
    expect(smsSegments('garçon')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 6 });
    expect(smsSegments('`')).toMatchObject({ encoding: 'UCS-2' });
    expect(smsSegments('a'.repeat(159) + 'я')).toEqual({ encoding: 'UCS-2', segments: 3, characters: 160 });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('UCS-2: %i characters take %i segment(s)', (length, segments) => {
    expect(smsSegments('я'.repeat(length))).toEqual({ encoding: 'UCS-2', segments, characters: length });
  });

  it('counts emoji as two UTF-16 units and never splits a surrogate pair', () => {
    expect(smsSegments('hi 😀')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 5 });
    expect(smsSegments('я'.repeat(66) + '😀' + 'я'.repeat(66))).toEqual({ encoding: 'UCS-2', segments: 3, characters: 134 });
  });
});
