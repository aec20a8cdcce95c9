import { describe, expect, it } from 'vitest';
import { fileNameOf, jsonBodyOf, mediaKindOf, sharedSecretMatches } from '../../src/plugin-api.js';

const SECRET = 'shared-secret-0123456789';
const req = (query: Record<string, string | string[]>, headers: Record<string, string> = {}) => ({ query, headers });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('plugin kit: shared webhook secrets, media kinds, JSON bodies', () => {
  it('finds the secret only in the places named', () => {
    const places = { query: 'code', header: 'x-webhook-secret' };
    expect(sharedSecretMatches(req({ code: SECRET }), SECRET, places)).toBe(true);
    expect(sharedSecretMatches(req({}, { 'X-Webhook-Secret': SECRET }), SECRET, places)).toBe(true);
    expect(sharedSecretMatches(req({ secret: SECRET }), SECRET, places)).toBe(false);
    expect(sharedSecretMatches(req({}, { authorization: basic('infobip', SECRET) }), SECRET, places)).toBe(false);
    expect(sharedSecretMatches(req({}, { authorization: basic('infobip', SECRET) }), SECRET, { basicUsername: 'infobip' })).toBe(true);
    expect(sharedSecretMatches(req({}, { authorization: basic('other', SECRET) }), SECRET, { basicUsername: 'infobip' })).toBe(false);
  });

  it('refuses empty, prefix, and repeated values', () => {
    const places = { query: 'code' };
    expect(sharedSecretMatches(req({ code: '' }), SECRET, places)).toBe(false);
    expect(sharedSecretMatches(req({ code: SECRET.slice(0, -1) }), SECRET, places)).toBe(false);
    expect(sharedSecretMatches(req({ code: [SECRET, 'guess'] }), SECRET, places)).toBe(false);
  });

  it('names media kinds by extension (documents otherwise) and file names from the path', () => {
    expect(['a.JPG', 'b.mp4?x=1', 'c.ogg', 'd.pdf', 'e'].map((f) => mediaKindOf(`https://cdn.example.com/${f}`))).toEqual(['image', 'video', 'audio', 'document', 'document']);
    expect(fileNameOf('https://cdn.example.com/files/My%20Receipt.pdf?sig=1')).toBe('My Receipt.pdf');
    expect(fileNameOf('not a url')).toBeUndefined();
  });

  it('reads a JSON body from the raw bytes whatever the parser made of it', () => {
    expect(jsonBodyOf({ rawBody: '[1,2]', body: {} })).toEqual([1, 2]);
    expect(jsonBodyOf({ rawBody: 'not json', body: { a: 1 } })).toBeUndefined();
    expect(jsonBodyOf({ rawBody: '  ', body: { a: 1 } })).toEqual({ a: 1 });
  });
});
