-- Schema v2: what lists and retention need. Ids are ULIDs, whose byte order is their time order;
-- lists page newest first by id, so their indexes compare ids bytewise (COLLATE "C") whatever the
-- database's collation is.

-- Inbound lists filter on the channel, which v1 kept only inside `body`. Rows from before v2 get
-- it from there.
ALTER TABLE inbound ADD COLUMN channel text;
UPDATE inbound SET channel = body->>'channel';
ALTER TABLE inbound ALTER COLUMN channel SET NOT NULL;

-- Newest first, optionally within one status / route / instance / channel: each filter an index
-- that hands rows over in list order, so a rare filter value does not scan the whole table.
CREATE INDEX messages_id_c ON messages (id COLLATE "C");
CREATE INDEX messages_status_id ON messages (status, id COLLATE "C");
CREATE INDEX messages_route_id ON messages (route, id COLLATE "C");
CREATE INDEX inbound_id_c ON inbound (id COLLATE "C");
CREATE INDEX inbound_instance_id ON inbound (instance, id COLLATE "C");
CREATE INDEX inbound_channel_id ON inbound (channel, id COLLATE "C");

-- Retention keeps messages that live state names: timers by `payload.message`, keyed
-- collections (idempotency, outbox) by `value.messageId`. These answer "is this id still named?"
-- and, for the attempt index, "which keys name a deleted message?".
CREATE INDEX timers_message ON timers ((payload->>'message')) WHERE payload ? 'message';
CREATE INDEX kv_message_id ON kv (collection, (value->>'messageId')) WHERE value ? 'messageId';

-- `<instance>/<provider message id>` → message id, so a receipt landing at any instance finds its
-- message. A table rather than a `kv` collection: retention drops the keys of the messages it
-- deletes, by `message_id`.
CREATE TABLE attempt_index (
  key        text PRIMARY KEY,
  message_id text NOT NULL
);
CREATE INDEX attempt_index_message_id ON attempt_index (message_id);
