package ticket_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/ticket"
)

// BenchmarkOpen measures starting a conversation: customer lookup, the
// conversation row, tags, its first message, two audit entries and events.
func BenchmarkOpen(b *testing.B) {
	e := newEnv(b)
	cust := e.customer(b, "Alice")
	in := ticket.OpenInput{CustomerID: cust.ID, Channel: "webchat", Priority: ticket.Normal, Category: "deposit",
		Tags: []string{"vip", "usdt"}, Crypto: ticket.Crypto{Asset: "USDT", Network: "TRC20"},
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "My **USDT** deposit has not arrived"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.clock.Advance(time.Millisecond)
		if _, _, err := e.tickets.Open(e.ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddMessage measures appending to one busy thread: the sequence
// reservation on the conversation row, the message, an audit entry and the
// lifecycle rules.
func BenchmarkAddMessage(b *testing.B) {
	e := newEnv(b)
	cust := e.customer(b, "Alice")
	ag := e.agent(b, "sam@desk.test")
	conv, _ := e.open(b, cust.ID)
	msgs := []ticket.MessageInput{
		{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "Any news about my deposit?"},
		{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "It has 3 of 20 confirmations."},
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		e.clock.Advance(time.Millisecond)
		if _, err := e.tickets.AddMessage(e.ctx, msgs[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAddMessageConcurrent measures many customers writing at once,
// as live chat does: 64 writers over 64 conversations, whose messages
// share commits (db.WithGroupTx).
func BenchmarkAddMessageConcurrent(b *testing.B) {
	e := newEnv(b)
	var convs []ticket.MessageInput
	for i := range 64 {
		cust := e.customer(b, fmt.Sprint("Customer ", i))
		conv, _ := e.open(b, cust.ID)
		convs = append(convs, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID,
			Body: "Any news about my deposit?"})
	}
	var next atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := convs[next.Add(1)%int64(len(convs))]
		for pb.Next() {
			if _, err := e.tickets.AddMessage(e.ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
