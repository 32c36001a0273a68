-- tests/data/store/schema-v2.sql: the results store schema at user_version 2, as
-- greenbench wrote it before the profile-times migration (steps 0->1 and 1->2 of
-- harness/store/store.c, extracted verbatim). t_store_migrate builds an old store from it.
-- step 0 -> 1
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  scenario_sha256 TEXT,
  scenario_yaml TEXT,
  label TEXT,
  started_at REAL NOT NULL,
  finished_at REAL,
  host TEXT,
  cpu_count INTEGER,
  load1_before REAL, load5_before REAL, load15_before REAL,
  load1_after REAL, load5_after REAL, load15_after REAL,
  mem_free_kb INTEGER,
  service_revision TEXT,
  greenbench_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'interrupted')),
  fake_computes INTEGER,
  repeat_count INTEGER,
  ab_id INTEGER,
  is_baseline INTEGER NOT NULL DEFAULT 0 CHECK (is_baseline IN (0, 1))
);
CREATE INDEX runs_scenario ON runs(scenario, id);
CREATE INDEX runs_label ON runs(label);
CREATE TABLE patches (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  repeat INTEGER NOT NULL,
  request_id TEXT,
  server_request_id TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER,
  latency REAL,
  started_at REAL
);
CREATE INDEX requests_run ON requests(run_id);
CREATE TABLE servers (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  repeat INTEGER NOT NULL,
  server_id TEXT,
  name TEXT,
  request_id TEXT,
  post_latency REAL,
  time_to_active REAL,
  time_to_deleted REAL,
  final_status TEXT,
  fault TEXT
);
CREATE INDEX servers_run ON servers(run_id);
CREATE TABLE profiles (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  repeat INTEGER NOT NULL,
  target TEXT NOT NULL,
  request_id TEXT,
  pid INTEGER,
  total_tt REAL NOT NULL,
  n_functions INTEGER NOT NULL,
  n_calls INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  raw_sha256 TEXT NOT NULL,
  raw_zlib BLOB NOT NULL
);
CREATE INDEX profiles_run ON profiles(run_id);
CREATE TABLE functions (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  name TEXT NOT NULL
);
CREATE UNIQUE INDEX functions_key ON functions(file, line, name);
CREATE TABLE func_stats (
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  function_id INTEGER NOT NULL REFERENCES functions(id),
  cc INTEGER NOT NULL,
  nc INTEGER NOT NULL,
  tt_ns INTEGER NOT NULL,
  ct_ns INTEGER NOT NULL,
  PRIMARY KEY (profile_id, function_id)
) WITHOUT ROWID;
CREATE TABLE sla (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  value REAL,
  limit_value REAL,
  passed INTEGER NOT NULL CHECK (passed IN (0, 1))
);
CREATE INDEX sla_run ON sla(run_id);
CREATE VIEW profile_functions AS
  SELECT p.run_id, s.profile_id, p.target, f.file, f.line, f.name,
         s.cc, s.nc, s.tt_ns * 1e-9 AS tottime, s.ct_ns * 1e-9 AS cumtime
  FROM func_stats s JOIN profiles p ON p.id = s.profile_id
  JOIN functions f ON f.id = s.function_id;

-- step 1 -> 2
CREATE TABLE ab_experiments (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  started_at REAL NOT NULL,
  block_order TEXT NOT NULL,
  seed INTEGER,
  patches TEXT NOT NULL
);
CREATE TABLE ab_blocks (
  ab_id INTEGER NOT NULL REFERENCES ab_experiments(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('A', 'B')),
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (ab_id, position)
) WITHOUT ROWID;

