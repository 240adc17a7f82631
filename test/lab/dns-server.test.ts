/**
 * The lab's DNS server answered over the wire by real clients: dig (UDP and TCP) and
 * node's c-ares resolver. Names, TTLs, NXDOMAIN/NODATA/REFUSED, EDNS, truncation, TCP
 * framing, and the codec itself.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { type DnsHandle, startDns } from '../../lib/lab/dns';
import { decode, encode, type Message, TYPE, WireError } from '../../lib/lab/dns/wire';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

const run = promisify(execFile);
const PORT = 5353;
const IP = '127.3.0.53'; // this file's server
const BIG_IP = '127.3.0.56'; // a 40-region lab whose answers overflow 512 octets

function labState(ip: string, sets: string[]) {
  const cfg = resolveLabConfig([], sets);
  return createState(cfg, { ...topology(cfg, { netns: false, octet: 3 }), dnsIp: ip, dnsPort: PORT });
}

interface Dig {
  status: string;
  flags: string[];
  answer: Array<{ name: string; ttl: number; type: string; data: string }>;
  authority: Array<{ name: string; ttl: number; type: string; data: string }>;
}

async function dig(server: string, name: string, type = 'A', ...opts: string[]): Promise<Dig> {
  const { stdout } = await run(
    'dig',
    [`@${server}`, '-p', String(PORT), '+tries=1', '+time=2', ...opts, name, type],
    { timeout: 10_000 },
  );
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? '';
  const flags = (/flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const section = (title: string) => {
    const at = stdout.indexOf(`;; ${title} SECTION:`);
    if (at < 0) return [];
    const lines = stdout.slice(at).split('\n').slice(1);
    const end = lines.indexOf('');
    return lines.slice(0, end < 0 ? undefined : end).map((l) => {
      const [n, ttl, , t, ...rest] = l.split(/\s+/);
      return { name: n ?? '', ttl: Number(ttl), type: t ?? '', data: rest.join(' ') };
    });
  };
  return { status, flags, answer: section('ANSWER'), authority: section('AUTHORITY') };
}

function resolver(server: string): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`${server}:${PORT}`]);
  return r;
}

let dns: DnsHandle;
let big: DnsHandle;

beforeAll(async () => {
  dns = await startDns(
    labState(IP, [
      'registry.names=contoso,fabrikam',
      'dns.ttlS=7',
      'dns.staticTtlS=120',
      'dns.negativeTtlS=15',
    ]),
    { probe: async () => true },
  );
  const regions = Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, '0')}`);
  big = await startDns(
    labState(BIG_IP, [
      `regions.names=${regions.join(',')}`,
      'regions.clientRegion=r00',
      'dns.toleratedFailures=0',
    ]),
    { probe: async () => false }, // every region degraded: the global name answers all 40
  );
});

afterAll(async () => {
  await dns?.stop();
  await big?.stop();
});

describe('names', () => {
  it('answers the global name with the client region over UDP and TCP, with the configured TTL', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const d = await dig(IP, 'contoso.stampede.test', 'A', transport);
      expect(d.status).toBe('NOERROR');
      expect(d.flags).toContain('aa');
      expect(d.answer).toEqual([{ name: 'contoso.stampede.test.', ttl: 7, type: 'A', data: '127.3.10.1' }]);
    }
    const r = await resolver(IP).resolve4('fabrikam.stampede.test', { ttl: true });
    expect(r).toEqual([{ address: '127.3.10.1', ttl: 7 }]);
  });

  it('answers regional, data, storage and identity names with their own address', async () => {
    const res = resolver(IP);
    const cases: Array<[string, string]> = [
      ['contoso.westus.geo.stampede.test', '127.3.11.1'],
      ['fabrikam.westeurope.geo.stampede.test', '127.3.12.1'],
      ['contoso.westus.data.stampede.test', '127.3.11.1'],
      ['eastus-b0.blob.stampede.test', '127.3.10.10'],
      ['westeurope-b3.blob.stampede.test', '127.3.12.13'],
      ['login.stampede.test', '127.3.9.1'],
    ];
    for (const [name, ip] of cases) {
      expect(await res.resolve4(name, { ttl: true })).toEqual([{ address: ip, ttl: 120 }]);
      expect(dns.resolve(name)).toEqual([ip]);
    }
    // Case-insensitive, and the answer keeps the asker's case (0x20 randomisation).
    const d = await dig(IP, 'CONTOSO.EastUS.geo.stampede.test');
    expect(d.answer[0]).toMatchObject({ name: 'CONTOSO.EastUS.geo.stampede.test.', data: '127.3.10.1' });
  });

  it('says NXDOMAIN with the SOA (negative TTL) for unknown names under the domain', async () => {
    const d = await dig(IP, 'nope.stampede.test');
    expect(d.status).toBe('NXDOMAIN');
    expect(d.flags).toContain('aa');
    expect(d.answer).toEqual([]);
    expect(d.authority).toHaveLength(1);
    expect(d.authority[0]).toMatchObject({ name: 'stampede.test.', type: 'SOA', ttl: 15 });
    expect(d.authority[0]?.data.split(' ').at(-1)).toBe('15'); // SOA minimum = negative TTL
    await expect(resolver(IP).resolve4('contoso.mars.geo.stampede.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(dns.resolve('nope.stampede.test')).toEqual([]);
  });

  it('answers AAAA for a known name with NOERROR and no records (NODATA), like empty non-terminals', async () => {
    for (const [name, type] of [
      ['contoso.stampede.test', 'AAAA'],
      ['eastus-b1.blob.stampede.test', 'AAAA'],
      ['geo.stampede.test', 'A'],
      ['westus.data.stampede.test', 'A'],
    ] as const) {
      const d = await dig(IP, name, type, '+tcp');
      expect(d.status, name).toBe('NOERROR');
      expect(d.answer, name).toEqual([]);
      expect(d.authority[0]?.type, name).toBe('SOA');
    }
    await expect(resolver(IP).resolve6('contoso.stampede.test')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('refuses names outside its domain, without the authoritative bit', async () => {
    const d = await dig(IP, 'example.com');
    expect(d.status).toBe('REFUSED');
    expect(d.flags).not.toContain('aa');
    expect((await dig(IP, 'stampede.test.example.com', 'A', '+tcp')).status).toBe('REFUSED');
    await expect(resolver(IP).resolve4('registry.azurecr.io')).rejects.toMatchObject({ code: 'EREFUSED' });
    expect(dns.resolve('example.com')).toEqual([]);
  });

  it('serves the apex SOA and NS, and a TXT naming the region behind the global name', async () => {
    const soa = await resolver(IP).resolveSoa('stampede.test');
    expect(soa).toMatchObject({
      nsname: 'ns.stampede.test',
      hostmaster: 'hostmaster.stampede.test',
      minttl: 15,
    });
    expect(await resolver(IP).resolveNs('stampede.test')).toEqual(['ns.stampede.test']);
    expect(await resolver(IP).resolve4('ns.stampede.test')).toEqual([IP]);
    expect(await resolver(IP).resolveTxt('contoso.stampede.test')).toEqual([
      ['regions=eastus', 'reason=performance'],
    ]);
  });
});

describe('protocol', () => {
  it('echoes EDNS, and answers BADVERS to an EDNS version it does not speak', async () => {
    const d = await dig(IP, 'contoso.stampede.test', 'A', '+edns=1', '+noednsneg');
    expect(d.status).toBe('BADVERS');
    const ok = await dig(IP, 'contoso.stampede.test', 'A', '+edns=0');
    expect(ok.status).toBe('NOERROR');
  });

  it('sets TC when a UDP answer exceeds 512 octets without EDNS; TCP and EDNS get everything', async () => {
    const trunc = await dig(BIG_IP, 'contoso.stampede.test', 'A', '+notcp', '+noedns', '+ignore');
    expect(trunc.flags).toContain('tc');
    expect(trunc.answer).toEqual([]);
    const tcp = await dig(BIG_IP, 'contoso.stampede.test', 'A', '+tcp');
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(40);
    expect(tcp.answer[0]?.data).toBe('127.3.10.1'); // the client's region first
    const edns = await dig(BIG_IP, 'contoso.stampede.test', 'A', '+notcp', '+bufsize=1232', '+ignore');
    expect(edns.flags).not.toContain('tc');
    expect(edns.answer).toHaveLength(40);
    // c-ares falls back to TCP on TC by itself.
    expect(await resolver(BIG_IP).resolve4('contoso.stampede.test')).toHaveLength(40);
    expect(big.status().queries.truncated).toBeGreaterThanOrEqual(1);
  });

  it('frames several TCP queries on one connection, even when they arrive byte by byte', async () => {
    const q = (id: number, name: string): Buffer => {
      const body = encode({
        id,
        flags: { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0 },
        questions: [{ name, type: TYPE.A, class: 1 }],
        answers: [],
        authorities: [],
        additionals: [],
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      return Buffer.concat([len, body]);
    };
    const wire = Buffer.concat([
      q(1, 'contoso.stampede.test'),
      q(2, 'login.stampede.test'),
      q(3, 'x.stampede.test'),
    ]);
    const replies = await new Promise<Message[]>((resolve, reject) => {
      const sock = connect({ host: IP, port: PORT });
      const got: Message[] = [];
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('no TCP replies')), 5000);
      sock.on('connect', async () => {
        for (const b of wire) {
          sock.write(Buffer.from([b]));
          await new Promise((r) => setImmediate(r));
        }
      });
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          got.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (got.length === 3) {
          clearTimeout(timer);
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
    });
    expect(replies.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(replies.map((m) => m.flags.rcode)).toEqual([0, 0, 3]);
    expect(replies[0]?.answers[0]).toMatchObject({ type: TYPE.A, address: '127.3.10.1', ttl: 7 });
    expect(replies[1]?.answers[0]).toMatchObject({ type: TYPE.A, address: '127.3.9.1' });
  });

  it('answers garbage with FORMERR and never answers a response', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const send = (b: Buffer) => new Promise<void>((r) => sock.send(b, PORT, IP, () => r()));
    // A header claiming one question, then a label running past the end.
    await send(Buffer.from([0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61]));
    // A well-formed message with QR set: a server must stay silent.
    const resp = encode({
      id: 0x1234,
      flags: { qr: true, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0 },
      questions: [{ name: 'contoso.stampede.test', type: TYPE.A, class: 1 }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    await send(resp);
    await new Promise((r) => setTimeout(r, 300));
    sock.close();
    expect(got).toHaveLength(1);
    const m = decode(got[0] as Buffer);
    expect(m.id).toBe(0xbeef);
    expect(m.flags).toMatchObject({ qr: true, rcode: 1 });
  });

  it('counts what it served in status()', () => {
    const s = dns.status();
    expect(s.queries.total).toBeGreaterThan(20);
    expect(s.queries.tcp).toBeGreaterThan(3);
    expect(s.queries.byRcode.NXDOMAIN).toBeGreaterThanOrEqual(2);
    expect(s.queries.byRcode.REFUSED).toBeGreaterThanOrEqual(3);
    expect(s.queries.byRcode.FORMERR).toBe(1); // the garbage datagram
    expect(s.queries.dropped).toBe(1); // the response sent to us
    expect(s.queries.endpointReturned['contoso.stampede.test']?.eastus).toBeGreaterThanOrEqual(3);
    expect(s.answers['contoso.stampede.test']).toMatchObject({
      regions: ['eastus'],
      ttl: 7,
      reason: 'performance',
    });
    expect(s.endpoints).toHaveLength(6);
    expect(s.endpoints.every((e) => e.status === 'online' && e.probes >= 1)).toBe(true);
  });
});

describe('lifecycle', () => {
  it('refuses a taken address, and stop() frees it and ends probing', async () => {
    const ip = '127.3.0.57';
    let probes = 0;
    const st = labState(ip, ['dns.probeIntervalS=0.05', 'dns.probeTimeoutS=0.05']);
    const a = await startDns(st, {
      probe: async () => {
        probes++;
        return true;
      },
    });
    await expect(startDns(labState(ip, []), { probe: async () => true })).rejects.toThrow(/EADDRINUSE/);
    expect(st.components.get('dns')?.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(probes).toBeGreaterThanOrEqual(3 * 2); // 3 regions, at least two rounds
    await a.stop();
    const after = probes;
    await new Promise((r) => setTimeout(r, 200));
    expect(probes).toBe(after);
    expect(st.components.get('dns')).toMatchObject({ ok: false, detail: 'stopped' });
    const b = await startDns(labState(ip, []), { probe: async () => true });
    expect((await dig(ip, 'contoso.stampede.test')).answer[0]?.data).toBe('127.3.10.1');
    await b.stop();
  });
});

describe('codec', () => {
  it('round-trips every record type it knows and compresses repeated names', () => {
    const m: Message = {
      id: 7,
      flags: { qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, rcode: 0 },
      questions: [{ name: 'a.b.stampede.test', type: TYPE.ANY, class: 1 }],
      answers: [
        { name: 'a.b.stampede.test', type: TYPE.A, class: 1, ttl: 5, address: '10.1.2.3' },
        { name: 'a.b.stampede.test', type: TYPE.AAAA, class: 1, ttl: 5, address: 'fd00:0:0:0:0:0:0:1' },
        { name: 'a.b.stampede.test', type: TYPE.CNAME, class: 1, ttl: 5, target: 'c.stampede.test' },
        { name: 'a.b.stampede.test', type: TYPE.TXT, class: 1, ttl: 5, texts: ['one', 'two words'] },
      ],
      authorities: [
        {
          name: 'stampede.test',
          type: TYPE.SOA,
          class: 1,
          ttl: 9,
          soa: {
            mname: 'ns.stampede.test',
            rname: 'h.stampede.test',
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 5,
          },
        },
      ],
      additionals: [{ name: '', type: TYPE.OPT, class: 1232, ttl: 0, raw: new Uint8Array(0) }],
    };
    const bytes = encode(m);
    const back = decode(bytes);
    expect(back).toEqual({
      ...m,
      answers: m.answers.map((a) => (a.type === TYPE.AAAA ? { ...a, address: 'fd00:0:0:0:0:0:0:1' } : a)),
    });
    // Without compression the owner name alone would appear 5 times (19 octets each).
    expect(bytes.toString('latin1').split('stampede').length - 1).toBe(1);
    expect(
      encode({ ...m, answers: [{ ...m.answers[1], address: 'fd00::1' } as (typeof m.answers)[number]] }),
    ).toEqual(encode({ ...m, answers: [m.answers[1] as (typeof m.answers)[number]] }));
  });

  it('rejects compression loops and truncated messages', () => {
    const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => decode(loop)).toThrow(WireError);
    expect(() => decode(Buffer.from([0, 1, 0]))).toThrow(WireError);
    // A StampedeError with a stable code, like every error of the project.
    expect(() => decode(loop)).toThrow(expect.objectContaining({ code: 'DNS_MALFORMED', exitCode: 1 }));
  });
});
