/**
 * One seed of the fit's one-shot run, as its own process: `npx tsx sim/models/stamps/one-shot-seed.ts <params.json> <seed>`
 * prints the seed's misfit vector (fit.ts) as JSON. fit.ts runs an evaluation's seeds as
 * such processes (`parallel`), at most two at a time: they are independent runs.
 */
import { readFileSync } from 'node:fs';
import { misfit, oneShot } from './fit';
import type { StampsParams } from './params';

const params = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as StampsParams;
console.log(JSON.stringify(misfit(oneShot(params, Number(process.argv[3])))));
