package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// Envelope is an event on the wire between instances: its type name, the
// instance that published it and its JSON body.
type Envelope struct {
	Type   string          `json:"type"`
	Origin string          `json:"origin,omitempty"`
	Data   json.RawMessage `json:"data"`
}

var (
	decodersMu sync.RWMutex
	decoders   = map[string]func([]byte) (Event, error){}
)

// Register makes an event type decodable from the wire. Every event type
// that may cross instances must be registered; Encode refuses the others,
// so a forgotten registration fails loudly in tests rather than silently
// in production.
func Register[T Event]() {
	var zero T
	decodersMu.Lock()
	defer decodersMu.Unlock()
	decoders[zero.EventType()] = func(b []byte) (Event, error) {
		var v T
		err := json.Unmarshal(b, &v)
		return v, err
	}
}

func init() {
	Register[ConversationCreated]()
	Register[ConversationChanged]()
	Register[MessageCreated]()
	Register[ConversationsMerged]()
	Register[CustomersMerged]()
	Register[AgentChanged]()
	Register[SLAAlerted]()
	Register[ComplaintAlerted]()
	Register[OnCallPaged]()
	Register[AgentsNotified]()
	Register[Typing]()
	Register[Read]()
	Register[Viewing]()
	Register[ConsolesOpen]()
}

// Types returns the registered event type names, sorted.
func Types() []string {
	decodersMu.RLock()
	defer decodersMu.RUnlock()
	out := make([]string, 0, len(decoders))
	for t := range decoders {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Encode wraps an event for the wire.
func Encode(e Event, origin string) ([]byte, error) {
	decodersMu.RLock()
	_, ok := decoders[e.EventType()]
	decodersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("event: type %q is not registered", e.EventType())
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("event: encode %s: %w", e.EventType(), err)
	}
	return json.Marshal(Envelope{Type: e.EventType(), Origin: origin, Data: data})
}

// Decode reads an event from the wire.
func Decode(b []byte) (Event, Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, env, fmt.Errorf("event: envelope: %w", err)
	}
	decodersMu.RLock()
	dec, ok := decoders[env.Type]
	decodersMu.RUnlock()
	if !ok {
		return nil, env, fmt.Errorf("event: unknown type %q", env.Type)
	}
	e, err := dec(env.Data)
	if err != nil {
		return nil, env, fmt.Errorf("event: decode %s: %w", env.Type, err)
	}
	return e, env, nil
}

// Key identifies an event by its type and content. Every instance hears
// every event; a consumer that must act once across instances writes a job
// under this key, and the job table's unique key keeps one. Events carry
// their own instants, so two real occurrences never share a key.
func Key(e Event) string {
	data, _ := json.Marshal(e) // events are plain data; encoding cannot fail
	sum := sha256.Sum256(append([]byte(e.EventType()+"\x00"), data...))
	return hex.EncodeToString(sum[:16])
}
