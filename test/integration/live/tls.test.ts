import { describe, expect, it } from 'vitest';
import { loginAdmin } from '../../helpers/api.js';
import { isSnapshot, open } from '../../helpers/live-client.js';
import { ownHub } from '../../helpers/live-hub.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { requireProgram } from '../../helpers/tools.js';

// The slow-client rule over TLS (issue 12): right after the upgrade the TLS socket may still hold
// the 101 answer, so "nothing waiting" cannot be read from bufferedAmount; a snapshot larger than
// maxBufferedBytes was then cut off as "too slow" on every reconnect, and the page never loaded.
const openssl = requireProgram('/usr/bin/openssl', 'openssl');

describe.skipIf(!openssl.available)('live hub over TLS', () => {
  it('when the snapshot is larger than the buffered-bytes limit, then over TLS it still arrives whole', async () => {
    const system = await startTestSystem({ scheduler: false });
    for (let i = 0; i < 40; i++) system.provision({ room: String(100 + i) });
    const tls = selfSignedCert(tempDir());
    const { port } = await ownHub(system, { tls, maxBufferedBytes: 2048 });
    const admin = await loginAdmin(system.app);

    const client = await open(port, { cookie: admin.cookie, ca: tls.cert });
    const snapshot = await client.next(isSnapshot);
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(2048);
    expect((snapshot as unknown as { households: unknown[] }).households).toHaveLength(40);
  });
});
