package voice_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"vigil/internal/callback"
	"vigil/internal/channel/voice"
	"vigil/internal/channel/voice/sipptest"
)

func scenario(name string) string { return filepath.Join("testdata", name+".xml") }

func newDialer(t testing.TB, transport, trunk string, ring time.Duration) *voice.Dialer {
	t.Helper()
	d, err := voice.New(voice.Options{Trunk: trunk, Transport: transport, From: "sip:support@desk.example", RingTimeout: ring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// call dials and, once answered, hangs up after talk (the agent's side).
func call(t testing.TB, d *voice.Dialer, talk time.Duration) (callback.Result, *time.Time) {
	t.Helper()
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var answered *time.Time
	res := d.Dial(ctx, callback.Dial{CallID: 7, Number: "+8613800138000", StaffID: "VS-0042", OnAnswer: func(at time.Time) {
		answered = &at
		time.AfterFunc(talk, hangUp)
	}})
	return res, answered
}

func TestAnsweredCallHungUpByAgent(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := sipptest.Start(t, transport, "uas")
			res, answered := call(t, newDialer(t, transport, s.Addr, 10*time.Second), 700*time.Millisecond)
			s.Wait(t)
			if res.Outcome != callback.Answered || res.SIPStatus != 200 || answered == nil || res.AnsweredAt == nil {
				t.Fatalf("result %+v, want answered with 200", res)
			}
			talk := res.EndedAt.Sub(*res.AnsweredAt)
			if talk < 700*time.Millisecond || talk > 5*time.Second {
				t.Errorf("connected for %v, want about the 700ms the agent talked", talk)
			}
		})
	}
}

func TestRingingThenAnswered(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := sipptest.Start(t, transport, scenario("ring_answer"))
			res, _ := call(t, newDialer(t, transport, s.Addr, 10*time.Second), 300*time.Millisecond)
			s.Wait(t)
			if res.Outcome != callback.Answered || res.AnsweredAt == nil {
				t.Fatalf("result %+v, want answered", res)
			}
			if ring := res.AnsweredAt.Sub(res.StartedAt); ring < time.Second {
				t.Errorf("answered after %v; the scenario rings for 1s first", ring)
			}
			if res.Recording == "" || res.Recording[:4] != "rec-" {
				t.Errorf("recording %q, want the trunk's X-Recording-Ref", res.Recording)
			}
		})
	}
}

func TestCustomerHangsUp(t *testing.T) {
	s := sipptest.Start(t, "udp", scenario("hangup"))
	res, _ := call(t, newDialer(t, "udp", s.Addr, 10*time.Second), time.Minute)
	s.Wait(t)
	if res.Outcome != callback.Answered || res.AnsweredAt == nil {
		t.Fatalf("result %+v, want answered", res)
	}
	if talk := res.EndedAt.Sub(*res.AnsweredAt); talk > 10*time.Second {
		t.Errorf("call lasted %v after the customer's BYE at 0.5s; the agent's minute should not have been needed", talk)
	}
}

func TestBusy(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := sipptest.Start(t, transport, scenario("busy"))
			res, answered := call(t, newDialer(t, transport, s.Addr, 10*time.Second), time.Second)
			s.Wait(t)
			if res.Outcome != callback.Busy || res.SIPStatus != 486 || answered != nil || res.AnsweredAt != nil {
				t.Fatalf("result %+v, want busy (486) and never answered", res)
			}
		})
	}
}

func TestNoAnswerCancelsAfterRingTimeout(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := sipptest.Start(t, transport, scenario("noanswer"))
			res, answered := call(t, newDialer(t, transport, s.Addr, 1500*time.Millisecond), time.Second)
			s.Wait(t)
			if res.Outcome != callback.NoAnswer || answered != nil {
				t.Fatalf("result %+v, want no answer", res)
			}
			if rang := res.EndedAt.Sub(res.StartedAt); rang < 1500*time.Millisecond {
				t.Errorf("gave up after %v, before the 1.5s ring timeout", rang)
			}
			if res.SIPStatus != 487 {
				t.Errorf("final status %d, want 487 after CANCEL", res.SIPStatus)
			}
		})
	}
}

func TestAgentCancelsWhileRinging(t *testing.T) {
	s := sipptest.Start(t, "udp", scenario("noanswer"))
	d := newDialer(t, "udp", s.Addr, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res := d.Dial(ctx, callback.Dial{CallID: 8, Number: "+8613800138000", StaffID: "VS-0042"})
	s.Wait(t)
	if res.Outcome != callback.Cancelled || res.SIPStatus != 487 {
		t.Fatalf("result %+v, want cancelled with 487", res)
	}
}

func TestBadNumberFailsWithoutDialling(t *testing.T) {
	d, err := voice.New(voice.Options{Trunk: "127.0.0.1:9", Transport: "udp", From: "sip:support@desk.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res := d.Dial(context.Background(), callback.Dial{Number: "+86 138-0013"})
	if res.Outcome != callback.Failed || res.Detail == "" {
		t.Fatalf("result %+v, want failed with a reason", res)
	}
}

// BenchmarkCallSetup measures INVITE to ACK plus BYE against sipp's
// built-in UAS over loopback, one sipp process per call.
func BenchmarkCallSetup(b *testing.B) {
	for _, transport := range []string{"udp", "tcp"} {
		b.Run(transport, func(b *testing.B) {
			var setup time.Duration
			for range b.N {
				b.StopTimer()
				s := sipptest.Start(b, transport, "uas")
				d := newDialer(b, transport, s.Addr, 10*time.Second)
				b.StartTimer()
				ctx, hangUp := context.WithCancel(context.Background())
				res := d.Dial(ctx, callback.Dial{CallID: 1, Number: "+8613800138000", StaffID: "VS-0001", OnAnswer: func(time.Time) { hangUp() }})
				hangUp()
				b.StopTimer()
				if res.Outcome != callback.Answered {
					b.Fatalf("result %+v", res)
				}
				setup += res.AnsweredAt.Sub(res.StartedAt)
				s.Wait(b)
				d.Close()
			}
			b.ReportMetric(float64(setup.Microseconds())/float64(b.N)/1000, "ms-to-answer/op")
		})
	}
}
