/**
 * A progress line for anything that may take more than a couple of seconds. Silent for
 * the first `quietMs` so quick runs stay quiet; redraws in place on a terminal, prints at
 * most one line per `everyMs` otherwise (CI logs stay short).
 */
import type { Io } from './command';

export interface Progress {
  update(done: number, total: number, detail?: string): void;
  done(summary?: string): void;
}

export function progress(io: Io, label: string, opts: { quietMs?: number; everyMs?: number } = {}): Progress {
  const start = Date.now();
  const quietMs = opts.quietMs ?? 1500;
  const everyMs = opts.everyMs ?? (io.tty ? 200 : 5000);
  let last = 0;
  let shown = false;
  const line = (done: number, total: number, detail?: string) => {
    const pct = total > 0 ? ` ${((100 * done) / total).toFixed(0)}%` : '';
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    return `${label}:${pct} (${done}/${total}) ${secs}s${detail ? ` ${detail}` : ''}`;
  };
  return {
    update(done, total, detail) {
      const now = Date.now();
      if (now - start < quietMs || now - last < everyMs) return;
      last = now;
      shown = true;
      if (io.tty) process.stderr.write(`\r\x1b[2K${line(done, total, detail)}`);
      else io.err(line(done, total, detail));
    },
    done(summary) {
      if (shown && io.tty) process.stderr.write('\r\x1b[2K');
      if (shown || summary)
        io.err(
          `${label}: done in ${((Date.now() - start) / 1000).toFixed(1)}s${summary ? ` ${summary}` : ''}`,
        );
    },
  };
}
