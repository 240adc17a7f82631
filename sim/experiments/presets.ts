/**
 * Named parameter presets (sim/experiments/presets/<name>.json). A preset carries a
 * parameter subtree (`params`, applied as a layer over the defaults) and its provenance:
 * for a calibrated preset, the command that wrote it, the target table, the residuals
 * per figure and the optimizer settings.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../lib/errors';

export const PRESET_DIR = join(dirname(fileURLToPath(import.meta.url)), 'presets');

export interface PresetFile {
  name: string;
  description: string;
  params: Record<string, unknown>;
  [extra: string]: unknown;
}

export function listPresets(): string[] {
  if (!existsSync(PRESET_DIR)) return [];
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadPreset(name: string): PresetFile {
  const known = listPresets();
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !known.includes(name))
    throw new InputError(
      '--preset',
      `one of ${known.join(', ') || '(none installed)'}`,
      name,
      'UNKNOWN_PRESET',
    );
  const file = join(PRESET_DIR, `${name}.json`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<PresetFile>;
  if (typeof raw.params !== 'object' || raw.params === null)
    throw new InputError(`preset ${name}`, 'an object with a "params" tree', raw.params, 'BAD_PRESET');
  return { name, description: String(raw.description ?? ''), ...raw, params: raw.params } as PresetFile;
}

export function writePreset(name: string, preset: PresetFile, dir = PRESET_DIR): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new InputError('--write-preset', 'a kebab-case name (a-z, 0-9, -)', name, 'BAD_PRESET_NAME');
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(preset, null, 2)}\n`);
  return file;
}
