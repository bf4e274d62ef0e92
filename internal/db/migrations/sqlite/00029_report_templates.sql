-- +goose Up
-- Report templates (SPEC §12 "Templates", issue 17; internal/report). A
-- template is a report's layout kept by the agency (widgets refer to metric
-- names, so it fits any brand). report_template_uses remembers the report
-- each apply made in a brand and a hash of the content it gave the report:
-- a report whose content no longer has that hash was edited by hand, and
-- a re-apply leaves it alone (content, not updated_at, so that an edit in
-- the same microsecond as the apply is not missed). Deleting the report forgets the use, so the
-- next apply creates it again.

CREATE TABLE report_templates (
    id                TEXT PRIMARY KEY,
    agency_id         TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    default_range     TEXT NOT NULL DEFAULT 'last_30_days',
    comparison        TEXT NOT NULL DEFAULT 'previous_period',
    widgets           TEXT NOT NULL DEFAULT '[]',
    source_report_id  TEXT,
    created_by        TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX report_templates_agency ON report_templates(agency_id, name, id);

CREATE TABLE report_template_uses (
    template_id        TEXT NOT NULL REFERENCES report_templates(id) ON DELETE CASCADE,
    brand_id           TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    report_id          TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    applied_at         TIMESTAMP NOT NULL,
    applied_hash       TEXT NOT NULL,
    PRIMARY KEY (template_id, brand_id)
);
CREATE INDEX report_template_uses_report ON report_template_uses(report_id);

-- +goose Down
DROP TABLE report_template_uses;
DROP TABLE report_templates;
