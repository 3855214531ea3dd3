package callback_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/callback"
	"vigil/internal/channel/voice"
	"vigil/internal/channel/voice/sipptest"
	"vigil/internal/ticket"
)

// The whole path against a real SIP far end: the agent places the call,
// sipp answers, the agent hangs up, and the outcome with its measured
// duration lands on the call row, the conversation and the audit log.
func TestCallThroughTheTrunk(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := sipptest.Start(t, transport, "uas")
			d, err := voice.New(voice.Options{Trunk: s.Addr, Transport: transport, From: "sip:support@desk.example", RingTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			e := newEnv(t, d)
			mei := e.agent(t, "mei")
			cb := e.scheduled(t, mei)
			if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, answered := e.svc.Live(cb.ID); answered != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("sipp never answered")
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(1200 * time.Millisecond)
			if err := e.svc.Hangup(e.ctx, all, cb.ID); err != nil {
				t.Fatal(err)
			}
			e.waitIdle(t, cb.ID)
			s.Wait(t)
			got, calls, err := e.svc.ByID(e.ctx, all, cb.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != callback.Done || len(calls) != 1 {
				t.Fatalf("callback %+v calls %+v", got, calls)
			}
			c := calls[0]
			if c.Outcome != callback.Answered || c.SIPStatus != 200 || c.Seconds < 1 || c.Seconds > 3 || c.AnsweredAt == nil {
				t.Errorf("call %+v: want answered, about 1 s long", c)
			}
			msgs, err := e.tickets.Messages(e.ctx, all, cb.ConversationID, ticket.MessagesFilter{IncludeInternal: true})
			if err != nil {
				t.Fatal(err)
			}
			if last := msgs[len(msgs)-1]; !last.Internal || !strings.Contains(last.Body, "answered") {
				t.Errorf("last message %+v, want the call note", last)
			}
			if err := e.svc.Hangup(e.ctx, all, cb.ID); err == nil {
				t.Error("hanging up a finished call succeeded")
			}
		})
	}
}
