import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCredentialsFile } from '../../protocol/credentials.js';
import type { DeviceCredential } from '../../protocol/credentials.js';
import { writeCredentials } from '../admin/credentials-file.js';
import { openDatabase } from '../store/db.js';
import { createStores } from '../store/index.js';
import { seedDistrict } from './seed.js';

/**
 * The demo's own DATA_DIR: the database, the devices' credentials (demo-credentials.json, the
 * simulator's format) and the demo volunteer's login with the seed (demo.json, written last:
 * its presence says the seeding finished). Seeded once; later starts read the files.
 */
export type DemoData = {
  devices: DeviceCredential[];
  volunteer: { username: string; password: string };
  seed: number;
  /** True when this call seeded the district. */
  seeded: boolean;
};

export const DEMO_SEED = 20_141_127;

export async function ensureDemoData(dataDir: string, now: number, seed = DEMO_SEED): Promise<DemoData> {
  const credentialsPath = path.join(dataDir, 'demo-credentials.json');
  const demoPath = path.join(dataDir, 'demo.json');
  if (fs.existsSync(demoPath)) {
    const demo = JSON.parse(await readFile(demoPath, 'utf8')) as Pick<DemoData, 'volunteer' | 'seed'>;
    const { devices } = parseCredentialsFile(credentialsPath, await readFile(credentialsPath, 'utf8'));
    return { devices, volunteer: demo.volunteer, seed: demo.seed, seeded: false };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const stores = createStores(openDatabase(dataDir));
  try {
    if (stores.places.listBuildings().length > 0)
      throw new Error(
        `${dataDir} holds a database but no demo.json (a seeding cut short, or not the demo's): delete the folder and start again`,
      );
    const result = await seedDistrict(stores, { now, seed });
    await writeCredentials(credentialsPath, { devices: result.devices });
    const text = JSON.stringify({ volunteer: result.volunteer, seed }, null, 2);
    fs.writeFileSync(demoPath, `${text}\n`, { mode: 0o600 });
    return { devices: result.devices, volunteer: result.volunteer, seed, seeded: true };
  } finally {
    stores.db.close();
  }
}
