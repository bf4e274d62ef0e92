package client

import "github.com/liaison-dev/liaison/internal/db"

// SetReader makes s run its read queries through q, so tests can count the
// statements a list costs.
func SetReader(s *Service, q db.Querier) { s.read = q }
