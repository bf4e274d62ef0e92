-- +goose Up
-- E-mail attachments (issue 17: a scheduled report's PDF). The content is
-- kept once per SHA-256 in mail_blobs, so one PDF sent to a thousand
-- recipients is stored once; mail_attachments names it for each message.

CREATE TABLE mail_blobs (
    hash        TEXT PRIMARY KEY,
    data        BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE mail_attachments (
    mail_id       TEXT NOT NULL REFERENCES mail_outbox(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    blob_hash     TEXT NOT NULL,
    PRIMARY KEY (mail_id, position)
);

-- +goose Down
DROP TABLE mail_attachments;
DROP TABLE mail_blobs;
