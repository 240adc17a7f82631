/**
 * One open descriptor per blob file, shared by all streams reading it (positional reads),
 * closed when the last reader is done: 1,000 concurrent downloads of one layer cost one fd.
 */
import { close, createReadStream, open, type ReadStream, read } from 'node:fs';

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

/**
 * A read stream over a descriptor the cache owns. `autoClose: false` is not enough: Node's
 * ReadStream still closes its fd when destroyed, which pipeline() does whenever a client
 * disconnects mid-download. The cache's fd then closed under every other reader of the blob,
 * and its later release closed the same number again after the kernel had reused it for a
 * socket: one killed k6 process crashed the whole lab (ERR_OUT_OF_RANGE in afterConnect).
 * Closing is the cache's job alone, so the stream's close is a no-op.
 */
export function sharedFdReadStream(
  fd: number,
  opts: { start: number; end: number; highWaterMark: number },
): ReadStream {
  return createReadStream('', { ...opts, fd, autoClose: false, fs: { open, read, close: keepOpen } });
}

function keepOpen(_fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
  cb(null);
}
