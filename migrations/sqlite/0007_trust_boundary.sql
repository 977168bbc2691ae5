-- The trust boundary between workspaces: same shape as migrations/postgres/0007 (see the
-- comments there). SQLite cannot alter a column or add a constraint in place, so memberships
-- and group_members are rebuilt. sqlx runs this in a transaction with foreign keys on, so the
-- order matters: renaming memberships away carries group_members' reference with it, the new
-- tables are filled from the old ones, and the old ones go children first, so no reference
-- ever dangles.

CREATE TABLE workspace_domains (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    domain       TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    verified_at  TEXT,
    verified_by  TEXT,
    PRIMARY KEY (workspace_id, domain),
    CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);
CREATE UNIQUE INDEX workspace_domains_verified_once ON workspace_domains (domain)
    WHERE verified_at IS NOT NULL;

WITH listed AS (
    SELECT w.id AS workspace_id, j.value AS domain, w.created_at
      FROM workspaces w, json_each(w.domains) j
), holders AS (
    SELECT domain, count(DISTINCT workspace_id) AS n FROM listed GROUP BY domain
)
INSERT OR IGNORE INTO workspace_domains
    (workspace_id, domain, challenge, created_at, verified_at, verified_by)
SELECT l.workspace_id, l.domain, lower(hex(randomblob(16))), l.created_at,
       CASE WHEN h.n = 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END,
       CASE WHEN h.n = 1 THEN 'migration' END
  FROM listed l JOIN holders h ON h.domain = l.domain;

UPDATE workspaces SET domains = COALESCE(
    (SELECT json_group_array(domain) FROM
        (SELECT d.domain FROM workspace_domains d
          WHERE d.workspace_id = workspaces.id AND d.verified_at IS NOT NULL ORDER BY d.domain)),
    '[]');

ALTER TABLE accounts ADD COLUMN vouched BOOLEAN NOT NULL DEFAULT 1;

ALTER TABLE memberships RENAME TO memberships_old;
CREATE TABLE memberships (
    id            BLOB    PRIMARY KEY,
    workspace_id  BLOB    NOT NULL REFERENCES workspaces (id),
    -- NULL while the person has not accepted the membership
    account_id    BLOB    REFERENCES accounts (id),
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('owner', 'member')),
    active        BOOLEAN NOT NULL DEFAULT 1,
    provenance    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    user_name     TEXT,
    user_name_key TEXT,
    external_id   TEXT,
    scim_doc      TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    sso_exempt    BOOLEAN NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, account_id),
    UNIQUE (id, workspace_id)
);
INSERT INTO memberships (id, workspace_id, account_id, email, email_key, kind, active,
    provenance, created_at, updated_at, user_name, user_name_key, external_id, scim_doc,
    version, sso_exempt)
SELECT m.id, m.workspace_id,
       -- links a workspace made on its own outside the domains it now holds wait again
       CASE WHEN m.provenance IN ('api', 'scim', 'sso') AND NOT EXISTS (
                SELECT 1 FROM workspace_domains d
                 WHERE d.workspace_id = m.workspace_id AND d.verified_at IS NOT NULL
                   AND d.domain = lower(substr(a.email, instr(a.email, '@') + 1)))
            THEN NULL ELSE m.account_id END,
       a.email, a.email_key, m.kind, m.active,
       m.provenance, m.created_at, m.updated_at, m.user_name, m.user_name_key, m.external_id,
       m.scim_doc, m.version, m.sso_exempt
  FROM memberships_old m JOIN accounts a ON a.id = m.account_id;

CREATE UNIQUE INDEX groups_id_workspace ON groups (id, workspace_id);

CREATE TABLE group_members_new (
    group_id      BLOB NOT NULL,
    membership_id BLOB NOT NULL,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    source        TEXT NOT NULL CHECK (source IN ('scim', 'saml', 'manual')),
    added_at      TEXT NOT NULL,
    PRIMARY KEY (group_id, membership_id),
    FOREIGN KEY (group_id, workspace_id) REFERENCES groups (id, workspace_id) ON DELETE CASCADE,
    FOREIGN KEY (membership_id, workspace_id) REFERENCES memberships (id, workspace_id)
        ON DELETE CASCADE
);
-- Rows an earlier import could make point into another workspace are not carried over.
INSERT INTO group_members_new (group_id, membership_id, workspace_id, source, added_at)
SELECT gm.group_id, gm.membership_id, gm.workspace_id, gm.source, gm.added_at
  FROM group_members gm
 WHERE EXISTS (SELECT 1 FROM groups g WHERE g.id = gm.group_id AND g.workspace_id = gm.workspace_id)
   AND EXISTS (SELECT 1 FROM memberships m WHERE m.id = gm.membership_id AND m.workspace_id = gm.workspace_id);
DROP TABLE group_members;
DROP TABLE memberships_old;
ALTER TABLE group_members_new RENAME TO group_members;
CREATE INDEX group_members_by_membership ON group_members (membership_id);
CREATE INDEX memberships_by_account ON memberships (account_id);
CREATE UNIQUE INDEX memberships_by_user_name ON memberships (workspace_id, user_name_key);
CREATE INDEX memberships_by_external_id ON memberships (workspace_id, external_id);
CREATE UNIQUE INDEX memberships_by_email ON memberships (workspace_id, email_key);

DELETE FROM grants
 WHERE (subject_type = 'user' AND NOT EXISTS (
            SELECT 1 FROM memberships m WHERE m.id = grants.subject_id AND m.workspace_id = grants.workspace_id))
    OR (subject_type = 'group' AND NOT EXISTS (
            SELECT 1 FROM groups g WHERE g.id = grants.subject_id AND g.workspace_id = grants.workspace_id));

CREATE TRIGGER grants_subject_in_workspace_insert BEFORE INSERT ON grants
WHEN (NEW.subject_type = 'user' AND NOT EXISTS (
        SELECT 1 FROM memberships WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id))
  OR (NEW.subject_type = 'group' AND NOT EXISTS (
        SELECT 1 FROM groups WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id))
BEGIN
    SELECT RAISE(ABORT, 'grant subject is not in the grant''s workspace');
END;
CREATE TRIGGER grants_subject_in_workspace_update BEFORE UPDATE ON grants
WHEN (NEW.subject_type = 'user' AND NOT EXISTS (
        SELECT 1 FROM memberships WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id))
  OR (NEW.subject_type = 'group' AND NOT EXISTS (
        SELECT 1 FROM groups WHERE id = NEW.subject_id AND workspace_id = NEW.workspace_id))
BEGIN
    SELECT RAISE(ABORT, 'grant subject is not in the grant''s workspace');
END;
