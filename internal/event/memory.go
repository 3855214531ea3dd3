package event

import (
	"context"
	"sync"
	"sync/atomic"
)

// Subscription receives events on C. When the subscriber falls behind and
// its buffer is full, further events are dropped and counted in Dropped;
// the subscriber decides what a drop means (the realtime hub disconnects).
type Subscription struct {
	C       <-chan Event
	c       chan Event
	name    string
	dropped atomic.Int64
	bus     *Memory
	once    sync.Once
}

// Dropped reports how many events this subscription has lost.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close stops delivery and closes C.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
		close(s.c)
	})
}

// Memory is the in-process Bus used on a single node.
type Memory struct {
	mu   sync.RWMutex // guards subs and the send on each subscription channel against Close
	subs map[*Subscription]struct{}
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory { return &Memory{subs: map[*Subscription]struct{}{}} }

// Publish delivers events to every subscriber without blocking.
func (m *Memory) Publish(_ context.Context, events ...Event) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, e := range events {
		for s := range m.subs {
			select {
			case s.c <- e:
			default:
				s.dropped.Add(1)
			}
		}
	}
}

// Subscribe registers a subscriber with a bounded buffer.
func (m *Memory) Subscribe(name string, buffer int) *Subscription {
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, name: name, bus: m}
	m.mu.Lock()
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	return s
}
