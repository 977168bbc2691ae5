-- Seeds one workspace with a large access model for the access benchmark.
--
--   psql -v ON_ERROR_STOP=1 -v ws=<workspace uuid> -f conformance/bench/seed.sql <database>
--
-- Shape (deterministic: every choice hashes a counter with md5, so two runs build the same
-- model; only the row ids, from gen_random_uuid(), differ):
--   accounts + memberships   100,000  user<N>@example.com, N = 1..100000; N <= 10 are owners
--                            + 1      heavy@example.com (member, in no group)
--   groups                   1,000    bench-group-<G>, G = 1..1000
--   group_members            299,970  3 distinct groups per member (owners are in none)
--   resources                10,000   src-1..src-8000; dst-1..dst-2000, each under one source
--   grants                   300,070
--     direct, instance       243,000  source.read (3/4) or source.admin (1/4) on sources;
--                                     members 11..100000 get 2 or 3 distinct sources each
--     group, all             1,070    one of warehouse/protocols/personas roles per group,
--                                     plus source.read on all for 50 groups and
--                                     source.admin on all for 20 groups
--     group, instance        55,000   55 distinct sources per group (1 in 5 source.admin)
--     heavy, instance        1,000    source.read on src-1, src-9, src-17, ... (1,000 sources)
--
-- The workspace must exist (gatehouse workspace create) and be otherwise empty of access
-- data. Gatehouse reads the whole model from these tables when it first serves the
-- workspace, so no change-feed rows are written; seed before starting gatehouse serve.

\set ON_ERROR_STOP 1

BEGIN;

-- Bulk load: sort in memory, and (as a superuser) skip the per-row foreign-key triggers, which
-- would otherwise take more than half of the time. The rows are consistent by construction and
-- are checked with set-based anti-joins before COMMIT instead.
SET LOCAL work_mem = '256MB';
SELECT rolsuper AS bench_superuser FROM pg_roles WHERE rolname = current_user \gset
\if :bench_superuser
SET LOCAL session_replication_role = replica;
\endif

-- h(text): a deterministic pseudo-random integer in [0, 2^31).
CREATE FUNCTION pg_temp.h(t text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || substr(md5(t), 1, 8))::bit(32)::bigint & 2147483647 $$;

CREATE TEMP TABLE bench_members (n int PRIMARY KEY, id uuid NOT NULL, account_id uuid NOT NULL,
                                  email text NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE bench_groups (g int PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP;

-- Accounts and memberships (n = 0 is heavy@example.com).
INSERT INTO bench_members (n, id, account_id, email)
SELECT n, gen_random_uuid(), gen_random_uuid(),
       CASE WHEN n = 0 THEN 'heavy@example.com' ELSE 'user' || n || '@example.com' END
  FROM generate_series(0, 100000) AS n;

INSERT INTO accounts (id, email, email_key, created_at)
SELECT account_id, email, lower(email), now() FROM bench_members;

INSERT INTO memberships (id, workspace_id, account_id, kind, active, provenance,
                         created_at, updated_at)
SELECT id, :'ws'::uuid, account_id,
       CASE WHEN n BETWEEN 1 AND 10 THEN 'owner' ELSE 'member' END,
       true,
       CASE WHEN n BETWEEN 1 AND 10 THEN 'cli' ELSE 'scim' END,
       now(), now()
  FROM bench_members;

-- Groups.
INSERT INTO bench_groups (g, id)
SELECT g, gen_random_uuid() FROM generate_series(1, 1000) AS g;

INSERT INTO groups (id, workspace_id, display_name, display_name_key, external_id,
                    created_at, updated_at)
SELECT id, :'ws'::uuid, 'Bench Group ' || g, 'bench group ' || g, 'ext-' || g, now(), now()
  FROM bench_groups;

-- Three distinct groups per member: g1, g1 + 1..333, g1 + 334..666 (mod 1000).
INSERT INTO group_members (group_id, membership_id, workspace_id, source, added_at)
SELECT bg.id, bm.id, :'ws'::uuid,
       CASE WHEN k = 2 THEN 'saml' WHEN bm.n % 97 = 0 THEN 'manual' ELSE 'scim' END,
       now()
  FROM bench_members bm
 CROSS JOIN generate_series(0, 2) AS k
  JOIN bench_groups bg
    ON bg.g = 1 + (pg_temp.h('g' || bm.n)
                   + CASE k WHEN 0 THEN 0
                            WHEN 1 THEN 1 + pg_temp.h('g1-' || bm.n) % 333
                            ELSE 334 + pg_temp.h('g2-' || bm.n) % 333 END) % 1000
 WHERE bm.n > 10;

-- Resources: 8,000 sources, 2,000 destinations each under a source.
INSERT INTO resources (workspace_id, resource_type, resource_id, name, parent_type, parent_id,
                       created_at)
SELECT :'ws'::uuid, 'source', 'src-' || n, 'Source ' || n, NULL, NULL, now()
  FROM generate_series(1, 8000) AS n;

INSERT INTO resources (workspace_id, resource_type, resource_id, name, parent_type, parent_id,
                       created_at)
SELECT :'ws'::uuid, 'destination', 'dst-' || n, 'Destination ' || n,
       'source', 'src-' || (1 + pg_temp.h('p' || n) % 8000), now()
  FROM generate_series(1, 2000) AS n;

-- Direct instance grants: i = 0..242999 -> member 11 + i % 99990, its k-th source
-- (k = i / 99990, sources k * 2671 apart, so never the same one twice).
INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, scope_type,
                    resource_type, resource_id, origin, created_at)
SELECT gen_random_uuid(), :'ws'::uuid, 'user', bm.id,
       CASE WHEN pg_temp.h('r' || i) % 4 = 0 THEN 'source.admin' ELSE 'source.read' END,
       'instance', 'source',
       'src-' || (1 + (pg_temp.h('d' || bm.n) + (i / 99990) * 2671) % 8000),
       '{"type":"manual"}'::jsonb, now()
  FROM generate_series(0, 242999) AS i
  JOIN bench_members bm ON bm.n = 11 + i % 99990;

-- Group grants with scope all: one non-source role per group ...
INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, scope_type,
                    resource_type, resource_id, origin, created_at)
