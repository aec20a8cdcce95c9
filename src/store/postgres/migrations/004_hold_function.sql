-- Schema v4: a key holder's first round trip as one prepared call. It lets go of the key its lock
-- session still owes (a holder that handed the session on), takes the new key, and reads the
-- message row that key guards. Sent as text, those statements were parsed and planned again at
-- every hold: 72–108 µs of server CPU a hold, against 32–58 µs for this call prepared once per
-- session. A VOLATILE function takes a new snapshot for each statement it runs (READ COMMITTED),
-- so the read, made once the lock is granted, sees what the previous holder committed.
CREATE FUNCTION switchboard_hold(owed text, lock_key text, message_id text) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF owed IS NOT NULL THEN
    PERFORM pg_advisory_unlock(hashtextextended(owed, 0));
  END IF;
  PERFORM pg_advisory_lock(hashtextextended(lock_key, 0));
  IF message_id IS NULL THEN
    RETURN NULL;
  END IF;
  -- Message bodies are never null: null is "no such row".
  RETURN (SELECT body FROM messages WHERE id = message_id);
END
$$;
