#!/bin/sh
# The viralflow results store inside the PostgreSQL that already runs Temporal's persistence: a role of
# its own (no superuser, no access to Temporal's databases) owning a `viralflow` database, so every
# worker replica reads and writes one store (`docker compose up --scale worker=N` stays correct).
#
# The postgres image runs this once, when it initializes an empty data volume. On a volume created
# before this script existed, run it by hand (it is idempotent, and resets the role's password):
#   docker compose exec postgresql sh /docker-entrypoint-initdb.d/10-viralflow-results-store.sh
#
# VIRALFLOW_DB_PASSWORD_FILE names the password file (the compose secret); the password never
# appears in argv or the environment. The workers create the tables themselves (migrations at start-up).
set -eu

password_file="${VIRALFLOW_DB_PASSWORD_FILE:-/run/secrets/viralflow_db_password}"
role="${VIRALFLOW_DB_ROLE:-viralflow}"
database="${VIRALFLOW_DB_NAME:-viralflow}"
if [ ! -r "$password_file" ]; then
  echo "viralflow results store: cannot read the password file $password_file (VIRALFLOW_DB_PASSWORD_FILE)" >&2
  exit 1
fi

# psql reads the password from the file itself (\set with backquotes runs in psql, not in argv) and
# quotes it as a literal (:'password'); identifiers are quoted the same way (:"role").
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v role="$role" -v database="$database" -v password_file="$password_file" <<'SQL'
\set password `cat :'password_file' | tr -d '\r\n'`
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT ALL ON DATABASE :"database" TO :"role";
SQL
echo "viralflow results store: role \"$role\" owns database \"$database\""
