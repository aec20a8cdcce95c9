import { describe, expect, it } from 'vitest';
import { jsonRows, RawJson } from '../../src/store/postgres/json-rows.js';

describe('rows as one JSON document for json_to_recordset', () => {
  it('names each value by its column, splices serialized JSON in as it is, and writes a missing value as null', () => {
    const text = jsonRows(['id', 'note', 'n', 'body'], [
      ['a"1', 'line\nbreak', 7, new RawJson('{"x":[1,"\\u00e9"]}')],
      ['b', undefined, null, new RawJson('null')],
    ]);
    expect(JSON.parse(text)).toEqual([
      { id: 'a"1', note: 'line\nbreak', n: 7, body: { x: [1, 'é'] } },
      { id: 'b', note: null, n: null, body: null },
    ]);
    expect(jsonRows(['id'], [])).toBe('[]');
  });
});
