-- +goose Up
-- Access that expires and staff access requests (issue 21; internal/link
-- ends.go, internal/accessreq).
--
-- access_ends holds the end date of one grant of a link: the link itself
-- (subject 'link', subject_id = the link's ID), a user or a group of the
-- link's access list, or an account manager assignment (subject_id = the
-- user or group). set_by_side is the side whose admin set it: only that side
-- extends or clears it. notice7_for and notice1_for are the ends_at the
-- 7-day and 1-day e-mails were sent for: a conditional UPDATE of them is
-- what keeps each notice to once across processes, and extending the end
-- (a new ends_at) re-arms them. The access.expiry job ends each grant whose
-- ends_at has come and deletes its row.
CREATE TABLE access_ends (
    id           TEXT PRIMARY KEY,
    link_id      TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    agency_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    subject      TEXT NOT NULL CHECK (subject IN ('link', 'user', 'group', 'account_manager')),
    subject_id   TEXT NOT NULL,
    ends_at      TIMESTAMP NOT NULL,
    set_by_side  TEXT NOT NULL CHECK (set_by_side IN ('agency', 'client')),
    set_by       TEXT REFERENCES users(id) ON DELETE SET NULL,
    set_at       TIMESTAMP NOT NULL,
    notice7_for  TIMESTAMP,
    notice1_for  TIMESTAMP,
    UNIQUE (link_id, subject, subject_id)
);
CREATE INDEX access_ends_due ON access_ends(ends_at);

-- access_requests are agency users' requests to see a client (issue 21).
-- asked_for is what the requester typed (an account ID or a name);
-- client_id is the agency's linked client it named, NULL when none: such a
-- request is stored and answered exactly like the others, so that the
-- answer does not tell whether the client exists. ends_at is the end date
-- an approver gave the access.
CREATE TABLE access_requests (
    id            TEXT PRIMARY KEY,
    agency_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    requester_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    asked_for     TEXT NOT NULL,
    client_id     TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    created_at    TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP,
    decided_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    ends_at       TIMESTAMP
);
CREATE INDEX access_requests_agency ON access_requests(agency_id, created_at);
CREATE INDEX access_requests_requester ON access_requests(requester_id, created_at);

-- +goose Down
DROP TABLE access_requests;
DROP TABLE access_ends;
