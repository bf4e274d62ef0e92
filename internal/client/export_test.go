package client

import "github.com/liaison-dev/liaison/internal/db"

// SetReader makes s run its read queries through q, so tests can count the
// statements a list costs.
func SetReader(s *Service, q db.Querier) { s.read = q }

// SearchInSQL makes s answer every search in SQL, never from its in-memory
// search texts; SearchFromMemory makes it use them on either engine; so
// tests can compare the two.
func SearchInSQL(s *Service)      { s.searchFromMemory = false }
func SearchFromMemory(s *Service) { s.searchFromMemory = true }
