import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FREE_PARAMS, SOURCED_PARAMS } from '../../sim/experiments/calibrate';
import {
  checkedInJson,
  loadPreset,
  PRESET_DIR,
  type PresetFile,
  writePreset,
} from '../../sim/experiments/presets';

const biome = join(process.cwd(), 'node_modules', '.bin', 'biome');

describe('presets as written by --write-preset', () => {
  it('are already in the repository format: biome would change nothing', () => {
    const preset = {
      name: 'shape',
      description: 'every shape a preset has',
      params: {
        client: { unpackBps: 34785303.75588723, retryBaseS: 216.5 },
        storage: { shedFraction: 0.21 },
      },
      fit: {
        residuals: [{ label: 'Baseline', figure: 'p99', targetS: 856, simulatedS: 853.9 }],
        penalties: {},
      },
      optimizer: {
        ladder: [2, 6, 12, 24, 96],
        bounds: { 'client.unpackBps': [4194304, 419430400] },
        long: Array.from({ length: 40 }, (_, i) => i * 1000.5),
        empty: [],
      },
    } as unknown as PresetFile;
    const file = writePreset('shape', preset, mkdtempSync(join(tmpdir(), 'stampede-preset-')));
    const text = readFileSync(file, 'utf8');
    const formatted = execFileSync(biome, ['format', `--stdin-file-path=${file}`], {
      input: text,
      encoding: 'utf8',
    });
    expect(formatted).toBe(text);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(preset)));
    // A list of numbers too long for one line is filled, as many per line as fit.
    expect(text).toMatch(/"long": \[\n {6}0, 1000\.5, 2001,/);
  });

  it('the checked-in acr-copies-2026 is byte for byte what the command writes', () => {
    const text = readFileSync(join(PRESET_DIR, 'copy-sweep', 'acr-copies-2026.json'), 'utf8');
    expect(`${checkedInJson(JSON.parse(text))}\n`).toBe(text);
  });
});

describe('acr-copies-2026: fitted and sourced parameters', () => {
  it('holds every sourced parameter at its source value, and none of them is free in the fit', () => {
    const params = loadPreset('acr-copies-2026', 'copy-sweep').params as Record<
      string,
      Record<string, number>
    >;
    expect(SOURCED_PARAMS.length).toBe(4);
    for (const s of SOURCED_PARAMS) {
      const [group, key] = s.path.split('.') as [string, string];
      expect(params[group]?.[key], s.path).toBe(s.value);
      expect(FREE_PARAMS.map((p) => p.path)).not.toContain(s.path);
      expect(s.source.length, s.path).toBeGreaterThan(20);
    }
    // 9 fitted (issue 13 asks for at most 8: missed by one, see sim/models/README.md)
    expect(FREE_PARAMS.length).toBe(9);
  });
});
