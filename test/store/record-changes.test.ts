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

  it('names the changing keys of records that have the same ones in one shared list, and each other set in its own', () => {
    const body = { text: 'hi' };
    const keys = (r: Rec) => writer.shape(r).mutable;
    const [one, two] = [keys({ id: '1', body, status: 'new', note: 'x' }), keys({ id: '2', body, status: 'sent', note: 'y' })];
    expect(two).toBe(one);
    expect(one).toEqual(['status', 'note']);
    // Fewer keys, a key that is undefined, other keys, and back: each list as the record has it.
    expect(keys({ id: '3', body, status: 'new' })).toEqual(['status']);
    expect(keys({ id: '4', body, status: 'new', note: undefined })).toEqual(['status']);
    expect(keys({ id: '5', body, note: 'x', status: 'new' })).toEqual(['note', 'status']);
    expect(keys({ id: '6', body, status: 'new', note: 'x' })).toEqual(['status', 'note']);
    expect(one).toEqual(['status', 'note']);
  });

  it('writes no removed keys when none was removed', () => {
    const body = { text: 'hi' };
    const before: Rec = { id: '1', body, status: 'new', note: 'x' };
    expect(writer.diff({ ...before, status: 'done' }, stored(before)).change).toEqual({ set: { status: 'done', note: 'x' } });
  });

  it('refuses to fold an append onto a base that holds fewer entries than the change follows', () => {
    expect(() => applyChange({ log: ['a'] }, { set: {}, add: { log: [2, ['c']] } })).toThrow(/holds 1/);
  });
});
