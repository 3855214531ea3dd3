package email_test

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/channel"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// BenchmarkIngestSMTP sends customer mail into the SMTP receiver over
// loopback from 8 concurrent connections, as MTAs do, each message parsed
// and stored (customer, conversation, message, thread id, original).
func BenchmarkIngestSMTP(b *testing.B) {
	d := newDesk(b, deskOptions{})
	tmpl := fixture(b, "gmail_new.eml")
	const conns = 8
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(d.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				from := fmt.Sprintf("trader%d@gmail.com", i%500)
				raw := bytes.Replace(tmpl, []byte("<CAGx7rK3wY1fP0v"), []byte(fmt.Sprintf("<bench%d-", i)), 1)
				raw = bytes.Replace(raw, []byte("alice.chen.trader@gmail.com"), []byte(from), 1)
				if err := c.SendMail(from, []string{support}, bytes.NewReader(raw)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
}

// BenchmarkOutboundDrain measures how fast the job queue empties: b.N
// agent replies on email conversations, delivered by 8 workers, each a
// DKIM-signed message over STARTTLS with AUTH to a local SMTP server.
func BenchmarkOutboundDrain(b *testing.B) {
	d := newDesk(b, deskOptions{})
	var convs []int64
	for i := range max(1, b.N/5) {
		r, err := d.Channels.Receive(d.Ctx, channel.Inbound{Channel: "email", ExternalID: fmt.Sprintf("<q%d@bench.example>", i),
			From:    channel.Sender{ID: fmt.Sprintf("c%d@bench.example", i), Email: fmt.Sprintf("c%d@bench.example", i)},
			Subject: "Deposit missing", Body: "Where is my deposit?"})
		if err != nil {
			b.Fatal(err)
		}
		convs = append(convs, r.ConversationID)
	}
	for i := range b.N {
		if _, err := d.Tickets.AddMessage(d.Ctx, ticket.MessageInput{ConversationID: convs[i%len(convs)], AuthorKind: ticket.ByAgent,
			AuthorName: "Mei", Body: fmt.Sprintf("Reply %d: your deposit has been credited.", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := withCancel(d)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Jobs.Work(ctx, job.WorkOptions{Handlers: d.Handlers(), Concurrency: 8, Poll: 5 * time.Millisecond})
	}()
	for {
		counts, err := d.Jobs.Counts(d.Ctx)
		if err != nil {
			b.Fatal(err)
		}
		if counts[job.Done] == b.N {
			break
		}
		if counts[job.Dead] > 0 {
			b.Fatalf("dead jobs: %v", counts)
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	if n := len(d.relay.messages()); n != b.N {
		b.Fatalf("relay received %d of %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "mail/s")
}
