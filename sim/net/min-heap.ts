/**
 * A reusable min-heap of (key, item, version) triples in typed arrays, for the
 * water-filling loop: entries go stale when a link's share changes and are skipped on pop
 * (the caller compares the version), which is cheaper than decrease-key.
 */
export class KeyedMinHeap {
  private keys = new Float64Array(256);
  private items = new Int32Array(256);
  private versions = new Int32Array(256);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(key: number, item: number, version: number): void {
    if (this.size === this.keys.length) this.grow();
    const { keys, items, versions } = this;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((keys[p] as number) <= key) break;
      keys[i] = keys[p] as number;
      items[i] = items[p] as number;
      versions[i] = versions[p] as number;
      i = p;
    }
    keys[i] = key;
    items[i] = item;
    versions[i] = version;
  }

  topKey(): number {
    return this.size > 0 ? (this.keys[0] as number) : Number.POSITIVE_INFINITY;
  }
  topItem(): number {
    return this.items[0] as number;
  }
  topVersion(): number {
    return this.versions[0] as number;
  }

  pop(): void {
    const { keys, items, versions } = this;
    const n = --this.size;
    if (n <= 0) return;
    const k = keys[n] as number;
    const it = items[n] as number;
    const v = versions[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      if (l + 1 < n && (keys[l + 1] as number) < (keys[l] as number)) c = l + 1;
      if ((keys[c] as number) >= k) break;
      keys[i] = keys[c] as number;
      items[i] = items[c] as number;
      versions[i] = versions[c] as number;
      i = c;
    }
    keys[i] = k;
    items[i] = it;
    versions[i] = v;
  }

  private grow(): void {
    const n = this.keys.length * 2;
    const k = new Float64Array(n);
    k.set(this.keys);
    const it = new Int32Array(n);
    it.set(this.items);
    const v = new Int32Array(n);
    v.set(this.versions);
    this.keys = k;
    this.items = it;
    this.versions = v;
  }
}
