/**
 * The PostgreSQL schema, ordered and append-only like SQLITE_MIGRATIONS: a released migration is
 * never edited, only followed by a new one. The first one is the SQLite schema as it stands at
 * the adapter's first release; times are epoch milliseconds (BIGINT), as there.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     -- Insertion order: claims and receipt matching break ties of equal times by it.
     seq BIGINT GENERATED ALWAYS AS IDENTITY,
     channel TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL,
     dispatch_state TEXT NOT NULL,
     api_key_id TEXT NOT NULL,
     idempotency_key TEXT,
     callback_url TEXT,
     ingress TEXT,
     override_provider TEXT,
     provider_id TEXT,
     provider_message_id TEXT,
     routing_reason TEXT,
     segments INTEGER,
     cost_amount TEXT,
     cost_currency TEXT,
     error_kind TEXT,
     error_code TEXT,
     error_message TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     sent_at BIGINT,
     receipt_due_at BIGINT,
     reconcile_at BIGINT,
     reconcile_attempts INTEGER NOT NULL DEFAULT 0,
     retry_round INTEGER NOT NULL DEFAULT 0,
     retry_reason TEXT,
     next_attempt_at BIGINT,
     callback_sequence INTEGER NOT NULL DEFAULT 0,
     route_id TEXT,
     migration_id TEXT,
     migration_side TEXT,
     destination TEXT,
     delivered_at BIGINT,
     claimed_by TEXT
   );
   CREATE INDEX messages_dispatch ON messages (dispatch_state, created_at, seq);
   CREATE INDEX messages_provider ON messages (provider_id, provider_message_id, sent_at);
   CREATE INDEX messages_retry_due ON messages (next_attempt_at) WHERE dispatch_state = 'waiting';
   CREATE INDEX messages_receipt_due ON messages (receipt_due_at) WHERE receipt_due_at IS NOT NULL;
   CREATE INDEX messages_reconcile_due ON messages (reconcile_at) WHERE reconcile_at IS NOT NULL;
   CREATE INDEX messages_migration ON messages (migration_id, created_at) WHERE migration_id IS NOT NULL;
   CREATE INDEX messages_queued_by_key ON messages (api_key_id, created_at) WHERE dispatch_state = 'queued';
   CREATE INDEX messages_in_flight ON messages (claimed_by) WHERE dispatch_state = 'in-flight';
   CREATE INDEX messages_finished ON messages (created_at) WHERE dispatch_state = 'done';
   CREATE TABLE attempts (
     message_id TEXT NOT NULL REFERENCES messages (id),
     sequence INTEGER NOT NULL,
     provider_id TEXT NOT NULL,
     started_at BIGINT NOT NULL,
     finished_at BIGINT,
     latency_ms DOUBLE PRECISION,
     outcome TEXT NOT NULL,
     error_kind TEXT,
     error_code TEXT,
     error_message TEXT,
     provider_message_id TEXT,
     possible_duplicate BOOLEAN NOT NULL DEFAULT FALSE,
     reason TEXT,
     migration_id TEXT,
     PRIMARY KEY (message_id, sequence)
   );
   CREATE INDEX attempts_migration ON attempts (migration_id, started_at) WHERE migration_id IS NOT NULL;
   CREATE TABLE events (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     message_id TEXT NOT NULL REFERENCES messages (id),
     provider_id TEXT NOT NULL,
     provider_message_id TEXT NOT NULL,
     status TEXT NOT NULL,
     provider_status TEXT NOT NULL,
     occurred_at BIGINT NOT NULL,
     received_at BIGINT NOT NULL,
     event_key TEXT NOT NULL UNIQUE,
     detail TEXT
   );
   CREATE INDEX events_message ON events (message_id, id);
   CREATE TABLE idempotency_keys (
     api_key_id TEXT NOT NULL,
     key TEXT NOT NULL,
     request_hash TEXT NOT NULL,
     message_id TEXT NOT NULL,
     expires_at BIGINT NOT NULL,
     PRIMARY KEY (api_key_id, key)
   );
   CREATE INDEX idempotency_expiry ON idempotency_keys (expires_at);
   CREATE TABLE callback_outbox (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     message_id TEXT NOT NULL,
     sequence INTEGER NOT NULL DEFAULT 0,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     format TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending',
     -- The instance whose worker is sending it, until when: another instance leaves it alone.
     leased_by TEXT,
     leased_until BIGINT
   );
   CREATE INDEX callback_due ON callback_outbox (state, next_attempt_at);
   CREATE INDEX callback_message ON callback_outbox (message_id, sequence);
   CREATE TABLE audit_log (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at BIGINT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL,
     subject TEXT,
     reason TEXT,
     before TEXT,
     after TEXT
   );
   CREATE INDEX audit_subject ON audit_log (subject, id);
   CREATE INDEX audit_actor ON audit_log (actor, id);
   CREATE TABLE webhook_replay_tokens (
     provider_id TEXT NOT NULL,
     token TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     received_at BIGINT NOT NULL,
     PRIMARY KEY (provider_id, token)
   );
   CREATE INDEX webhook_replay_tokens_age ON webhook_replay_tokens (received_at);
   CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at BIGINT NOT NULL);
   CREATE TABLE control_state (
     subject TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     updated_at BIGINT NOT NULL,
     updated_by TEXT NOT NULL,
     reason TEXT
   );
   CREATE TABLE migration_plans (
     migration_id TEXT PRIMARY KEY,
     plan TEXT NOT NULL,
     state TEXT NOT NULL,
     origin TEXT NOT NULL,
     config_hash TEXT,
     updated_at BIGINT NOT NULL
   );
   CREATE TABLE migration_checks (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     migration_id TEXT NOT NULL,
     at BIGINT NOT NULL,
     step INTEGER NOT NULL,
     verdict TEXT NOT NULL,
     checks TEXT NOT NULL,
     samples TEXT NOT NULL
   );
   CREATE INDEX migration_checks_by_migration ON migration_checks (migration_id, id);
   CREATE TABLE shadow_validations (
     message_id TEXT NOT NULL,
     migration_id TEXT NOT NULL,
     provider_id TEXT NOT NULL,
     at BIGINT NOT NULL,
     accepted BOOLEAN NOT NULL,
     latency_ms DOUBLE PRECISION NOT NULL,
     error_kind TEXT,
     error_code TEXT,
     reason TEXT,
     PRIMARY KEY (message_id, provider_id)
   );
   CREATE INDEX shadow_by_migration ON shadow_validations (migration_id, at);
   CREATE TABLE alert_outbox (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending',
     created_at BIGINT NOT NULL,
     leased_by TEXT,
     leased_until BIGINT
   );
   CREATE INDEX alert_due ON alert_outbox (state, next_attempt_at);
   CREATE TABLE gateway_secrets (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE message_recipients (
     recipient TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     message_id TEXT NOT NULL,
     PRIMARY KEY (recipient, created_at, message_id)
   );
   CREATE TABLE dispatch_instances (
     id TEXT PRIMARY KEY,
     lease_until BIGINT NOT NULL,
     started_at BIGINT NOT NULL
   );`,
  // Campaigns, credits and cost (SQLite's campaigns migration): recipients become messages that
  // name their campaign, counted in campaign_counts as they move; credits are an append-only ledger
  // whose sums per account credit_accounts caches in the same transaction (its row is the lock a
  // reservation takes); a message carries what it holds until its send settles it. Spend per
  // provider instance and month is spread over a few slots per month, summed when read, so the
  // settlements of concurrent sends do not all wait on one row.
  `CREATE TABLE campaigns (
     id TEXT PRIMARY KEY,
     api_key_id TEXT NOT NULL,
     account TEXT,
     state TEXT NOT NULL,
     definition TEXT NOT NULL,
     report TEXT,
     bulk BOOLEAN,
     reserved BIGINT NOT NULL DEFAULT 0,
     materialized BIGINT NOT NULL DEFAULT 0,
     cancelled INTEGER NOT NULL DEFAULT 0,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     started_at BIGINT,
     finished_at BIGINT
   );
   CREATE INDEX campaigns_by_key ON campaigns (api_key_id, created_at);
   CREATE INDEX campaigns_active ON campaigns (created_at) WHERE state IN ('running', 'scheduled', 'uploading');
   CREATE TABLE campaign_recipients (
     campaign_id TEXT NOT NULL,
     sequence INTEGER NOT NULL,
     recipient TEXT NOT NULL,
     variables TEXT,
     state TEXT NOT NULL DEFAULT 'pending',
     message_id TEXT,
     PRIMARY KEY (campaign_id, sequence)
   );
   CREATE UNIQUE INDEX campaign_recipients_unique ON campaign_recipients (campaign_id, recipient);
   CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, sequence) WHERE state = 'pending';
   ALTER TABLE messages ADD COLUMN campaign_id TEXT, ADD COLUMN bulk_id TEXT, ADD COLUMN charge_account TEXT,
     ADD COLUMN charge_held BIGINT, ADD COLUMN charged BIGINT;
   CREATE INDEX messages_campaign ON messages (campaign_id, dispatch_state) WHERE campaign_id IS NOT NULL;
   CREATE TABLE campaign_counts (
     campaign_id TEXT NOT NULL,
     status TEXT NOT NULL,
     provider_id TEXT NOT NULL DEFAULT '',
     error_kind TEXT NOT NULL DEFAULT '',
     messages BIGINT NOT NULL DEFAULT 0,
     cost BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (campaign_id, status, provider_id, error_kind)
   );
   CREATE TABLE credit_ledger (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     account TEXT NOT NULL,
     kind TEXT NOT NULL,
     amount BIGINT NOT NULL,
     message_id TEXT,
     campaign_id TEXT,
     reference TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX credit_ledger_account ON credit_ledger (account, id);
   CREATE TABLE credit_accounts (
     account TEXT PRIMARY KEY,
     balance BIGINT NOT NULL DEFAULT 0,
     held BIGINT NOT NULL DEFAULT 0,
     debited BIGINT NOT NULL DEFAULT 0
   );
   CREATE TABLE provider_spend (
     provider_id TEXT NOT NULL,
     month TEXT NOT NULL,
     slot INTEGER NOT NULL,
     amount BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (provider_id, month, slot)
   );
   CREATE TABLE message_costs (
     message_id TEXT PRIMARY KEY,
     provider_id TEXT NOT NULL,
     migration_side TEXT,
     campaign_id TEXT,
     api_key_id TEXT NOT NULL,
     day TEXT NOT NULL,
     at BIGINT NOT NULL,
     amount BIGINT NOT NULL
   );
   CREATE INDEX message_costs_at ON message_costs (at);`,
  // Receipts that come before their send is stored, held until it is (see the SQLite store's
  // migration of the same name); dashboard sessions, shared by every instance.
  `CREATE TABLE held_receipts (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     provider_id TEXT NOT NULL,
     provider_message_id TEXT NOT NULL,
     receipt TEXT NOT NULL,
     sent_since BIGINT NOT NULL,
     hold_until BIGINT NOT NULL
   );
   CREATE INDEX held_receipts_send ON held_receipts (provider_id, provider_message_id);
   CREATE INDEX held_receipts_until ON held_receipts (hold_until);
   CREATE TABLE dashboard_sessions (
     hash TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     scopes TEXT NOT NULL,
     csrf_token TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     last_seen_at BIGINT NOT NULL
   );
   CREATE INDEX dashboard_sessions_created ON dashboard_sessions (created_at);`,
  // A campaign sent on a route of its own (see the SQLite store's migration of the same name).
  `ALTER TABLE messages ADD COLUMN override_route TEXT;`,
];
