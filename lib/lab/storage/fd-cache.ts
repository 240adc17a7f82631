/**
 * One open descriptor per blob file, shared by all streams reading it (positional reads),
 * closed when the last reader is done: 1,000 concurrent downloads of one layer cost one fd.
 */
import { close, open } from 'node:fs';

export class FdCache {
  private readonly open = new Map<string, { fd: Promise<number>; refs: number }>();

  acquire(path: string): Promise<number> {
    let e = this.open.get(path);
    if (!e) {
      const fd = new Promise<number>((resolve, reject) =>
        open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))),
      );
      e = { fd, refs: 0 };
      this.open.set(path, e);
      fd.catch(() => {
        if (this.open.get(path) === e) this.open.delete(path);
      });
    }
    e.refs++;
    return e.fd;
  }

  release(path: string): void {
    const e = this.open.get(path);
    if (!e) return;
    if (--e.refs > 0) return;
    this.open.delete(path);
    e.fd.then(
      (fd) => close(fd, () => {}),
      () => {},
    );
  }

  get size(): number {
    return this.open.size;
  }
}
