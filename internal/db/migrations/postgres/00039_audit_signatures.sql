-- +goose Up
-- The audit trail, anchored (issue 20). The hash chain alone lets whoever
-- can write the database delete the newest entries and set audit_head back
-- to an older entry unnoticed. The checkpoint job signs, with an Ed25519 key
-- kept outside the database (the data directory or LIAISON_AUDIT_KEY_FILE),
-- every entry's (seq, hash) in audit_sigs and the head in audit_checkpoints;
-- checkpoints are also logged and exported, so that one kept off the
-- machine catches a truncated chain even when these tables were truncated
-- along with it. audit_events itself stays append-only.
CREATE TABLE audit_sigs (
    seq     BIGINT PRIMARY KEY,
    key_id  TEXT NOT NULL,
    sig     TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq         BIGINT PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    key_id      TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    sig         TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_sigs;
