import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/log/redact.js';

describe('redaction', () => {
  it('masks every known secret wherever it appears, deeply, and leaves other values alone', () => {
    const redact = createRedactor(() => new Set(['s3cr3t-token', 'abc']));
    const input = { url: 'https://u:s3cr3t-token@h/x', nested: [{ v: 's3cr3t-token' }], n: 5, short: 'abc', err: new Error('bad s3cr3t-token') };
    expect(redact(input)).toEqual({
      url: 'https://u:***@h/x', nested: [{ v: '***' }], n: 5, short: 'abc',
      err: { type: 'Error', message: 'bad ***', stack: expect.not.stringContaining('s3cr3t-token'), code: undefined },
    });
    expect(input.nested[0].v).toBe('s3cr3t-token');
  });
});
