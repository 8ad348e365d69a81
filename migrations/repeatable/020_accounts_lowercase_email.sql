-- Release 3: e-mail addresses are stored in lower case, whichever release's code writes them
-- (legacy/001 repairs those release 1 stored as typed). A function is replaced in place; a trigger
-- is dropped and created again (CREATE OR REPLACE TRIGGER needs PostgreSQL 14).
CREATE OR REPLACE FUNCTION accounts_lowercase_email() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.email := lower(NEW.email);
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS accounts_lowercase_email ON accounts;
CREATE TRIGGER accounts_lowercase_email BEFORE INSERT OR UPDATE OF email ON accounts
  FOR EACH ROW EXECUTE FUNCTION accounts_lowercase_email();
