/**
 * A small DNS wire-format codec (RFC 1035 §4, RFC 6891 for OPT): just what an
 * authoritative lab server needs. Decoding follows compression pointers (with a loop
 * guard); encoding compresses names against everything already written.
 */
import { StampedeError } from '../../errors';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const OPCODE_QUERY = 0;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** Record data by type; unknown types keep their raw bytes. */
export type RData =
  | { type: 1; address: string }
  | { type: 28; address: string }
  | { type: 2 | 5; target: string }
  | { type: 6; soa: Soa }
  | { type: 16; texts: string[] }
  | { type: number; raw: Uint8Array };

export type ResourceRecord = {
  name: string;
  /** For OPT: the requestor's UDP payload size. */
  class: number;
  /** For OPT: extended rcode, version and flags packed as RFC 6891 says. */
  ttl: number;
} & RData;

export interface Flags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface Message {
  id: number;
  flags: Flags;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/** A datagram that is not a DNS message: the server answers FORMERR, never crashes. */
export class WireError extends StampedeError {
  constructor(message: string) {
    super('DNS_MALFORMED', `malformed DNS message: ${message}`);
  }
}

/** Lower-case, no trailing dot: the one form names are compared in. */
export function canonical(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

// ---------- decode ----------

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = start;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the end');
    const len = buf.readUInt8(pos);
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('truncated compression pointer');
      if (++jumps > 64) throw new WireError('compression loop');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf.readUInt8(pos + 1);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('unsupported label type');
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the end');
    length += len + 1;
    if (length > 255) throw new WireError('name longer than 255 octets');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function need(buf: Buffer, pos: number, n: number, what: string): void {
  if (pos + n > buf.length) throw new WireError(`${what} runs past the end`);
}

function ipv6ToText(b: Uint8Array): string {
  const groups: string[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < 16; i += 2) groups.push(v.getUint16(i).toString(16));
  return groups.join(':');
}

function readRecord(buf: Buffer, start: number): { rr: ResourceRecord; next: number } {
  const { name, next: p } = readName(buf, start);
  need(buf, p, 10, 'record header');
  const type = buf.readUInt16BE(p);
  const cls = buf.readUInt16BE(p + 2);
  const ttl = buf.readUInt32BE(p + 4);
  const rdlen = buf.readUInt16BE(p + 8);
  const at = p + 10;
  need(buf, at, rdlen, 'record data');
  const end = at + rdlen;
  const base = { name, class: cls, ttl };
  let rr: ResourceRecord;
  switch (type) {
    case TYPE.A:
      if (rdlen !== 4) throw new WireError('A record is not 4 octets');
      rr = { ...base, type, address: [...buf.subarray(at, end)].join('.') };
      break;
    case TYPE.AAAA:
      if (rdlen !== 16) throw new WireError('AAAA record is not 16 octets');
      rr = { ...base, type, address: ipv6ToText(buf.subarray(at, end)) };
      break;
    case TYPE.NS:
    case TYPE.CNAME:
      rr = { ...base, type, target: readName(buf, at).name };
      break;
    case TYPE.SOA: {
      const m = readName(buf, at);
      const r = readName(buf, m.next);
      need(buf, r.next, 20, 'SOA numbers');
      const n = (i: number) => buf.readUInt32BE(r.next + 4 * i);
      rr = {
        ...base,
        type,
        soa: {
          mname: m.name,
          rname: r.name,
          serial: n(0),
          refresh: n(1),
          retry: n(2),
          expire: n(3),
          minimum: n(4),
        },
      };
      break;
    }
    case TYPE.TXT: {
      const texts: string[] = [];
      let q = at;
      while (q < end) {
        const l = buf.readUInt8(q);
        if (q + 1 + l > end) throw new WireError('TXT string runs past its record');
        texts.push(buf.toString('utf8', q + 1, q + 1 + l));
        q += 1 + l;
      }
      rr = { ...base, type, texts };
      break;
    }
    default:
      rr = { ...base, type, raw: new Uint8Array(buf.subarray(at, end)) };
  }
  return { rr, next: end };
}

export function decode(bytes: Uint8Array): Message {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12) throw new WireError('shorter than a header');
  const f = buf.readUInt16BE(2);
  const qd = {
    qd: buf.readUInt16BE(4),
    an: buf.readUInt16BE(6),
    ns: buf.readUInt16BE(8),
    ar: buf.readUInt16BE(10),
  };
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd.qd; i++) {
    const { name, next } = readName(buf, pos);
    need(buf, next, 4, 'question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const section = (count: number): ResourceRecord[] => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const { rr, next } = readRecord(buf, pos);
      out.push(rr);
      pos = next;
    }
    return out;
  };
  const answers = section(qd.an);
  const authorities = section(qd.ns);
  const additionals = section(qd.ar);
  return {
    id: buf.readUInt16BE(0),
    flags: {
      qr: (f & 0x8000) !== 0,
      opcode: (f >> 11) & 0xf,
      aa: (f & 0x0400) !== 0,
      tc: (f & 0x0200) !== 0,
      rd: (f & 0x0100) !== 0,
      ra: (f & 0x0080) !== 0,
      rcode: f & 0xf,
    },
    questions,
    answers,
    authorities,
    additionals,
  };
}

