package api_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestMain turns on the API contract check (testkit/contract.go): every
// answer these tests get from /api/ must match the OpenAPI document the
// server publishes, or the test that got it fails.
// LIAISON_TEST_CONTRACT_REPORT=1 prints what it checked.
func TestMain(m *testing.M) {
	testkit.CheckAPIContract()
	code := m.Run()
	if os.Getenv(testkit.ContractReportEnv) != "" {
		fmt.Println(testkit.ContractReport())
	}
	os.Exit(code)
}
