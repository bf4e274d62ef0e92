// Package metrics holds Liaison's Prometheus collectors, served at /metrics.
// Collectors live on one registry (not the global one) so tests can start
// several servers in one process.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry is the registry that /metrics serves.
var Registry = prometheus.NewRegistry()

var (
	// HTTPRequests counts requests by route pattern, method and status.
	HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liaison_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "status"})

	// HTTPDuration is the latency of requests by route pattern.
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "liaison_http_request_duration_seconds",
		Help:    "Latency of HTTP requests by route pattern.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})

	// JobsProcessed counts finished job attempts by kind and outcome
	// (done, retry, failed).
	JobsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liaison_jobs_processed_total",
		Help: "Job attempts by kind and outcome (done, retry, failed).",
	}, []string{"kind", "outcome"})

	// MailDelivered counts e-mail delivery attempts by transport and outcome.
	MailDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liaison_mail_delivered_total",
		Help: "E-mail delivery attempts by transport (smtp, local) and outcome (sent, retry, failed).",
	}, []string{"transport", "outcome"})
)

// MailInterrupted counts e-mails sent again because the previous attempt
// died midway (kill -9 during or right after the SMTP conversation): each
// may have reached its receiver twice, with the same Message-ID.
var MailInterrupted = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "liaison_mail_interrupted_total",
	Help: "E-mails sent again after an attempt that died midway (possible duplicates, same Message-ID).",
})

func init() {
	Registry.MustRegister(MailInterrupted)
	Registry.MustRegister(HTTPRequests, HTTPDuration, JobsProcessed, MailDelivered,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

var (
	// JobsQueued is the number of job rows by status, read at scrape time.
	JobsQueued = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "liaison_jobs",
		Help: "Job rows by status (queued, running, done, failed).",
	}, []string{"status"})

	// MailQueue is the number of outbox e-mails by status, read at scrape time.
	MailQueue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "liaison_mail_outbox",
		Help: "Outbox e-mails by status (queued, sent, failed).",
	}, []string{"status"})
)

func init() { Registry.MustRegister(JobsQueued, MailQueue) }

var (
	// MailOldestQueued is the age of the oldest e-mail still queued: it
	// grows when delivery is stuck (SMTP down, no job runner alive), and
	// is the one mail gauge worth alerting on. Read at scrape time.
	MailOldestQueued = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "liaison_mail_oldest_queued_age_seconds",
		Help: "Age of the oldest queued e-mail in seconds (0 when none is queued).",
	}, nil)

	// MetricsLeader is 1 on the one process that exports the gauges
	// counting database-wide rows (liaison_jobs, liaison_mail_outbox,
	// liaison_mail_oldest_queued_age_seconds), 0 on the others, so that
	// sums across replicas count each row once.
	MetricsLeader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "liaison_metrics_leader",
		Help: "1 on the process exporting the database-wide gauges, 0 elsewhere.",
	})
)

func init() { Registry.MustRegister(MailOldestQueued, MetricsLeader) }
