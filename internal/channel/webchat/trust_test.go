package webchat_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/channel/webchat"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// TestSignedIdentityLevel: a customer the exchange signed in starts at
// "identified"; an anonymous visitor stays anonymous. A seed phrase typed
// in the widget never reaches the agent.
func TestSignedIdentityLevel(t *testing.T) {
	e := newEnv(t, options{})
	signed := e.identified(e.claims("U10000001"))
	conv := e.open(signed.Token, map[string]string{"body": "I did not log in from Moscow"}).Conversation
	st, err := e.app.Trust.Level(system(), conv.ID)
	if err != nil || st.Level != trust.Identified || st.Method != "widget_signature" {
		t.Fatalf("signed customer's conversation: %+v, %v", st, err)
	}
	anon := e.visitor(newVisitorID())
	conv2 := e.open(anon.Token, map[string]string{"body": "hello"}).Conversation
	if st, _ := e.app.Trust.Level(system(), conv2.ID); st.Level != trust.Anonymous {
		t.Errorf("anonymous visitor at %v", st.Level)
	}
	r := e.request("POST", convPath(conv2.ID, "/messages"), anon.Token,
		map[string]string{"body": "legal winner thank year wave sausage worth useful legal winner thank yellow"})
	if r.status != 201 || strings.Contains(string(r.body), "sausage") {
		t.Fatalf("send seed phrase: %d %s", r.status, r.body)
	}
	th := decode[thread](t, e.request("GET", convPath(conv2.ID, "/messages"), anon.Token, nil), 200)
	last := th.Data[len(th.Data)-1]
	if last.AuthorKind != "system" || !strings.Contains(last.Body, "recovery phrase") {
		t.Errorf("customer not warned: %+v", last)
	}
}

func TestWidgetFreeze(t *testing.T) {
	e := newEnv(t, options{})
	anon := e.visitor(newVisitorID())
	wantError(t, e.request("POST", "/widget/api/freeze", anon.Token, map[string]string{"reason": "not_me"}), http.StatusForbidden, "trust.identity_required")
	signed := e.identified(e.claims("U10000003"))
	r := e.request("POST", "/widget/api/freeze", signed.Token, map[string]string{"reason": "withdrawal", "language": "en"})
	got := decode[struct {
		Frozen       bool                `json:"frozen"`
		NextSteps    string              `json:"next_steps"`
		Conversation ticket.Conversation `json:"conversation"`
	}](t, r, http.StatusCreated)
	if !got.Frozen || !e.app.Sandbox.Frozen("U10000003") || !strings.Contains(got.NextSteps, "never call you") {
		t.Fatalf("widget freeze = %+v", got)
	}
	// The customer sees the conversation the freeze opened, with the steps.
	th := decode[thread](t, e.request("GET", convPath(got.Conversation.ID, "/messages"), signed.Token, nil), http.StatusOK)
	if th.Data[len(th.Data)-1].Body != got.NextSteps || th.Conversation.Category != "account_security" {
		t.Errorf("freeze conversation = %+v", th.Conversation)
	}
}

func TestFreezeLink(t *testing.T) {
	e := newEnv(t, options{})
	link := webchat.FreezeLink([]byte(widgetSecret), "U10000002", e.clock.now.Add(24*time.Hour))
	page := e.request("GET", link+"&lang=zh", "", nil)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `id="freeze-now"`) || !strings.Contains(string(page.body), "冻结") {
		t.Fatalf("link page: %d %s", page.status, page.body)
	}
	if e.app.Sandbox.Frozen("U10000002") {
		t.Fatal("opening the link froze the account; only the button may")
	}
	u, _ := url.Parse(link)
	form := u.Query()
	form.Set("lang", "zh")
	post := func(f url.Values) response {
		req, _ := http.NewRequest("POST", e.srv.URL+"/freeze", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.roundTrip(req)
	}
	forged := url.Values{"uid": {"U10000001"}, "exp": form["exp"], "sig": form["sig"]}
	if r := post(forged); r.status != http.StatusForbidden || e.app.Sandbox.Frozen("U10000001") {
		t.Fatalf("link signed for another UID: %d", r.status)
	}
	r := post(form)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "已冻结") || !e.app.Sandbox.Frozen("U10000002") {
		t.Fatalf("link freeze: %d %s", r.status, r.body)
	}
	expired := webchat.FreezeLink([]byte(widgetSecret), "U10000004", e.clock.now.Add(-time.Minute))
	if r := e.request("GET", expired, "", nil); r.status != http.StatusForbidden {
		t.Errorf("expired link: %d", r.status)
	}
}

func TestVerifyPage(t *testing.T) {
	e := newEnv(t, options{})
	if _, err := e.app.Trust.AddOfficial(system(), trust.KindDomain, "vigil-exchange.com", ""); err != nil {
		t.Fatal(err)
	}
	r := e.request("GET", "/verify?lang=zh&q="+url.QueryEscape("https://support.vigil-exchange.com/"), "", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "verdict-official") || !strings.Contains(string(r.body), "是官方渠道") {
		t.Fatalf("official domain: %d %s", r.status, r.body)
	}
	r = e.request("GET", "/verify?q="+url.QueryEscape("vigiI-exchange.com"), "", nil)
	body := string(r.body)
	if !strings.Contains(body, "verdict-not_official") || !strings.Contains(body, "It imitates our official vigil-exchange.com") || !strings.Contains(body, `id="report"`) {
		t.Fatalf("look-alike: %s", body)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/verify/report", strings.NewReader(url.Values{"q": {"vigiI-exchange.com"}, "details": {"a fake support page"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := e.roundTrip(req); r.status != http.StatusCreated || !strings.Contains(string(r.body), "case #") {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r := e.request("GET", "/verify?q="+strings.Repeat("x", 5000), "", nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("very long input: %d", r.status)
	}
}
