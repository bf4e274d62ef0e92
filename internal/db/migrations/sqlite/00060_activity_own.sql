-- +goose Up
-- The refresh of a client's list row reads its own activity (impersonator_id
-- IS NULL) after each of its page views and logins (internal/clientlist,
-- readActivity). Its last login, last login before the window, the pages
-- it viewed and each one's first view of the last 30 days are read as
-- index seeks at the ends of these partial indexes (its last event, on
-- activity_events_client_at read backwards), so a refresh costs about the
-- same for a client with 10 events and one with 100,000 (issue 23's mixed
-- soak: the maxima read every event a client ever had, the first views
-- every view of the last 30 days, 3.8 % → 10.7 % of the server's CPU).
--
-- activity_events_own replaces activity_events_client_kind (00011): every
-- statement that read that one asks for impersonator_id IS NULL (the
-- refresh, the activity page's summary), and the partial index holds fewer
-- rows. activity_events_own_views holds own page views only, by page.
-- activity_events_client_at (the activity page, impersonated events
-- included) stays.
--
-- The same step for PostgreSQL is ../postgres/00060_activity_own.sql.
CREATE INDEX activity_events_own ON activity_events(client_id, kind, at) WHERE impersonator_id IS NULL;
CREATE INDEX activity_events_own_views ON activity_events(client_id, page, at)
    WHERE kind = 'page_view' AND impersonator_id IS NULL;
DROP INDEX activity_events_client_kind;

-- +goose Down
CREATE INDEX activity_events_client_kind ON activity_events(client_id, kind, at);
DROP INDEX activity_events_own_views;
DROP INDEX activity_events_own;
