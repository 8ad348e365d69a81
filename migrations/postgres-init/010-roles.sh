#!/bin/sh
# Run by the postgres container on its first start: compose.yml mounts this folder at
# /docker-entrypoint-initdb.d. The migrator itself never reads it. It creates the example's two
# roles: the migrator's, which owns the database and its schema but is no superuser, and the app's,
# which may read and write rows (also in tables later migrations create) but not change the schema.
# Each password comes from its variable or, like the image's POSTGRES_PASSWORD_FILE, from the file
# that NAME_FILE names (Compose secrets: examples/compose/compose.secrets.yml).
set -eu
owner_password=${MIGRATOR_DB_PASSWORD:-}
[ -z "${MIGRATOR_DB_PASSWORD_FILE:-}" ] || owner_password=$(cat "$MIGRATOR_DB_PASSWORD_FILE")
app_password=${APP_DB_PASSWORD:-}
[ -z "${APP_DB_PASSWORD_FILE:-}" ] || app_password=$(cat "$APP_DB_PASSWORD_FILE")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v owner="$MIGRATOR_DB_USER" -v owner_password="$owner_password" \
  -v app="$APP_DB_USER" -v app_password="$app_password" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"app" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER DATABASE :"db" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
