-- +goose Up
-- Client groups and report sharing (SPEC §12 "Client groups and per-client
-- branding", issue 24; internal/clientgroup). A group is a named set of one
-- client account's users. A report is shared with every user of a client
-- that has its brand unless report_sharing holds a row for (report,
-- client): then only the groups in report_sharing_groups (and the client's
-- admins) see it. authz.ReportShared reads these tables.

CREATE TABLE client_groups (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL, -- lower-cased name: unique per client, case-insensitively
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (client_id, name_key)
);

CREATE TABLE client_group_members (
    group_id  TEXT NOT NULL REFERENCES client_groups(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX client_group_members_user ON client_group_members(user_id);

CREATE TABLE report_sharing (
    report_id   TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (report_id, client_id)
);

CREATE TABLE report_sharing_groups (
    report_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    group_id   TEXT NOT NULL REFERENCES client_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, client_id, group_id),
    FOREIGN KEY (report_id, client_id) REFERENCES report_sharing(report_id, client_id) ON DELETE CASCADE
);
CREATE INDEX report_sharing_groups_group ON report_sharing_groups(group_id);

-- +goose Down
DROP TABLE report_sharing_groups;
DROP TABLE report_sharing;
DROP TABLE client_group_members;
DROP TABLE client_groups;
