/**
 * The DNS transport: UDP (RFC 1035 §4.2.1, 512 octets or the EDNS size the client
 * advertises, TC bit beyond) and TCP (§4.2.2, two-octet length prefix, several queries per
 * connection). `answer` builds the response; this file only moves bytes.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { ClientInfo } from './routing';
import { decode, encode, type Message, OPCODE_QUERY, RCODE, TYPE, WireError } from './wire';

/** Our advertised EDNS payload size (the DNS flag day 2020 recommendation). */
export const EDNS_UDP_SIZE = 1232;
const TCP_IDLE_MS = 10_000;
const TCP_MAX_CONNECTIONS = 256;

export type Answerer = (query: Message, client: ClientInfo) => Message;

export interface TransportCounters {
  udp: number;
  tcp: number;
  truncated: number;
  dropped: number;
  /** Undecodable queries answered FORMERR (they never reach the answerer). */
  formerr: number;
}

function formErr(bytes: Uint8Array): Buffer | undefined {
  if (bytes.length < 2) return undefined;
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt16BE(0);
  return encode({
    id,
    flags: { qr: true, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: RCODE.FORMERR },
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  });
}

/** Decode, answer, encode; undefined = drop (not even a header to answer). */
function handle(
  bytes: Uint8Array,
  client: ClientInfo,
  answer: Answerer,
  counters: TransportCounters,
): { out?: Buffer; query?: Message } {
  let query: Message;
  try {
    query = decode(bytes);
  } catch (err) {
    if (err instanceof WireError) {
      const out = formErr(bytes);
      if (out) counters.formerr++;
      return { out };
    }
    throw err;
  }
  if (query.flags.qr) return {}; // a response sent to us: ignore, never answer answers
  return { out: encode(answer(query, client)), query };
}

function udpLimit(query: Message | undefined): number {
  const opt = query?.additionals.find((r) => r.type === TYPE.OPT);
  return opt ? Math.max(512, Math.min(opt.class, EDNS_UDP_SIZE)) : 512;
}

/** Re-encodes a response that does not fit: header + question, TC set (RFC 2181 §9). */
function truncate(response: Buffer, query: Message): Buffer {
  const m = decode(response);
  return encode({
    ...m,
    flags: { ...m.flags, tc: true },
    answers: [],
    authorities: [],
    additionals: m.additionals.filter((r) => r.type === TYPE.OPT),
    questions: query.questions,
  });
}

export interface DnsTransport {
  counters: TransportCounters;
  close(): Promise<void>;
}

export async function listenDns(ip: string, port: number, answer: Answerer): Promise<DnsTransport> {
  const counters: TransportCounters = { udp: 0, tcp: 0, truncated: 0, dropped: 0, formerr: 0 };
  const udp: Socket = createSocket({ type: 'udp4', reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    const client: ClientInfo = { address: rinfo.address, port: rinfo.port, transport: 'udp' };
    let res: { out?: Buffer; query?: Message };
    try {
      res = handle(msg, client, answer, counters);
    } catch {
      counters.dropped++;
      return;
    }
    if (!res.out) {
      counters.dropped++;
      return;
    }
    counters.udp++;
    let out = res.out;
    if (res.query && out.length > udpLimit(res.query)) {
      out = truncate(out, res.query);
      counters.truncated++;
    }
    udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: ip, port, exclusive: true }, () => {
      udp.off('error', reject);
      udp.on('error', () => {}); // a send to a vanished client must not kill the server
      resolve();
    });
  });

  const conns = new Set<TcpSocket>();
  const tcp: Server = createServer((sock) => {
    if (conns.size >= TCP_MAX_CONNECTIONS) {
      sock.destroy();
      return;
    }
    conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => {});
    const client: ClientInfo = {
      address: sock.remoteAddress ?? '',
      port: sock.remotePort ?? 0,
      transport: 'tcp',
    };
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let res: { out?: Buffer };
        try {
          res = handle(msg, client, answer, counters);
        } catch {
          res = {};
        }
        if (!res.out) {
          counters.dropped++;
          sock.destroy();
          return;
        }
        counters.tcp++;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(res.out.length);
        sock.write(Buffer.concat([prefix, res.out]));
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: ip, port, exclusive: true }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    udp.close();
    throw err;
  }

  return {
    counters,
    async close() {
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => {
          try {
            udp.close(() => r());
          } catch {
            r();
          }
        }),
      ]);
    },
  };
}

export function isQuery(m: Message): boolean {
  return m.flags.opcode === OPCODE_QUERY;
}
