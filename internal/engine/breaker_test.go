package engine

import (
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/store"
)

func TestBreakerOpensAndRecovers(t *testing.T) {
	t.Parallel()
	b := newBreaker(3, 10*time.Second)
	now := time.Unix(1000, 0)
	fail := &provider.Error{Code: provider.CodeProviderError}
	for i := range 3 {
		if !b.allow("a", now) {
			t.Fatalf("refused before %d failures", i)
		}
		b.record("a", fail, now)
	}
	if b.allow("a", now.Add(time.Second)) {
		t.Fatal("allowed with the circuit open")
	}
	if st, last, _ := b.state("a", now.Add(time.Second)); st != CircuitOpen || last != "provider_error" {
		t.Fatalf("state %s %s", st, last)
	}
	if !b.allow("b", now) {
		t.Fatal("another account's circuit was affected")
	}
	// After the cooldown one trial call goes through, a second waits.
	later := now.Add(11 * time.Second)
	if !b.allow("a", later) || b.allow("a", later) {
		t.Fatal("half open must allow exactly one trial")
	}
	b.record("a", fail, later)
	if b.allow("a", later.Add(time.Second)) {
		t.Fatal("a failed trial must open the circuit again")
	}
	again := later.Add(11 * time.Second)
	if !b.allow("a", again) {
		t.Fatal("no trial after the second cooldown")
	}
	b.record("a", nil, again)
	if st, _, _ := b.state("a", again); st != CircuitClosed || !b.allow("a", again) {
		t.Fatal("a successful trial must close the circuit")
	}
	// Accepted jobs do not hide failures that come later, but end a trial.
	for range 3 {
		b.accepted("d", now)
		b.record("d", fail, now)
	}
	if b.allow("d", now) {
		t.Fatal("jobs accepted then failed must still open the circuit")
	}
	trial := now.Add(11 * time.Second)
	if !b.allow("d", trial) {
		t.Fatal("no trial")
	}
	b.accepted("d", trial)
	if !b.allow("d", trial) {
		t.Fatal("an accepted trial must close the circuit")
	}
	// Rate limits and bad requests say nothing about the provider's health.
	for range 10 {
		b.record("c", &provider.Error{Code: provider.CodeRateLimited}, now)
		b.record("c", &provider.Error{Code: provider.CodeBadRequest}, now)
	}
	if !b.allow("c", now) {
		t.Fatal("rate limits opened the circuit")
	}
}

func TestDeriveJobStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tasks []string
		want  string
	}{
		{[]string{"queued", "queued"}, "queued"},
		{[]string{"starting", "queued"}, "starting"},
		{[]string{"processing", "queued"}, "processing"},
		{[]string{"succeeded", "queued"}, "processing"},
		{[]string{"succeeded", "succeeded"}, "succeeded"},
		{[]string{"succeeded", "failed"}, "failed"},
		{[]string{"canceled", "canceled"}, "canceled"},
		{[]string{"canceled", "succeeded"}, "canceled"},
		{[]string{"canceled", "failed"}, "failed"},
	}
	for _, c := range cases {
		job := &store.Job{}
		var tasks []*store.Task
		for _, st := range c.tasks {
			tasks = append(tasks, &store.Task{Status: st})
		}
		derive(job, tasks)
		if job.Status != c.want {
			t.Errorf("%v: %s, want %s", c.tasks, job.Status, c.want)
		}
	}
}
