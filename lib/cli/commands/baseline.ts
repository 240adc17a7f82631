/**
 * `stampede baseline save NAME <run dir>` / `baseline list`: the runs a CI job gates
 * against, kept in a folder of the user's choice (--dir; default ./baselines, git-ignored
 * in this repository: point --dir at a cache or artifact folder in CI).
 */
import { InputError } from '../../errors';
import { baselineDir, DEFAULT_BASELINE_DIR, listBaselines, saveBaseline } from '../../results/gate/baselines';
import { defineCommand, flagString } from '../command';

const dirFlag = {
  dir: {
    type: 'string',
    hint: 'DIR',
    description: `folder of saved baselines (default ./${DEFAULT_BASELINE_DIR})`,
  },
} as const;

const saveCommand = defineCommand({
  name: 'save',
  positionals: 'NAME <run dir>',
  summary: "copy a finished run's summary.json and raw.ndjson under a name",
  usage: 'stampede baseline save NAME <run dir> [--dir DIR]',
  help: `
Copies summary.json, raw.ndjson (the gate's bootstrap needs the raw samples) and a
baseline.json (source, time) into DIR/NAME. An existing NAME is replaced in one rename.
An incomplete run is refused.

  stampede baseline save last-good runs/cold-pull-20260101T000000
  stampede gate --baseline last-good --candidate runs/cold-pull-20260102T000000`,
  flags: dirFlag,
  run(ctx) {
    const [name, dir, ...extra] = ctx.positionals;
    if (name === undefined) throw new InputError('NAME', 'a baseline name', undefined);
    if (dir === undefined) throw new InputError('<run dir>', 'a run directory', undefined);
    if (extra.length) throw new InputError('baseline save', 'NAME and one run directory', ctx.positionals);
    const saved = saveBaseline(name, dir, baselineDir(flagString(ctx, 'dir')), new Date());
    ctx.io.out(
      `${saved.replaced ? 'replaced' : 'saved'} baseline ${name}: ${saved.meta.kind} ${saved.meta.run}, seed ${saved.meta.seed}${saved.meta.hasRaw ? '' : ' (no raw.ndjson: quantile rules will be inconclusive)'}\n${saved.path}`,
    );
    return 0;
  },
});

const listCommand = defineCommand({
  name: 'list',
  summary: 'list saved baselines',
  usage: 'stampede baseline list [--dir DIR]',
  flags: dirFlag,
  run(ctx) {
    const store = baselineDir(flagString(ctx, 'dir'));
    const all = listBaselines(store);
    if (all.length === 0) {
      ctx.io.out(`no baselines in ${store}`);
      return 0;
    }
    const rows = all.map((b) => [
      b.name,
      `${b.kind} ${b.run}`,
      `seed ${b.seed}`,
      b.savedAt || '?',
      b.source || '?',
    ]);
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    ctx.io.out(
      rows
        .map((r) =>
          r
            .map((c, i) => c.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd(),
        )
        .join('\n'),
    );
    return 0;
  },
});

export const baselineCommand = defineCommand({
  name: 'baseline',
  summary: 'save and list the baselines `stampede gate` compares against',
  subCommands: { save: saveCommand, list: listCommand },
});
