-- +goose Up
-- Nothing on SQLite: one process serves a SQLite database, and it reads
-- the client list's state again after any write it committed
-- (db.WriteGeneration). The step exists so that both engines number their
-- migrations alike (the PostgreSQL step adds the triggers that tell the
-- other processes, and the writer, that the list's state changed).
SELECT 1;

-- +goose Down
SELECT 1;
