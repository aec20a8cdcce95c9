import { describe, expect, it } from 'vitest';
import { applyChange, ChangeWriter, MAX_CHAIN, type StoredVersion } from '../../src/store/file/record-changes.js';

const writer = new ChangeWriter({ fixed: ['id', 'body'], appendOnly: ['log'] });
type Rec = { id: string; body: { text: string }; log?: string[]; status?: string; note?: string };
const stored = (r: Rec, depth = 0): StoredVersion => ({ ...writer.shape(r), file: {}, offset: 0, depth, rootBytes: 100 });
/** What a change written now folds back to, onto a copy of the stored version as it was read back. */
const roundTrip = (before: Rec, after: Rec, version = stored(before)) => {
  const { change } = writer.diff(after, version);
  return change && applyChange(JSON.parse(JSON.stringify(before)) as Rec, JSON.parse(JSON.stringify(change)));
};

describe('change records of one record', () => {
  it('carries changed keys, removed keys and appended entries, and folds back to the record', () => {
    const body = { text: 'hi' };
    const before: Rec = { id: '1', body, log: ['a'], status: 'new', note: 'x' };
    const snapshot = stored(before);
    const after: Rec = { id: '1', body, log: ['a', 'b', 'c'], status: 'done' };
    const { change } = writer.diff(after, snapshot);
    expect(change).toEqual({ set: { status: 'done' }, del: ['note'], add: { log: [1, ['b', 'c']] } });
    expect(roundTrip(before, after, snapshot)).toEqual(after);
  });

  it('starts an append-only list the stored version did not have, and leaves the base as it was', () => {
    const body = { text: 'hi' };
    const before: Rec = { id: '1', body, status: 'new' };
    const after: Rec = { id: '1', body, status: 'new', log: ['a'] };
    const base = { ...before };
    const { change } = writer.diff(after, stored(before));
    expect(applyChange(base, change!)).toEqual(after);
    expect(base).toEqual(before);
  });

  it('asks for the whole record when a fixed value is another object, a list shrank or lost its last entry, or the chain is long', () => {
    const body = { text: 'hi' };
    const before: Rec = { id: '1', body, log: ['a', 'b'] };
    const snapshot = stored(before);
    expect(writer.diff({ id: '1', body: { text: 'hi' }, log: ['a', 'b'] }, snapshot).change).toBeUndefined();
    expect(writer.diff({ id: '1', body, log: ['a'] }, snapshot).change).toBeUndefined();
    expect(writer.diff({ id: '1', body, log: ['a', 'B', 'c'] }, snapshot).change).toBeUndefined();
    expect(writer.diff({ id: '1', body }, snapshot).change).toBeUndefined();
    expect(writer.diff({ ...before, log: [...before.log!, 'c'] }, stored(before, MAX_CHAIN)).change).toBeUndefined();
    expect(writer.diff({ ...before, log: [...before.log!, 'c'] }, stored(before, MAX_CHAIN - 1)).change).toBeDefined();
  });

  it('refuses to fold an append onto a base that holds fewer entries than the change follows', () => {
    expect(() => applyChange({ log: ['a'] }, { set: {}, add: { log: [2, ['c']] } })).toThrow(/holds 1/);
  });
});
