// Package sipptest runs sipp, the SIP test tool, as the far end of calls
// in tests: a trunk that answers, rings, is busy or never answers,
// speaking real SIP on loopback.
package sipptest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
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

// Start starts sipp on loopback, or skips the test when VIGIL_SIPP is
// unset. Scenario is "uas" (sipp's built-in answering scenario) or the
// path of a scenario file.
func Start(t testing.TB, transport, scenario string) *SIPP {
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
		args = append(args, "-sf", scenario)
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
