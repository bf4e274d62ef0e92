-- +goose Up
-- A client account's billing details (SPEC §12 "Client billing details";
-- internal/clientbilling): whom and where its agencies invoice. One row per
-- client account, written on its first change; a missing row reads as every
-- field empty. Each field is optional ('' when unset). updated_at and
-- updated_by say when and by whom they last changed (NULL while the row
-- only holds the lock of a change that changed nothing).

CREATE TABLE client_billing_details (
    client_id     TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    company_name  TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    tax_id        TEXT NOT NULL DEFAULT '',
    po_reference  TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMP,
    updated_by    TEXT REFERENCES users(id) ON DELETE SET NULL
);

-- +goose Down
DROP TABLE client_billing_details;
