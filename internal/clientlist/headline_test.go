package clientlist_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// The agency setting's check of a metric name (agency cannot import
// metricdata, which reads the settings) is metricdata's.
func TestHeadlineNamesAreMetricNames(t *testing.T) {
	names := []string{"", "a", "sessions", "conv_rate", "a.b_c9", "Sessions", "9a", "_a", "a-b", "a b", "é", "a\x00",
		strings.Repeat("a", 64), strings.Repeat("a", 65), ".a", "a."}
	for _, n := range names {
		if agency.ValidMetricName(n) != metricdata.ValidMetricName(n) {
			t.Errorf("%q: agency says %v, metricdata %v", n, agency.ValidMetricName(n), metricdata.ValidMetricName(n))
		}
	}
}
