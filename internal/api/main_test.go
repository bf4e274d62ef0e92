package api_test

import (
	"os"
	"testing"

	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestMain turns on the API contract check (testkit/contract.go): every
// answer these tests get from /api/ must match the OpenAPI document the
// server publishes, or the test that got it fails.
func TestMain(m *testing.M) {
	testkit.CheckAPIContract()
	os.Exit(m.Run())
}
