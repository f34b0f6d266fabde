import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A self-signed certificate for 127.0.0.1 made with Debian's openssl, valid for a day: RSA-2048,
 * or with `key: 'p256'` ECDSA on P-256 (the README's recommendation: a handshake costs the server
 * far less).
 */
export function selfSignedCert(
  dir: string,
  opts: { key?: 'rsa2048' | 'p256' } = {},
): { certFile: string; keyFile: string; cert: Buffer; key: Buffer } {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      ...(opts.key === 'p256' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['rsa:2048']),
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
}

/**
 * A CA and a server certificate for 127.0.0.1 signed by it, made with Debian's openssl. With
 * `expired`, the server certificate's validity ended in 2020 (`openssl ca` sets past dates; `req
 * -x509` cannot). The CA is valid for a day either way.
 */
export function caSignedCert(
  dir: string,
  opts: { expired?: boolean } = {},
): { caFile: string; certFile: string; keyFile: string; ca: Buffer } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('/usr/bin/openssl', args, { stdio: 'ignore', cwd: dir });
  // P-256 keys: quick to make, and the cheaper handshake a button's firmware would want too.
  const newKey = (subject: string, key: string) => [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    key,
  ];
  openssl(['req', '-x509', ...newKey('/CN=ribbon-test-ca', 'ca.key'), '-out', 'ca.pem', '-days', '1']);
  openssl(['req', ...newKey('/CN=127.0.0.1', 'server.key'), '-out', 'server.csr']);
  fs.writeFileSync(file('index.txt'), '');
  fs.writeFileSync(file('serial'), '01\n');
  fs.writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  fs.writeFileSync(
    file('ca.cnf'),
    '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\ndefault_md = sha256\nserial = serial\npolicy = p\n[p]\ncommonName = supplied\n',
  );
  const validity = opts.expired ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z'] : ['-days', '1'];
  openssl([
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.pem',
    '-keyfile',
    'ca.key',
    '-in',
    'server.csr',
    '-out',
    'server.pem',
    '-extfile',
    'ext.cnf',
    '-notext',
    ...validity,
  ]);
  return {
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    ca: fs.readFileSync(file('ca.pem')),
  };
}
