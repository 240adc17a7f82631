/**
 * How a report says it skipped raw.ndjson lines (lib/results/ndjson counts them): a report
 * that silently drops data reads as complete when it is not.
 */

/** "3 unreadable lines in raw.ndjson skipped (lines 4, 9, 12)": the console warning and the banner. */
export function unreadableNote(unreadable: readonly number[]): string | undefined {
  if (unreadable.length === 0) return undefined;
  const shown = unreadable.slice(0, 5).join(', ');
  const more = unreadable.length > 5 ? `, … ${unreadable.length - 5} more` : '';
  const s = unreadable.length === 1 ? '' : 's';
  return `${unreadable.length} unreadable line${s} in raw.ndjson skipped (line${s} ${shown}${more})`;
}
