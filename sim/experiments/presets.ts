/**
 * Named parameter presets, one folder per model: sim/experiments/presets/<model>/<name>.json.
 * A preset carries a parameter subtree (`params`, applied as a layer over the schema
 * defaults) and its provenance: for a calibrated preset, the command that wrote it, the
 * target table, the residuals per figure and the optimizer settings. Fitted values live
 * here alone; schema defaults are round start values.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../lib/errors';

export const PRESET_DIR = join(dirname(fileURLToPath(import.meta.url)), 'presets');

/** `--preset none`: the schema defaults alone, skipping a model's default preset. */
export const NO_PRESET = 'none';

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface PresetFile {
  name: string;
  description: string;
  params: Record<string, unknown>;
  [extra: string]: unknown;
}

/** The folder of a model's presets. */
export function presetDir(model: string): string {
  return join(PRESET_DIR, model);
}

export function listPresets(model: string): string[] {
  const dir = presetDir(model);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadPreset(name: string, model: string): PresetFile {
  // A path (a preset `sim calibrate --target <lab sweep>` wrote beside its run): read as is.
  if (name.includes('/') || name.endsWith('.json')) return loadPresetFile(name);
  const known = listPresets(model);
  if (!NAME.test(name) || !known.includes(name))
    throw new InputError(
      '--preset',
      `one of ${[...known, NO_PRESET].join(', ')} (the presets of ${model})`,
      name,
      'UNKNOWN_PRESET',
    );
  const file = join(presetDir(model), `${name}.json`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<PresetFile>;
  if (typeof raw.params !== 'object' || raw.params === null)
    throw new InputError(`preset ${name}`, 'an object with a "params" tree', raw.params, 'BAD_PRESET');
  return { name, description: String(raw.description ?? ''), ...raw, params: raw.params } as PresetFile;
}

/** Writes `dir/<name>.json` (a model's preset folder, see presetDir) in the repository's format. */
export function writePreset(name: string, preset: PresetFile, dir: string): string {
  if (!NAME.test(name) || name === NO_PRESET)
    throw new InputError(
      '--write-preset',
      `a kebab-case name (a-z, 0-9, -), not "${NO_PRESET}"`,
      name,
      'BAD_PRESET_NAME',
    );
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${checkedInJson(preset)}\n`);
  return file;
}

/** The repository formatter's line width (biome.json): a preset is written as biome formats it. */
const LINE_WIDTH = 110;

/**
 * JSON as the repository's formatter lays it out, so the file `--write-preset` writes is the
 * file checked in, byte for byte: objects one key per line, arrays of plain values on one
 * line when the whole line fits, two-space indents.
 */
export function checkedInJson(value: unknown, indent = '', column = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      // +1 for a trailing comma the line may carry.
      if (column + flat.length + 1 <= LINE_WIDTH) return flat;
      // A long list of numbers is filled: as many per line as fit.
      if (value.every((v) => typeof v === 'number')) return `[\n${fill(value, inner)}\n${indent}]`;
    }
    const items = value.map((v) => inner + checkedInJson(v, inner, inner.length));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => {
    const head = `${inner}${JSON.stringify(k)}: `;
    return head + checkedInJson(v, inner, head.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function fill(values: readonly number[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const [i, v] of values.entries()) {
    const item = `${JSON.stringify(v)}${i < values.length - 1 ? ',' : ''}`;
    if (line && indent.length + line.length + 1 + item.length > LINE_WIDTH) {
      lines.push(indent + line);
      line = item;
    } else {
      line = line ? `${line} ${item}` : item;
    }
  }
  lines.push(indent + line);
  return lines.join('\n');
}

/** A preset file outside the repository's folders (e.g. runs/<sweep>/sim-preset.json). */
export function loadPresetFile(file: string): PresetFile {
  let raw: Partial<PresetFile>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<PresetFile>;
  } catch (e) {
    throw new InputError(
      '--preset',
      'a preset name or a readable preset JSON file',
      `${file} (${(e as Error).message})`,
      'UNKNOWN_PRESET',
    );
  }
  if (typeof raw.params !== 'object' || raw.params === null)
    throw new InputError(`preset ${file}`, 'an object with a "params" tree', raw.params, 'BAD_PRESET');
  return {
    name: String(raw.name ?? file),
    description: String(raw.description ?? ''),
    ...raw,
    params: raw.params,
  } as PresetFile;
}
