package obs

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are Reelforge's Prometheus series. Each process has its own
// registry, so tests can run several side by side.
type Metrics struct {
	Registry *prometheus.Registry
	// Tasks counts tasks that ended, by provider, status and error code.
	Tasks *prometheus.CounterVec
	// TaskDuration is the time from a task's start to its end, by provider.
	TaskDuration *prometheus.HistogramVec
	// ProviderLatency is the time of each provider call, by provider and
	// operation (create, get, cancel, download).
	ProviderLatency *prometheus.HistogramVec
	// CostCents counts actual spend by provider.
	CostCents *prometheus.CounterVec
	// JobsAccepted counts accepted jobs.
	JobsAccepted prometheus.Counter
}

// NewMetrics registers the series and the Go and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reelforge_tasks_total",
			Help: "Tasks that reached a final status, by provider, status and error code.",
		}, []string{"provider", "status", "error_code"}),
		TaskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reelforge_task_duration_seconds",
			Help:    "Time from a task's start to its final status.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600},
		}, []string{"provider"}),
		ProviderLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reelforge_provider_request_duration_seconds",
			Help:    "Duration of calls to providers, by operation.",
			Buckets: prometheus.DefBuckets,
		}, []string{"provider", "operation"}),
		CostCents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reelforge_cost_cents_total",
			Help: "Actual spend on providers in cents.",
		}, []string{"provider"}),
		JobsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reelforge_jobs_accepted_total",
			Help: "Generation jobs accepted.",
		}),
	}
	reg.MustRegister(m.Tasks, m.TaskDuration, m.ProviderLatency, m.CostCents, m.JobsAccepted)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
