-- tests/data/store/schema-v3-step.sql: step 2 -> 3 of harness/store/store.c (the store
-- codec), extracted verbatim. Run after schema-v2.sql it gives the schema of user_version 3,
-- the one before the profile times; t_store_migrate builds a version-3 store from it.
CREATE TABLE zdicts (
  id INTEGER PRIMARY KEY,
  target TEXT NOT NULL,
  created_at REAL NOT NULL,
  dict_zstd BLOB NOT NULL
);
CREATE INDEX zdicts_target ON zdicts(target, id);
ALTER TABLE profiles ADD COLUMN raw_codec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN zdict_id INTEGER REFERENCES zdicts(id);
