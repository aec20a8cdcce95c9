-- Schema v3: how message bodies are stored. A message is written whole several times in its life
-- (accepted, answered, each receipt) and read whole under its lock, never searched inside (lists
-- filter on the columns beside it). As `json` its text is kept as given: no binary form is built
-- on each write, and no text rebuilt from it on each read. Bodies past ~2 kB are compressed when
-- stored; lz4 does that at a fraction of pglz's CPU. A server built without lz4 keeps pglz.
-- The type change rewrites the table once, under the migration lock.
ALTER TABLE messages ALTER COLUMN body TYPE json USING body::json;
DO $$
BEGIN
  EXECUTE 'ALTER TABLE messages ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server: message bodies keep its default compression';
END
$$;
