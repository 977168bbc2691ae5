-- The trust boundary between workspaces. Accounts are global (one person, many workspaces),
-- so a workspace's own credentials must never reach what is the person's or another
-- workspace's:
-- 1. email domains are claims until a DNS TXT record proves them; a verified domain belongs
--    to one workspace, and only it may assert or link the people of that domain;
-- 2. a membership carries the workspace's own name for the person (email) and links to the
--    account only once the person (or the domain's workspace, or the operator) vouches for it:
--    account_id is NULL while the person has not accepted;
-- 3. rows of one workspace can never point into another (composite keys, a grant trigger);
-- 4. an account's address is vouched for (by the operator, or by the workspace that verified
--    its domain) or only held through an invitation link; only vouched accounts answer the
--    requests other workspaces leave for the person.

CREATE TABLE workspace_domains (
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    domain       text        NOT NULL,
    -- random, per (workspace, domain): published as TXT _gatehouse-challenge.<domain>
    challenge    text        NOT NULL,
    created_at   timestamptz NOT NULL,
    verified_at  timestamptz,
    -- 'dns', 'operator' or 'migration'
    verified_by  text,
    PRIMARY KEY (workspace_id, domain),
    CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);
CREATE UNIQUE INDEX workspace_domains_verified_once ON workspace_domains (domain)
    WHERE verified_at IS NOT NULL;

-- Domains listed before they needed proof stay verified only where exactly one workspace
-- listed them; the others become claims waiting for their TXT record.
WITH listed AS (
    SELECT w.id AS workspace_id, d.domain, w.created_at
      FROM workspaces w CROSS JOIN LATERAL jsonb_array_elements_text(w.domains) AS d (domain)
), holders AS (
    SELECT domain, count(DISTINCT workspace_id) AS n FROM listed GROUP BY domain
)
INSERT INTO workspace_domains (workspace_id, domain, challenge, created_at, verified_at, verified_by)
SELECT l.workspace_id, l.domain,
       replace(gen_random_uuid()::text, '-', ''),
       l.created_at,
       CASE WHEN h.n = 1 THEN now() END,
       CASE WHEN h.n = 1 THEN 'migration' END
  FROM listed l JOIN holders h ON h.domain = l.domain
ON CONFLICT DO NOTHING;

-- Binaries of the previous release still read workspaces.domains: leave them only the
-- verified domains (they then fail closed). Nothing reads or writes the column any more; it
-- goes in a later release.
UPDATE workspaces w SET domains = COALESCE(
    (SELECT jsonb_agg(d.domain ORDER BY d.domain) FROM workspace_domains d
      WHERE d.workspace_id = w.id AND d.verified_at IS NOT NULL),
    '[]'::jsonb);

-- Accounts made before this release came through the operator or a workspace: vouched.
ALTER TABLE accounts ADD COLUMN vouched boolean NOT NULL DEFAULT true;

-- The workspace's name for the person, and the account only once the person accepted.
ALTER TABLE memberships ADD COLUMN email text;
ALTER TABLE memberships ADD COLUMN email_key text;
UPDATE memberships m SET email = a.email, email_key = a.email_key
  FROM accounts a WHERE a.id = m.account_id;
ALTER TABLE memberships ALTER COLUMN email SET NOT NULL;
ALTER TABLE memberships ALTER COLUMN email_key SET NOT NULL;
ALTER TABLE memberships ALTER COLUMN account_id DROP NOT NULL;
CREATE UNIQUE INDEX memberships_by_email ON memberships (workspace_id, email_key);

-- Links a workspace made on its own (admin API, SCIM, JIT) for people outside the domains it
-- now holds were never the person's choice: they wait for the person again. Invitations (the
-- person accepted), the command line and legacy imports (the operator) keep theirs.
UPDATE memberships m SET account_id = NULL
 WHERE m.provenance IN ('api', 'scim', 'sso')
   AND NOT EXISTS (SELECT 1 FROM workspace_domains d
                    WHERE d.workspace_id = m.workspace_id AND d.verified_at IS NOT NULL
                      AND d.domain = lower(split_part(m.email, '@', 2)));

-- Rows an earlier import could make point into another workspace go before the keys that
-- forbid them.
DELETE FROM group_members gm
 WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = gm.group_id AND g.workspace_id = gm.workspace_id)
    OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.id = gm.membership_id AND m.workspace_id = gm.workspace_id);
DELETE FROM grants g
 WHERE (g.subject_type = 'user' AND NOT EXISTS (
            SELECT 1 FROM memberships m WHERE m.id = g.subject_id AND m.workspace_id = g.workspace_id))
    OR (g.subject_type = 'group' AND NOT EXISTS (
            SELECT 1 FROM groups x WHERE x.id = g.subject_id AND x.workspace_id = g.workspace_id));

-- Rows that name a membership or a group name its workspace too.
ALTER TABLE memberships ADD CONSTRAINT memberships_id_workspace UNIQUE (id, workspace_id);
ALTER TABLE groups ADD CONSTRAINT groups_id_workspace UNIQUE (id, workspace_id);
ALTER TABLE group_members
    DROP CONSTRAINT group_members_group_id_fkey,
    DROP CONSTRAINT group_members_membership_id_fkey,
    ADD CONSTRAINT group_members_group_in_workspace FOREIGN KEY (group_id, workspace_id)
        REFERENCES groups (id, workspace_id) ON DELETE CASCADE,
    ADD CONSTRAINT group_members_member_in_workspace FOREIGN KEY (membership_id, workspace_id)
        REFERENCES memberships (id, workspace_id) ON DELETE CASCADE;

-- A grant's subject is a membership or a group of the grant's own workspace.
CREATE FUNCTION grants_subject_in_workspace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.subject_type = 'user' AND NOT EXISTS (
            SELECT 1 FROM memberships WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id))
       OR (NEW.subject_type = 'group' AND NOT EXISTS (
            SELECT 1 FROM groups WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id)) THEN
        RAISE EXCEPTION 'grant subject is not in the grant''s workspace'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER grants_subject_in_workspace
    BEFORE INSERT OR UPDATE ON grants
    FOR EACH ROW EXECUTE FUNCTION grants_subject_in_workspace();

-- effective_grants: memberships awaiting the person confer nothing; a group's grants reach
-- only memberships of the group's workspace; the email is the workspace's name for the
-- person. Same columns as before (a stable interface).
DROP VIEW effective_grants;
CREATE VIEW effective_grants AS
    SELECT m.workspace_id, m.account_id, m.email, m.id AS membership_id,
           'workspace.owner'::text AS role, NULL::text AS resource_type,
           NULL::text AS resource_id, NULL::uuid AS origin_group_id
      FROM memberships m
     WHERE m.active AND m.account_id IS NOT NULL AND m.kind = 'owner'
    UNION ALL
    SELECT m.workspace_id, m.account_id, m.email, m.id, g.role, g.resource_type, g.resource_id,
           gm.group_id
      FROM grants g
      JOIN role_catalog r ON r.role = g.role
      JOIN workspaces w ON w.id = g.workspace_id
      LEFT JOIN group_members gm ON g.subject_type = 'group' AND gm.group_id = g.subject_id
                                AND gm.workspace_id = g.workspace_id
      JOIN memberships m ON m.id = CASE WHEN g.subject_type = 'user' THEN g.subject_id
                                        ELSE gm.membership_id END
                        AND m.workspace_id = g.workspace_id
     WHERE m.active AND m.account_id IS NOT NULL
       AND (r.product IS NULL OR w.products ? r.product);
