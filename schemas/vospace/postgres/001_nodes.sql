-- VOSpace node metadata. Bytes live in the byte store under random keys (column blob), never under user paths.
-- path: '/alice/a/b' (segments checked and NFC-normalised by the service); descendants of P are the keys in
-- [P || '/', P || '0') in byte order, which the primary-key index serves.
CREATE TABLE IF NOT EXISTS vospace_nodes (
  id TEXT PRIMARY KEY,
  path TEXT COLLATE "C" NOT NULL UNIQUE,
  parent TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  owner TEXT,
  target TEXT,
  blob TEXT,
  length BIGINT NOT NULL DEFAULT 0,
  md5 TEXT,
  public_read INTEGER NOT NULL DEFAULT 0,
  group_read TEXT,
  group_write TEXT,
  busy INTEGER NOT NULL DEFAULT 0,
  btime TEXT NOT NULL,
  ctime TEXT NOT NULL,
  mtime TEXT NOT NULL,
  quota BIGINT,
  used BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS vospace_nodes_children ON vospace_nodes (parent, name);
-- Properties other than the computed and permission ones, by node id (moves keep ids).
CREATE TABLE IF NOT EXISTS vospace_props (
  node TEXT NOT NULL,
  uri TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (node, uri)
);
-- Byte-store objects to delete: replaced or deleted contents, and uploads in progress (removed from here when they
-- commit). Swept after each operation and at start-up, so an interrupted upload leaves nothing behind.
CREATE TABLE IF NOT EXISTS vospace_garbage (
  blob TEXT PRIMARY KEY,
  since TEXT NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0
);
-- Pre-authorised transfer endpoints handed out by transfer negotiation (pushToVoSpace/pullFromVoSpace).
CREATE TABLE IF NOT EXISTS vospace_tickets (
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  direction TEXT NOT NULL,
  caller TEXT,
  expires TEXT NOT NULL
);
