-- +goose Up
-- Nothing on SQLite: one process serves a SQLite database, and it forgets
-- its cached sessions itself after a transaction that wrote to the tables
-- a session's answer comes from (db.AuthGeneration). The step exists so
-- that both engines number their migrations alike (the PostgreSQL step
-- adds the triggers that tell the other processes).
SELECT 1;

-- +goose Down
SELECT 1;
