-- Releases before versioned migrations stored e-mail addresses with their original case, so the
-- same person could sign up twice. Lower-case them where that is still the case.
DO $$
BEGIN
  IF to_regclass('accounts') IS NOT NULL THEN
    UPDATE accounts SET email = lower(email) WHERE email <> lower(email);
  END IF;
END $$;
