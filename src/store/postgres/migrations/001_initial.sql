-- Schema v1. Applied by src/store/postgres/migrate.ts inside one transaction under an advisory
-- lock, which also keeps `schema_migrations` (version, name, applied_at).
-- Times the engine compares with its injected clock are bigint milliseconds since the epoch;
-- times people read are timestamptz.

-- Durable timers, claimed with a lease: a timer is claimable when due <= now and it is not leased
-- (lease_until IS NULL) or its lease ran out (lease_until < now). `revision` changes at every
-- schedule and every claim, so a completion removes only the timer it claimed.
CREATE SEQUENCE timer_revisions;

CREATE TABLE timers (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  due         bigint NOT NULL,
  payload     jsonb NOT NULL,
  lease_owner text,
  lease_until bigint,
  revision    bigint NOT NULL DEFAULT nextval('timer_revisions'),
  CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
);
-- Claims walk timers in due order; the partial indexes answer "when is the next one claimable".
CREATE INDEX timers_due ON timers (due);
CREATE INDEX timers_unleased_due ON timers (due) WHERE lease_owner IS NULL;
CREATE INDEX timers_lease_until ON timers (lease_until) WHERE lease_owner IS NOT NULL;

-- Messages with their attempts and history (the whole record in `body`); the columns beside it
-- are what lists and retention filter on.
CREATE TABLE messages (
  id         text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  status     text NOT NULL,
  route      text NOT NULL,
  body       jsonb NOT NULL
);
CREATE INDEX messages_created_at ON messages (created_at);

CREATE TABLE inbound (
  id          text PRIMARY KEY,
  instance    text NOT NULL,
  received_at timestamptz NOT NULL,
  body        jsonb NOT NULL
);
CREATE INDEX inbound_received_at ON inbound (received_at);

-- Every keyed collection of hot state (idempotency keys, outbox, dead letters, seen keys, and
-- later consent windows and suppression) is rows of one table: a new collection is a new name,
-- not a new table. The primary key decides between instances (two inserts of one idempotency key:
-- one wins, the other sees a unique violation or ON CONFLICT).
CREATE TABLE kv (
  collection text NOT NULL,
  key        text NOT NULL,
  value      jsonb NOT NULL,
  expires_at bigint,
  PRIMARY KEY (collection, key)
);
CREATE INDEX kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
