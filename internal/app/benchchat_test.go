package app

import (
	"encoding/json"
	"testing"
)

// TestBenchChat runs the chat bench small: every message a customer sends
// over the widget socket reaches the agent's console once, and the idle
// phase reports memory for the widgets it connected.
func TestBenchChat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and 10 WebSockets")
	}
	code, out, errs := run(t, testEnv(t, nil), "", "bench", "chat", "--json", "--customers", "4", "--agents", "2",
		"--messages", "3", "--rate", "100", "--idle", "3")
	if code != 0 {
		t.Fatalf("bench chat: exit %d: %s", code, errs)
	}
	var r ChatResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench chat printed %q: %v", out, err)
	}
	if r.Sent != 12 || r.Acked != 12 || r.Received != 12 || r.Lost != 0 || r.Duplicated != 0 || r.SendErrors != 0 {
		t.Errorf("sent %d acked %d received %d lost %d duplicated %d errors %d; want 12 sent, acked and received once each",
			r.Sent, r.Acked, r.Received, r.Lost, r.Duplicated, r.SendErrors)
	}
	if r.P50Millis <= 0 || r.P99Millis < r.P50Millis || r.PersistedPerSecond <= 0 {
		t.Errorf("latency p50 %v p99 %v, %v a second: want positive, ordered figures", r.P50Millis, r.P99Millis, r.PersistedPerSecond)
	}
	if r.Idle == nil || r.Idle.Connections != 3 || r.Idle.RSSAfter == 0 || r.Idle.HeapAfter == 0 {
		t.Errorf("idle = %+v, want 3 connections with memory figures", r.Idle)
	}
	if r.Hub == nil || r.Hub.Dropped != 0 {
		t.Errorf("hub stats = %+v, want no slow consumers dropped", r.Hub)
	}
}