SELECT gen_random_uuid(), :'ws'::uuid, 'group', bg.id,
       (ARRAY['warehouse.read', 'warehouse.admin', 'protocols.read', 'protocols.admin',
              'personas.read', 'personas.user', 'personas.admin'])
           [1 + pg_temp.h('a' || bg.g) % 7],
       'all', NULL, NULL, '{"type":"scim"}'::jsonb, now()
  FROM bench_groups bg;

-- ... and source roles on all sources for a few groups (50 read, 20 admin).
INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, scope_type,
                    resource_type, resource_id, origin, created_at)
SELECT gen_random_uuid(), :'ws'::uuid, 'group', bg.id, r.role, 'all', NULL, NULL,
       '{"type":"manual"}'::jsonb, now()
  FROM bench_groups bg
  JOIN (VALUES ('source.read', 20), ('source.admin', 50)) AS r (role, every)
    ON bg.g % r.every = 0;

-- Group instance grants: 55 distinct sources per group (145 apart).
INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, scope_type,
                    resource_type, resource_id, origin, created_at)
SELECT gen_random_uuid(), :'ws'::uuid, 'group', bg.id,
       CASE WHEN j % 5 = 0 THEN 'source.admin' ELSE 'source.read' END,
       'instance', 'source',
       'src-' || (1 + (pg_temp.h('gi' || bg.g) + j * 145) % 8000),
       '{"type":"manual"}'::jsonb, now()
  FROM bench_groups bg
 CROSS JOIN generate_series(0, 54) AS j;

-- heavy@example.com: source.read on 1,000 distinct sources.
INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, scope_type,
                    resource_type, resource_id, origin, created_at)
SELECT gen_random_uuid(), :'ws'::uuid, 'user', bm.id, 'source.read', 'instance', 'source',
       'src-' || (1 + j * 8), '{"type":"manual"}'::jsonb, now()
  FROM bench_members bm
 CROSS JOIN generate_series(0, 999) AS j
 WHERE bm.n = 0;

-- What the skipped foreign-key triggers would have checked (plus grant subjects).
DO $$
DECLARE
    dangling bigint;
BEGIN
    SELECT (SELECT count(*) FROM memberships m LEFT JOIN accounts a ON a.id = m.account_id
             WHERE a.id IS NULL)
         + (SELECT count(*) FROM group_members gm LEFT JOIN memberships m ON m.id = gm.membership_id
             WHERE m.id IS NULL)
         + (SELECT count(*) FROM group_members gm LEFT JOIN groups g ON g.id = gm.group_id
             WHERE g.id IS NULL)
         + (SELECT count(*) FROM grants gr LEFT JOIN resources r
                ON r.workspace_id = gr.workspace_id AND r.resource_type = gr.resource_type
               AND r.resource_id = gr.resource_id
             WHERE gr.scope_type = 'instance' AND r.resource_id IS NULL)
         + (SELECT count(*) FROM grants gr
             WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.id = gr.subject_id)
               AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = gr.subject_id))
      INTO dangling;
    IF dangling > 0 THEN
        RAISE EXCEPTION 'seed.sql: % dangling references', dangling;
    END IF;
END
$$;

COMMIT;

ANALYZE accounts, memberships, groups, group_members, resources, grants;

SELECT (SELECT count(*) FROM memberships WHERE workspace_id = :'ws'::uuid) AS memberships,
       (SELECT count(*) FROM groups WHERE workspace_id = :'ws'::uuid) AS groups,
       (SELECT count(*) FROM group_members WHERE workspace_id = :'ws'::uuid) AS group_members,
       (SELECT count(*) FROM resources WHERE workspace_id = :'ws'::uuid) AS resources,
       (SELECT count(*) FROM grants WHERE workspace_id = :'ws'::uuid) AS grants;
