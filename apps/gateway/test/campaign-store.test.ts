import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { describeCampaignStore } from './campaign-contract.js';

describeCampaignStore('sqlite (memory)', async () => new SqliteMessageStore({ path: ':memory:' }));
describeCampaignStore(
  'sqlite (file)',
  async () =>
    new SqliteMessageStore({ path: join(mkdtempSync(join(tmpdir(), 'msg-campaigns-')), 'g.sqlite') }),
);
