import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { startTestSystem, tempDir, TEST_ADMIN_PASSWORD } from '../../helpers/system.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { requireProgram } from '../../helpers/tools.js';

// Optional HTTPS: with a certificate and key in the config, HTTP (and so the dashboard) is TLS only.
const openssl = requireProgram('/usr/bin/openssl', 'openssl');

function request(
  url: string,
  ca: Buffer,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      { method: data ? 'POST' : 'GET', ca, headers: data ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe.skipIf(!openssl.available)('HTTPS', () => {
  it('when TLS_CERT_FILE and TLS_KEY_FILE are set, then the API is served over TLS with a Secure session cookie', async () => {
    const { certFile, keyFile, cert: ca } = selfSignedCert(tempDir());
    const system = await startTestSystem({ env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
    const base = `https://127.0.0.1:${system.httpAddress.port}`;
    expect((await request(`${base}/healthz`, ca)).status).toBe(200);
    const login = await request(`${base}/api/session`, ca, { username: 'admin', password: TEST_ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly/i);
    expect(String(login.headers['set-cookie'])).toMatch(/Secure/i);
    expect(String(login.headers['set-cookie'])).toMatch(/SameSite=Strict/i);
    // Plain HTTP on the same port is not served.
    await expect(fetch(`http://127.0.0.1:${system.httpAddress.port}/healthz`)).rejects.toThrow();
  });
});
