-- Accounts: users, their bearer tokens (stored as SHA-256 digests, never in clear) and group memberships.
CREATE TABLE IF NOT EXISTS accounts_users (
  name TEXT PRIMARY KEY,
  password_hash TEXT,
  created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts_tokens (
  token_hash TEXT PRIMARY KEY,
  name TEXT NOT NULL REFERENCES accounts_users (name) ON DELETE CASCADE,
  created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_tokens_name ON accounts_tokens (name);
CREATE TABLE IF NOT EXISTS accounts_groups (
  grp TEXT NOT NULL,
  name TEXT NOT NULL REFERENCES accounts_users (name) ON DELETE CASCADE,
  PRIMARY KEY (grp, name)
);
CREATE INDEX IF NOT EXISTS accounts_groups_name ON accounts_groups (name);
