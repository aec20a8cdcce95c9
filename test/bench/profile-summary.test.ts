import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../../bench/profile.js';

describe('the accept profile summary', () => {
  it('reads a bundle’s frames through its source map: areas and names are the source files’', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-prof-'));
    const bundle = join(dir, 'main.js');
    writeFileSync(bundle, 'function set(){}\nfunction accept(){}\n');
    // Line 1 of the bundle comes from line 6 of hot-state.ts, line 2 from line 3 of engine.ts ("AAKA", "ACHA" in VLQ).
    writeFileSync(`${bundle}.map`, JSON.stringify({ version: 3, file: 'main.js', sources: ['../../src/store/file/hot-state.ts', '../../src/engine/engine.ts'], names: [], mappings: 'AAKA;ACHA' }));
    const url = pathToFileURL(bundle).href;
    const frame = (id: number, functionName: string, lineNumber: number, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber, columnNumber: 0 }, children });
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2] },
        frame(2, 'accept', 1, [3]),
        frame(3, 'set', 0),
        { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 }, children: [] },
      ],
      samples: [3, 3, 3, 2, 4],
      timeDeltas: [1, 1, 1, 1, 1],
    };
    const file = join(dir, 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));

    const summary = summarizeProfile(file, [['engine/engine.ts', 'accept']]);
    expect(summary.busy).toBeCloseTo(0.8);
    expect(summary.selfByArea).toEqual([{ area: 'store (src/store)', share: 0.75 }, { area: 'engine (src/engine)', share: 0.25 }]);
    expect(summary.topSelf.map((f) => f.fn)).toEqual(['set (src/store/file/hot-state.ts:6)', 'accept (src/engine/engine.ts:3)']);
    expect(summary.inclusiveFns).toEqual([{ fn: 'accept (engine/engine.ts)', share: 1 }]);
  });
});
