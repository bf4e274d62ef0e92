-- +goose Up
-- Nothing on SQLite, which has no notifications: the PostgreSQL step makes
-- them name the schema that changed. The step exists so that both engines
-- number their migrations alike.
SELECT 1;

-- +goose Down
SELECT 1;
