package webchat_test

import (
	"strings"
	"testing"

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
