package engine

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector reports the live state that lives outside the process's own
// counters: queue depth and the age of the oldest ready entry per queue,
// from the queue backend, and the concurrency slots in use per provider,
// from the shared semaphore. It reads them at scrape time, so every api
// node reports the cluster-wide figures.
type collector struct {
	e        *Engine
	depth    *prometheus.Desc
	oldest   *prometheus.Desc
	inUse    *prometheus.Desc
	capacity *prometheus.Desc
}

// registerMetrics adds the engine's scrape-time metrics to its registry.
func (e *Engine) registerMetrics() error {
	return e.Metrics.Registry.Register(&collector{
		e: e,
		depth: prometheus.NewDesc("reelforge_queue_entries",
			"Queue entries by queue and state (ready, delayed, running, dead).",
			[]string{"queue", "state"}, nil),
		oldest: prometheus.NewDesc("reelforge_queue_oldest_ready_seconds",
			"Age of the oldest entry that is due and waiting for a worker.",
			[]string{"queue"}, nil),
		inUse: prometheus.NewDesc("reelforge_provider_concurrency_in_use",
			"Tasks holding a concurrency slot of the provider, across all workers.",
			[]string{"provider"}, nil),
		capacity: prometheus.NewDesc("reelforge_provider_concurrency_limit",
			"The provider's concurrency cap; 0 means none.", []string{"provider"}, nil),
	})
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.oldest
	ch <- c.inUse
	ch <- c.capacity
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if stats, err := c.e.Queue.Stats(ctx); err == nil {
		for _, q := range c.e.Queues() {
			s := stats[q]
			for state, n := range map[string]int64{"ready": s.Ready, "delayed": s.Delayed,
				"running": s.Running, "dead": s.Dead} {
				ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue,
					float64(n), q, state)
			}
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue,
				s.OldestReadyAge.Seconds(), q)
		}
	}
	for _, name := range c.e.Providers.Names() {
		p, err := c.e.Providers.Get(name)
		if err != nil {
			continue
		}
		limit := c.e.limitsOf(name, p.Capabilities()).Concurrency
		n, err := c.e.Slots.InUse(ctx, "provider:"+name)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(n), name)
		ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue,
			float64(limit), name)
	}
}
