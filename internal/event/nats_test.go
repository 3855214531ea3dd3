package event_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/event"
)

// natsURL is the test NATS server (the CI machine runs one); tests that
// need it skip without it.
func natsURL(t *testing.T) string {
	u := os.Getenv("VIGIL_TEST_NATS_URL")
	if u == "" {
		t.Skip("VIGIL_TEST_NATS_URL not set")
	}
	return u
}

// Two instances on one NATS: what either publishes, both hear, in the
// order each published it, decoded to the same typed events.
func TestNATSBusCrossesInstances(t *testing.T) {
	url := natsURL(t)
	prefix := "test." + t.Name() + "." + time.Now().Format("150405.000000")
	a, err := event.NewNATS(event.NATSOptions{URL: url, Prefix: prefix, Origin: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := event.NewNATS(event.NATSOptions{URL: url, Prefix: prefix, Origin: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	subA, subB := a.Subscribe("a", 100), b.Subscribe("b", 100)
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	sent := []event.Event{
		event.MessageCreated{Scope: event.Scope{ConversationID: 7, CustomerID: 3}, MessageID: 70, Seq: 1, AuthorKind: "customer", Body: "提现没到账", At: at},
		event.ConversationChanged{Scope: event.Scope{ConversationID: 7}, Changes: map[string]string{"status": "open"}, At: at},
		event.Typing{ConversationID: 7, AuthorKind: "agent", Name: "Li Wei", ConnID: "c1"},
	}
	a.Publish(context.Background(), sent...)
	for name, sub := range map[string]*event.Subscription{"a": subA, "b": subB} {
		var got []event.Event
		timeout := time.After(5 * time.Second)
		for len(got) < len(sent) {
			select {
			case e := <-sub.C:
				got = append(got, e)
			case <-timeout:
				t.Fatalf("instance %s heard %d of %d events", name, len(got), len(sent))
			}
		}
		if diff := cmp.Diff(sent, got); diff != "" {
			t.Errorf("instance %s (-sent +heard):\n%s", name, diff)
		}
	}
}

func TestEncodeRefusesUnregisteredTypes(t *testing.T) {
	if _, err := event.Encode(unregistered{}, "x"); err == nil {
		t.Error("an unregistered event type was encoded")
	}
	if _, _, err := event.Decode([]byte(`{"type":"nope","data":{}}`)); err == nil {
		t.Error("an unknown type was decoded")
	}
}

type unregistered struct{}

func (unregistered) EventType() string { return "test.unregistered" }
