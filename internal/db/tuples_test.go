package db_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
)

func TestTuples(t *testing.T) {
	for n, want := range map[int]string{0: "", 1: "(?, ?)", 3: "(?, ?), (?, ?), (?, ?)"} {
		if got := db.Tuples("(?, ?)", n); got != want {
			t.Errorf("Tuples(%d) = %q, want %q", n, got, want)
		}
	}
}
