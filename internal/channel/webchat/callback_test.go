package webchat_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// TestWidgetCallbackRequest: an ordinary customer is told plainly that
// callbacks are not for them, in their language; a VIP's request becomes
// a phone conversation in their history; a second one is refused, and so
// is a flood of attempts.
func TestWidgetCallbackRequest(t *testing.T) {
	e := newEnv(t, options{})
	now := e.clock.Now()
	window := map[string]any{"window_start": now.Add(time.Hour), "window_end": now.Add(3 * time.Hour), "language": "en",
		"phone": "+8613800138000", "note": "withdrawal of 3 BTC stuck"}

	plain := e.visitor(newVisitorID())
	wantError(t, e.request("POST", "/widget/api/callbacks", plain.Token, window), http.StatusForbidden, "callback.not_entitled")
	r := e.request("POST", "/widget/api/callbacks", plain.Token, window, "Accept-Language", "zh-CN")
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "在线聊天") {
		t.Errorf("refusal in Chinese: %d %s", r.status, r.body)
	}
	wantError(t, e.request("POST", "/widget/api/callbacks", "", window), http.StatusUnauthorized, "auth.required")

	vip := e.identified(e.claims("U20000001"))
	tier := 5
	if _, err := e.app.Customers.Update(system(), vip.Customer.ID, customer.Input{VIPTier: &tier}); err != nil {
		t.Fatal(err)
	}
	bad := map[string]any{"window_start": now.Add(3 * time.Hour), "window_end": now.Add(time.Hour), "language": "en", "phone": "+8613800138000"}
	wantError(t, e.request("POST", "/widget/api/callbacks", vip.Token, bad), http.StatusUnprocessableEntity, "callback.window_order", "window_end")
	got := decode[struct {
		Callback struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"callback"`
		Conversation ticket.Conversation `json:"conversation"`
	}](t, e.request("POST", "/widget/api/callbacks", vip.Token, window), http.StatusCreated)
	if got.Callback.State != "requested" || got.Conversation.Channel != "phone" {
		t.Fatalf("request answered %+v", got)
	}
	th := decode[thread](t, e.request("GET", convPath(got.Conversation.ID, "/messages"), vip.Token, nil), http.StatusOK)
	if len(th.Data) != 1 || !strings.Contains(th.Data[0].Body, "3 BTC") {
		t.Errorf("the customer's phone conversation shows %+v", th.Data)
	}
	wantError(t, e.request("POST", "/widget/api/callbacks", vip.Token, window), http.StatusConflict, "callback.already_requested")
	var limited bool
	for range 40 {
		if r := e.request("POST", "/widget/api/callbacks", vip.Token, window); r.status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("40 requests in a row were never rate-limited")
	}
}