// ---------- encode ----------

class Writer {
  private buf = Buffer.alloc(512);
  len = 0;
  private names = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }
  /** Writes a name, pointing at an earlier copy of its longest known suffix. */
  name(name: string): void {
    const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x3fff) this.names.set(suffix, this.len);
      const label = Buffer.from(labels[i] ?? '', 'latin1');
      if (label.length === 0 || label.length > 63) throw new WireError(`bad label in ${name}`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new WireError(`not an IPv4 address: ${address}`);
  return Uint8Array.from(parts);
}

function ipv6Bytes(address: string): Uint8Array {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new WireError(`not an IPv6 address: ${address}`);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new WireError(`not an IPv6 address: ${address}`);
    view.setUint16(2 * i, v);
  });
  return out;
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.len;
  w.u16(0);
  const start = w.len;
  if ('address' in rr) w.bytes(rr.type === TYPE.A ? ipv4Bytes(rr.address) : ipv6Bytes(rr.address));
  else if ('target' in rr) w.name(rr.target);
  else if ('soa' in rr) {
    const s = rr.soa;
    w.name(s.mname);
    w.name(s.rname);
    for (const n of [s.serial, s.refresh, s.retry, s.expire, s.minimum]) w.u32(n);
  } else if ('texts' in rr)
    for (const t of rr.texts) {
      const b = Buffer.from(t, 'utf8');
      if (b.length > 255) throw new WireError('TXT string longer than 255 octets');
      w.u8(b.length);
      w.bytes(b);
    }
  else w.bytes(rr.raw);
  w.setU16(lenAt, w.len - start);
}

export function encode(m: Message): Buffer {
  const w = new Writer();
  const f = m.flags;
  w.u16(m.id);
  w.u16(
    (f.qr ? 0x8000 : 0) |
      ((f.opcode & 0xf) << 11) |
      (f.aa ? 0x0400 : 0) |
      (f.tc ? 0x0200 : 0) |
      (f.rd ? 0x0100 : 0) |
      (f.ra ? 0x0080 : 0) |
      (f.rcode & 0xf),
  );
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, rr);
  return w.done();
}

/** An OPT pseudo-record (RFC 6891) advertising our UDP payload size. */
export function optRecord(udpSize: number, extendedRcode = 0): ResourceRecord {
  return {
    name: '',
    type: TYPE.OPT,
    class: udpSize,
    ttl: (extendedRcode & 0xff) << 24,
    raw: new Uint8Array(0),
  };
}

export function typeName(type: number): string {
  for (const [k, v] of Object.entries(TYPE)) if (v === type) return k;
  return `TYPE${type}`;
}
