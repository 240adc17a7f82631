/**
 * TLS in front of a plain-HTTP lab endpoint, with a lab-CA certificate: the Azure SDK's
 * bearer policy refuses non-https registry endpoints, so SDK clients reach a front through
 * one of these (the way Azure terminates TLS before a registry's front end). Bytes are
 * relayed untouched, so Host headers, redirects and auth behave exactly as over HTTP.
 */
import { connect } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { RunError } from '../../errors';
import type { Component } from '../state';
import type { ServerCert } from './ca';

export interface TlsTerminator extends Component {
  url: string;
  connections(): number;
}

export async function startTlsTerminator(o: {
  name?: string;
  listen: { ip: string; port: number };
  target: { ip: string; port: number };
  cert: Pick<ServerCert, 'cert' | 'key'>;
}): Promise<TlsTerminator> {
  let total = 0;
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer({ key: o.cert.key, cert: o.cert.cert }, (client) => {
    total++;
    const upstream = connect(o.target.port, o.target.ip);
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {
    // a client that does not trust the lab CA: its own error, nothing to do here
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new RunError('TLS_LISTEN', `cannot listen on ${o.listen.ip}:${o.listen.port}: ${e.message}`)),
    );
    server.listen(o.listen.port, o.listen.ip, () => resolve());
  });
  return {
    name: o.name ?? `tls:${o.listen.ip}:${o.listen.port}`,
    url: `https://${o.listen.ip}:${o.listen.port}`,
    connections: () => total,
    // Clients keep idle connections alive: close them, or close() waits for their timeout.
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of open) s.destroy();
      }),
  };
}
