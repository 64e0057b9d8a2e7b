import { describeOperationsStore } from './operations-contract.js';
import { describePostgres, openTestStore } from './postgres.js';
import { describeMessageStore } from './store-contract.js';

describePostgres('postgres store contract', () => {
  describeMessageStore('postgres', () => openTestStore());
  describeOperationsStore('postgres', () => openTestStore());
});
