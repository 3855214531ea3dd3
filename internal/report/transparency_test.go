package report_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/report"
	"vigil/internal/web"
)

// TestAvailability checks the public figures by hand: web chats answered
// after 2, 4 and 9 minutes inside the last hour give a median of 4
// minutes; an email answered in the window and a chat answered 61
// minutes ago do not count.
func TestAvailability(t *testing.T) {
	e := newEnv(t)
	ag := e.agent(t, "x@desk.example")
	cust := e.customer(t, "Ana", "en", 0)
	reports := report.New(report.Options{DB: e.d, Tickets: e.tickets, Facts: e.tickets, Customers: e.customers, Now: e.clock.Now, Online: e.agents.OnlineCount})

	answer := func(channel string, wait time.Duration) {
		c := e.open(t, cust, channel, "en", "deposit")
		e.clock.Advance(wait)
		e.reply(t, c.ID, ag.ID)
	}
	answer("webchat", 3*time.Minute) // answered at 09:03, 61 minutes before 10:04
	e.clock.Advance(time.Minute)
	answer("webchat", 2*time.Minute)
	answer("webchat", 9*time.Minute)
	answer("email", 30*time.Second)
	answer("webchat", 4*time.Minute)
	e.clock.Advance(t0.Add(64 * time.Minute).Sub(e.clock.Now()))
	if now := e.clock.Now(); !now.Equal(t0.Add(64 * time.Minute)) {
		t.Fatalf("clock at %v, want 10:04", now)
	}
	av, err := reports.Availability(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if av.ChatAvailable || av.Answered != 3 || av.MedianWait == nil || *av.MedianWait != 240 {
		t.Errorf("availability = %+v, want nobody online, 3 answered, median 240 s", av)
	}
	if err := e.agents.SetStatus(e.ctx, ag.ID, agent.Online); err != nil {
		t.Fatal(err)
	}

	// Off by default: both the JSON and the widget answer 404.
	serve := func(enabled bool) *httptest.Server {
		limiter := auth.NewLimiter(0.0001, 2, e.clock.Now)
		mux := http.NewServeMux()
		api.New(api.Deps{Reports: reports, Logger: slog.New(slog.DiscardHandler), Transparency: enabled, TransparencyLimiter: limiter}).Register(mux)
		web.NewAvailabilityWidget(web.AvailabilityDeps{Reports: reports, Logger: slog.New(slog.DiscardHandler), ClientIP: api.RemoteIP,
			Limiter: limiter, Enabled: enabled}).Register(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return srv
	}
	get := func(srv *httptest.Server, path string) (int, http.Header, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	off := serve(false)
	if code, _, _ := get(off, "/api/v1/public/availability"); code != http.StatusNotFound {
		t.Errorf("disabled JSON: %d, want 404", code)
	}
	if code, _, _ := get(off, "/status/chat"); code != http.StatusNotFound {
		t.Errorf("disabled widget: %d, want 404", code)
	}
	on := serve(true)
	code, h, body := get(on, "/api/v1/public/availability")
	var got report.Availability
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || !got.ChatAvailable || *got.MedianWait != 240 || got.Answered != 3 {
		t.Errorf("JSON: %d %s", code, body)
	}
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("JSON is not readable from other sites: %v", h)
	}
	if code, _, body := get(on, "/status/chat?lang=zh"); code != 200 || !strings.Contains(body, "现在有客服可以在线聊天") || !strings.Contains(body, "4 分钟（3 个会话）") {
		t.Errorf("widget in Chinese: %d %s", code, body)
	}
	// The JSON and the widget share a burst of two: the third request is throttled.
	if code, _, _ := get(on, "/status/chat"); code != http.StatusTooManyRequests {
		t.Errorf("third request: %d, want 429", code)
	}
}
