/** Ordered, append-only: a released migration is never edited, only followed by a new one. */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL,
     dispatch_state TEXT NOT NULL,
     api_key_id TEXT NOT NULL,
     idempotency_key TEXT,
     callback_url TEXT,
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
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX messages_dispatch ON messages (dispatch_state, created_at);
   CREATE INDEX messages_provider ON messages (provider_id, provider_message_id);
   CREATE TABLE attempts (
     message_id TEXT NOT NULL REFERENCES messages (id),
     sequence INTEGER NOT NULL,
     provider_id TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     latency_ms REAL,
     outcome TEXT NOT NULL,
     error_kind TEXT,
     error_code TEXT,
     error_message TEXT,
     provider_message_id TEXT,
     possible_duplicate INTEGER NOT NULL DEFAULT 0,
     reason TEXT,
     PRIMARY KEY (message_id, sequence)
   );
   CREATE INDEX attempts_provider ON attempts (provider_id, provider_message_id);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL REFERENCES messages (id),
     provider_id TEXT NOT NULL,
     provider_message_id TEXT NOT NULL,
     status TEXT NOT NULL,
     provider_status TEXT NOT NULL,
     occurred_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     event_key TEXT NOT NULL UNIQUE,
     detail TEXT
   );
   CREATE INDEX events_message ON events (message_id, id);
   CREATE TABLE idempotency_keys (
     api_key_id TEXT NOT NULL,
     key TEXT NOT NULL,
     request_hash TEXT NOT NULL,
     message_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (api_key_id, key)
   );
   CREATE TABLE callback_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending'
   );
   CREATE INDEX callback_due ON callback_outbox (state, next_attempt_at);
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL
   );`,
  // Replay tokens of webhooks whose signature does not cover the body (Mailgun), kept with a hash
  // of the body they came with.
  `CREATE TABLE webhook_replay_tokens (
     provider_id TEXT NOT NULL,
     token TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (provider_id, token)
   );`,
  // Message lifecycle: callbacks numbered per message, receipts matched to the latest send,
  // retry rounds, receipt deadlines and status look-ups, each with an index for its sweeper.
  `ALTER TABLE messages ADD COLUMN sent_at INTEGER;
   ALTER TABLE messages ADD COLUMN receipt_due_at INTEGER;
   ALTER TABLE messages ADD COLUMN reconcile_at INTEGER;
   ALTER TABLE messages ADD COLUMN reconcile_attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN retry_round INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN retry_reason TEXT;
   ALTER TABLE messages ADD COLUMN next_attempt_at INTEGER;
   ALTER TABLE messages ADD COLUMN callback_sequence INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE callback_outbox ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX callback_message ON callback_outbox (message_id, sequence);
   UPDATE callback_outbox SET sequence = (
     SELECT COUNT(*) FROM callback_outbox AS earlier
     WHERE earlier.message_id = callback_outbox.message_id AND earlier.id <= callback_outbox.id);
   UPDATE messages SET callback_sequence = (SELECT COUNT(*) FROM callback_outbox WHERE message_id = messages.id)
   WHERE id IN (SELECT message_id FROM callback_outbox);
   -- Sent before this version: the send time is the last update, the deadline the default 72 h.
   UPDATE messages SET sent_at = updated_at WHERE provider_message_id IS NOT NULL;
   UPDATE messages SET receipt_due_at = updated_at + 259200000
   WHERE dispatch_state = 'done' AND status IN ('queued', 'sent');
   DROP INDEX messages_provider;
   CREATE INDEX messages_provider ON messages (provider_id, provider_message_id, sent_at);
   CREATE INDEX messages_retry_due ON messages (next_attempt_at) WHERE dispatch_state = 'waiting';
   CREATE INDEX messages_receipt_due ON messages (receipt_due_at) WHERE receipt_due_at IS NOT NULL;
   CREATE INDEX messages_reconcile_due ON messages (reconcile_at) WHERE reconcile_at IS NOT NULL;
   CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);`,
  // Migrations an operator can run: each message and attempt knows its migration, side and
  // destination (analysis reads them by migration and time), when it was delivered; runtime
  // control state, an audit log that says who, why, before and after; plans and their checks;
  // shadow validations; the alert outbox.
  `ALTER TABLE messages ADD COLUMN route_id TEXT;
   ALTER TABLE messages ADD COLUMN migration_id TEXT;
   ALTER TABLE messages ADD COLUMN migration_side TEXT;
   ALTER TABLE messages ADD COLUMN destination TEXT;
   ALTER TABLE messages ADD COLUMN delivered_at INTEGER;
   CREATE INDEX messages_migration ON messages (migration_id, created_at) WHERE migration_id IS NOT NULL;
   ALTER TABLE attempts ADD COLUMN migration_id TEXT;
   CREATE INDEX attempts_migration ON attempts (migration_id, started_at) WHERE migration_id IS NOT NULL;
   ALTER TABLE audit_log ADD COLUMN subject TEXT;
   ALTER TABLE audit_log ADD COLUMN reason TEXT;
   ALTER TABLE audit_log ADD COLUMN before TEXT;
   ALTER TABLE audit_log ADD COLUMN after TEXT;
   CREATE INDEX audit_subject ON audit_log (subject, id);
   CREATE INDEX audit_actor ON audit_log (actor, id);
   CREATE TABLE control_state (
     subject TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL,
     reason TEXT
   );
   CREATE TABLE migration_plans (
     migration_id TEXT PRIMARY KEY,
     plan TEXT NOT NULL,
     state TEXT NOT NULL,
     origin TEXT NOT NULL,
     config_hash TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE migration_checks (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     migration_id TEXT NOT NULL,
     at INTEGER NOT NULL,
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
     at INTEGER NOT NULL,
     accepted INTEGER NOT NULL,
     latency_ms REAL NOT NULL,
     error_kind TEXT,
     error_code TEXT,
     reason TEXT,
     PRIMARY KEY (message_id, provider_id)
   );
   CREATE INDEX shadow_by_migration ON shadow_validations (migration_id, at);
   CREATE TABLE alert_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending',
     created_at INTEGER NOT NULL
   );
   CREATE INDEX alert_due ON alert_outbox (state, next_attempt_at);`,
  // Drop-in ingress: the provider API a message came in through (its callbacks take that API's
  // format), each callback's format for the worker to sign, and values the gateway generates once
  // and keeps (the SendGrid event signing key).
  `ALTER TABLE messages ADD COLUMN ingress TEXT;
   ALTER TABLE callback_outbox ADD COLUMN format TEXT;
   CREATE TABLE gateway_secrets (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // Recent messages by recipient (the dashboard's look-up): one row per recipient of a message's
  // \`to\` (an SMS number as stored, an email address in lower case), newest first by the key.
  `CREATE TABLE message_recipients (
     recipient TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     message_id TEXT NOT NULL,
     PRIMARY KEY (recipient, created_at, message_id)
   ) WITHOUT ROWID;
   INSERT OR IGNORE INTO message_recipients (recipient, created_at, message_id)
     SELECT json_extract(payload, '$.to'), created_at, id FROM messages
     WHERE json_type(payload, '$.to') = 'text';
   INSERT OR IGNORE INTO message_recipients (recipient, created_at, message_id)
     SELECT lower(json_extract(address.value, '$.email')), message.created_at, message.id
     FROM messages AS message, json_each(message.payload, '$.to') AS address
     WHERE json_type(message.payload, '$.to') = 'array' AND json_extract(address.value, '$.email') IS NOT NULL;`,
  // Throughput: the queue lives in the store. A message is claimed by a dispatcher instance under
  // its lease (accepted already claimed when a dispatcher has room, else claimed in batches, oldest
  // first, through messages_dispatch); the backlog per API key is counted over the queued rows
  // only; attempts are no longer looked up by provider message id (receipts match messages), so
  // that index goes; replay tokens are pruned by age with the rest of old data.
  `ALTER TABLE messages ADD COLUMN claimed_by TEXT;
   CREATE TABLE dispatch_instances (
     id TEXT PRIMARY KEY,
     lease_until INTEGER NOT NULL,
     started_at INTEGER NOT NULL
   );
   CREATE INDEX messages_queued_by_key ON messages (api_key_id, created_at) WHERE dispatch_state = 'queued';
   DROP INDEX attempts_provider;
   CREATE INDEX webhook_replay_tokens_age ON webhook_replay_tokens (received_at);`,
  // Receipts that come before their send's outcome is stored (a provider may post a receipt while
  // the gateway is still committing the answer to the send) are held, not dropped, until that
  // send is stored or their hold ends.
  `CREATE TABLE held_receipts (
     id INTEGER PRIMARY KEY,
     provider_id TEXT NOT NULL,
     provider_message_id TEXT NOT NULL,
     receipt TEXT NOT NULL,
     sent_since INTEGER NOT NULL,
     hold_until INTEGER NOT NULL
   );
   CREATE INDEX held_receipts_send ON held_receipts (provider_id, provider_message_id);
   CREATE INDEX held_receipts_until ON held_receipts (hold_until);`,
  // Dashboard sessions, shared by every instance on the store and kept across restarts.
  `CREATE TABLE dashboard_sessions (
     hash TEXT PRIMARY KEY,
     key_id TEXT NOT NULL,
     scopes TEXT NOT NULL,
     csrf_token TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   );`,
  // Campaigns, credits and cost: a campaign's recipients (one per number or address, in upload
  // order) become ordinary messages that name it, counted by status, provider and error kind in
  // campaign_counts as they move (progress never scans a campaign's messages); credits are an append-only ledger whose sum per
  // account is cached in credit_accounts in the same transaction; a message carries what it holds
  // of its account until its send settles it; spend per provider instance and month is kept for
  // the spend limits.
  `CREATE TABLE campaigns (
     id TEXT PRIMARY KEY,
     api_key_id TEXT NOT NULL,
     account TEXT,
     state TEXT NOT NULL,
     definition TEXT NOT NULL,
     report TEXT,
     bulk INTEGER,
     reserved INTEGER NOT NULL DEFAULT 0,
     materialized INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE INDEX campaigns_by_key ON campaigns (api_key_id, created_at);
   CREATE TABLE campaign_recipients (
     campaign_id TEXT NOT NULL,
     sequence INTEGER NOT NULL,
     recipient TEXT NOT NULL,
     variables TEXT,
     state TEXT NOT NULL DEFAULT 'pending',
     message_id TEXT,
     PRIMARY KEY (campaign_id, sequence)
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX campaign_recipients_unique ON campaign_recipients (campaign_id, recipient);
   CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, sequence) WHERE state = 'pending';
   ALTER TABLE messages ADD COLUMN campaign_id TEXT;
   ALTER TABLE messages ADD COLUMN bulk_id TEXT;
   ALTER TABLE messages ADD COLUMN charge_account TEXT;
   ALTER TABLE messages ADD COLUMN charge_held INTEGER;
   ALTER TABLE messages ADD COLUMN charged INTEGER;
   CREATE INDEX messages_campaign ON messages (campaign_id, dispatch_state) WHERE campaign_id IS NOT NULL;
   CREATE TABLE campaign_counts (
     campaign_id TEXT NOT NULL,
     status TEXT NOT NULL,
     provider_id TEXT NOT NULL DEFAULT '',
     error_kind TEXT NOT NULL DEFAULT '',
     messages INTEGER NOT NULL DEFAULT 0,
     cost INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (campaign_id, status, provider_id, error_kind)
   ) WITHOUT ROWID;
   ALTER TABLE campaigns ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE credit_ledger (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     account TEXT NOT NULL,
     kind TEXT NOT NULL,
     amount INTEGER NOT NULL,
     message_id TEXT,
     campaign_id TEXT,
     reference TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX credit_ledger_account ON credit_ledger (account, id);
   CREATE TABLE credit_accounts (
     account TEXT PRIMARY KEY,
     balance INTEGER NOT NULL DEFAULT 0,
     held INTEGER NOT NULL DEFAULT 0,
     debited INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE provider_spend (
     provider_id TEXT NOT NULL,
     month TEXT NOT NULL,
     amount INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (provider_id, month)
   );
   CREATE TABLE message_costs (
     message_id TEXT PRIMARY KEY,
     provider_id TEXT NOT NULL,
     migration_side TEXT,
     campaign_id TEXT,
     api_key_id TEXT NOT NULL,
     day TEXT NOT NULL,
     at INTEGER NOT NULL,
     amount INTEGER NOT NULL
   );
   CREATE INDEX message_costs_at ON message_costs (at);`,
  // A campaign sent on a route of its own: its messages name the route.
  `ALTER TABLE messages ADD COLUMN override_route TEXT;`,
];
