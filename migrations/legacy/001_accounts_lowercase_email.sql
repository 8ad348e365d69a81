-- Release 1 stored e-mail addresses as typed, so one person could sign up twice (Ann@example.com,
-- ann@example.com). Lower-case them, except where that would collide with another account: those
-- pairs need a person to merge them. Does nothing once no address has capitals left to fix.
DO $$
BEGIN
  IF to_regclass('accounts') IS NOT NULL THEN
    UPDATE accounts a SET email = lower(a.email)
     WHERE a.email <> lower(a.email)
       AND NOT EXISTS (SELECT 1 FROM accounts b WHERE lower(b.email) = lower(a.email) AND b.id <> a.id);
  END IF;
END $$;
