package engine

import "sync"

// Bus tells listeners in this process that a job has new events, so a
// Server-Sent Events stream wakes at once instead of on its next poll of
// the event table. Listeners in other processes still see every event by
// reading the table, which stays the truth.
type Bus struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: make(map[string]map[chan struct{}]struct{})} }

// Subscribe returns a channel signalled (coalesced) when jobID has news, and
// a function that ends the subscription.
func (b *Bus) Subscribe(jobID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[jobID] == nil {
		b.subs[jobID] = make(map[chan struct{}]struct{})
	}
	b.subs[jobID][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[jobID], ch)
		if len(b.subs[jobID]) == 0 {
			delete(b.subs, jobID)
		}
		b.mu.Unlock()
	}
}

// Publish signals jobID's subscribers without blocking.
func (b *Bus) Publish(jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[jobID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
