-- Seeds one workspace with SCIM-provisioned Users and Groups for conformance/bench/scim.
--
--   psql -v ON_ERROR_STOP=1 -v ws=<workspace uuid> -v users=100000 -v groups=1000 \
--        -v domain=example.com -f conformance/bench/scim-seed.sql <database>
--
-- Users are user1@DOMAIN .. userN@DOMAIN: an account, and a member-kind membership that SCIM
-- created (provenance 'scim', userName, externalId, and the document as an IdP sends it).
-- Groups are "Group 1" .. "Group G", each with a SCIM document; user i is a member of group
-- ((i - 1) % G) + 1, so GET /Users/{id} answers with one group, like a real directory.
-- Rows go straight into the tables (no change-feed rows, no revision bump): seed before any
-- `gatehouse serve` has loaded the workspace. Prints "users groups links" of the workspace.

\set QUIET on
BEGIN;

INSERT INTO accounts (id, email, email_key, created_at)
SELECT gen_random_uuid(), 'user' || i || '@' || :'domain', 'user' || i || '@' || :'domain', now()
  FROM generate_series(1, :users) AS i;

INSERT INTO memberships (id, workspace_id, account_id, email, email_key, kind, active,
                         provenance, created_at, updated_at, user_name, user_name_key,
                         external_id, scim_doc, scim_search, version)
SELECT gen_random_uuid(), :'ws'::uuid, a.id, a.email, a.email_key, 'member', true, 'scim', now(),
       now(), a.email, a.email_key, 'ext-' || s.i,
       jsonb_build_object(
         'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
         'userName', a.email,
         'externalId', 'ext-' || s.i,
         'name', jsonb_build_object('givenName', 'Given' || s.i, 'familyName', 'Family' || s.i,
                                    'formatted', 'Given' || s.i || ' Family' || s.i),
         'emails', jsonb_build_array(jsonb_build_object('value', a.email, 'type', 'work',
                                                        'primary', true)),
         'title', (ARRAY['Engineer', 'Analyst', 'Manager', 'Designer'])[s.i % 4 + 1],
         'active', true),
       -- The search copy: the same document with caseExact=false strings folded.
       jsonb_build_object(
         'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
         'userName', a.email_key,
         'externalId', 'ext-' || s.i,
         'name', jsonb_build_object('givenName', 'given' || s.i, 'familyName', 'family' || s.i,
                                    'formatted', 'given' || s.i || ' family' || s.i),
         'emails', jsonb_build_array(jsonb_build_object('value', a.email_key, 'type', 'work',
                                                        'primary', true)),
         'title', lower((ARRAY['Engineer', 'Analyst', 'Manager', 'Designer'])[s.i % 4 + 1]),
         'active', true),
       1
  FROM generate_series(1, :users) AS s(i)
  JOIN accounts a ON a.email_key = 'user' || s.i || '@' || :'domain';

-- Every email a User shows, folded (SCIM's email uniqueness reads these).
INSERT INTO member_emails (workspace_id, membership_id, email_key)
SELECT workspace_id, id, email_key FROM memberships WHERE workspace_id = :'ws'::uuid;

INSERT INTO groups (id, workspace_id, display_name, display_name_key, external_id, created_at,
                    updated_at, scim_doc, scim_search, version)
SELECT gen_random_uuid(), :'ws'::uuid, 'Group ' || g, 'group ' || g, 'gext-' || g, now(), now(),
       jsonb_build_object(
         'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:Group'),
         'displayName', 'Group ' || g,
         'externalId', 'gext-' || g),
       jsonb_build_object(
         'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:Group'),
         'displayName', 'group ' || g,
         'externalId', 'gext-' || g),
       1
  FROM generate_series(1, :groups) AS g;

INSERT INTO group_members (group_id, membership_id, workspace_id, source, added_at)
SELECT g.id, m.id, :'ws'::uuid, 'scim', now()
  FROM memberships m
  JOIN groups g ON g.workspace_id = m.workspace_id
   AND g.external_id = 'gext-' || ((substring(m.external_id FROM 5)::int - 1) % :groups + 1)
 WHERE m.workspace_id = :'ws'::uuid AND m.external_id LIKE 'ext-%';

COMMIT;
ANALYZE accounts;
ANALYZE memberships;
ANALYZE member_emails;
ANALYZE groups;
ANALYZE group_members;

\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
SELECT (SELECT count(*) FROM memberships WHERE workspace_id = :'ws'::uuid),
       (SELECT count(*) FROM groups WHERE workspace_id = :'ws'::uuid),
       (SELECT count(*) FROM group_members WHERE workspace_id = :'ws'::uuid);
