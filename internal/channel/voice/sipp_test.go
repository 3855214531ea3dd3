package voice_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"vigil/internal/callback"
	"vigil/internal/channel/voice"
)

// SIPP runs one sipp user agent server on loopback: the built-in "uas"
// scenario, or a scenario file from testdata. It answers exactly one call
// (-m 1) and the test waits for it to finish, so a flow the scenario did
// not expect fails the test with sipp's own complaint.
type SIPP struct {
	Addr string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// StartSIPP starts sipp, or skips the test when VIGIL_SIPP is unset.
func StartSIPP(t testing.TB, transport, scenario string) *SIPP {
	t.Helper()
	bin := os.Getenv("VIGIL_SIPP")
	if bin == "" {
		t.Skip("set VIGIL_SIPP to the sipp binary (apt-get install sip-tester) to run the SIP call tests")
	}
	port := freePort(t, transport)
	args := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin",
		"-t", map[string]string{"udp": "u1", "tcp": "t1"}[transport]}
	if scenario == "uas" {
		args = append(args, "-sn", "uas")
	} else {
		args = append(args, "-sf", filepath.Join("testdata", scenario+".xml"))
	}
	s := &SIPP{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan error, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	waitListening(t, transport, s.Addr)
	return s
}

// Wait reports whether sipp saw the call through its scenario.
func (s *SIPP) Wait(t testing.TB) {
	t.Helper()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("sipp failed the scenario (%v):\n%s", err, tail(s.out.String()))
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("sipp did not finish:\n%s", tail(s.out.String()))
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

func freePort(t testing.TB, transport string) int {
	t.Helper()
	if transport == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening waits until sipp has bound its port.
func waitListening(t testing.TB, transport, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if transport == "tcp" {
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				return
			}
		} else if c, err := net.ListenPacket("udp", addr); err != nil {
			return // bound by sipp
		} else {
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sipp is not listening on %s %s", transport, addr)
}

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
			s := StartSIPP(t, transport, "uas")
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
			s := StartSIPP(t, transport, "ring_answer")
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
	s := StartSIPP(t, "udp", "hangup")
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
			s := StartSIPP(t, transport, "busy")
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
			s := StartSIPP(t, transport, "noanswer")
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
	s := StartSIPP(t, "udp", "noanswer")
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
				s := StartSIPP(b, transport, "uas")
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
