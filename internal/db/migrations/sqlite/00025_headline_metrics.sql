-- +goose Up
-- Headline metrics (SPEC §3, §12; issue 16): an agency picks up to three
-- metric names (agency_settings.headline_metrics, a JSON array), and the
-- client list shows each client's values of them for the current calendar
-- month in the agency's time zone, over the brands the client is granted.
--
-- client_list_headline holds those values per list row (a JSON object,
-- metric name → number or null), computed by the list's refresh
-- (internal/clientlist/headline.go) like the status and the score: a row's
-- values are right until its valid_until, which the refresh caps at the end
-- of the month; a push, a deletion or a catalogue change of a brand marks
-- the rows of the clients granted it due (clientlist/due.MarkHeadline), a
-- grant or a revocation rebuilds the row due (00010's triggers), a change
-- of the setting marks the agency's rows due. The refresh stamps a row whose
-- values changed, so in-memory copies read it again. It is a table of its
-- own, not columns of client_list, so that the rows 00010's triggers
-- rebuild from client_list_source keep their shape.
--
-- The same step for the other engine is ../postgres/00025_headline_metrics.sql.
ALTER TABLE agency_settings ADD COLUMN headline_metrics TEXT NOT NULL DEFAULT '[]';

CREATE TABLE client_list_headline (
    agency_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    vals       TEXT NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);

-- +goose Down
DROP TABLE client_list_headline;
ALTER TABLE agency_settings DROP COLUMN headline_metrics;
