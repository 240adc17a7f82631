/**
 * The lab's own certificate authority. Azure SDK clients refuse plain HTTP for anything
 * carrying a bearer token (MSAL rejects non-https authorities, core-rest-pipeline's bearer
 * policy rejects non-https endpoints), so whatever they talk to in the lab needs TLS with
 * a certificate they can be told to trust. One CA per lab state dir, made with the
 * `openssl` CLI (no crypto library to pin); leaf certificates are issued per set of names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { RunError } from '../../errors';

export interface LabCa {
  dir: string;
  /** PEM file to trust: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, or `tlsOptions.ca` in SDK options. */
  certPath: string;
  certPem: string;
}

export interface ServerCert {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export const OPENSSL_BIN = process.env.STAMPEDE_OPENSSL_BIN ?? 'openssl';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync(OPENSSL_BIN, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new RunError(
      'LAB_CA_FAILED',
      `openssl ${args[0]} failed: ${stderr || (e as Error).message}`.slice(0, 500),
      { cause: e },
    );
  }
}

// P-256 keys: generation is instant, and Node, Go (k6) and skopeo all accept them.
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates the CA in `dir` once; later calls (and later lab starts) reuse it. */
export function ensureLabCa(dir: string): LabCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'ca.crt');
  if (!existsSync(certPath) || !existsSync(join(dir, 'ca.key'))) {
    openssl(
      [
        'req',
        '-x509',
        ...EC,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '30',
        '-subj',
        '/CN=stampede lab CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
  }
  return { dir, certPath, certPem: readFileSync(certPath, 'utf8') };
}

/**
 * A server certificate for `names` (DNS names and/or IP addresses), signed by the lab CA.
 * `label` names the files (<label>.crt/.key) in the CA dir; reissued on every call so a
 * changed name list never leaves a stale certificate behind.
 */
export function issueCert(ca: LabCa, label: string, names: string[]): ServerCert {
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(label)) throw new RunError('LAB_CA_FAILED', `bad cert label ${label}`);
  if (names.length === 0) throw new RunError('LAB_CA_FAILED', `cert ${label}: no names`);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ext = `${label}.ext`;
  writeFileSync(
    join(ca.dir, ext),
    [
      `subjectAltName=${san}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  const cn = (names.find((n) => !isIP(n)) ?? names[0]) as string;
  openssl(
    [
      'req',
      '-new',
      ...EC,
      '-keyout',
      `${label}.key`,
      '-out',
      `${label}.csr`,
      '-subj',
      `/CN=${cn.slice(0, 64)}`,
    ],
    ca.dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${label}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${label}.crt`,
      '-days',
      '30',
      '-extfile',
      ext,
    ],
    ca.dir,
  );
  const certPath = join(ca.dir, `${label}.crt`);
  const keyPath = join(ca.dir, `${label}.key`);
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
