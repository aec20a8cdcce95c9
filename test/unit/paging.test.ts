import { describe, expect, it } from 'vitest';
import { toApiPage } from '../../src/store/paging.js';

const recs = (...ids: string[]) => ids.map((id) => ({ id }));

describe('API pages from store pages', () => {
  it('gives a cursor when the extra record came back, or when the store stopped scanning early, and none at the end', () => {
    expect(toApiPage({ items: recs('c', 'b', 'a') }, 2)).toEqual({ items: recs('c', 'b'), nextCursor: 'b' });
    // A filter that matched little: fewer items than asked, but the scan stopped at its limit.
    expect(toApiPage({ items: recs('c'), next: 'x' }, 2)).toEqual({ items: recs('c'), nextCursor: 'x' });
    expect(toApiPage({ items: [], next: 'x' }, 2)).toEqual({ items: [], nextCursor: 'x' });
    expect(toApiPage({ items: recs('c') }, 2)).toEqual({ items: recs('c') });
  });
});
