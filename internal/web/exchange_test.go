package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// exchangeConversation opens a conversation for the sandbox's Alice.
func exchangeConversation(t *testing.T, e *env) ticket.Conversation {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	uid, name, email := "U10000001", "Alice Chen", "alice@example.com"
	cu, err := e.app.Customers.Create(ctx, customer.Input{UID: &uid, Name: &name, Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", TeamID: e.teamA.ID,
		Category: "withdrawal", Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "Where is my USDT?"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSidebarShowsExchangeActivity(t *testing.T) {
	e := newEnvWith(t, func(c *config.Config) { c.ExchangeURL = "sandbox" })
	conv := exchangeConversation(t, e)
	b := e.signedIn(e.agA)
	status, body, _ := b.get("/console/conversations/" + strconv.FormatInt(conv.ID, 10))
	if status != http.StatusOK {
		t.Fatalf("page: %d", status)
	}
	for _, want := range []string{
		`id="exchange"`, `class="sandbox"`, ">Sandbox<", // labelled as demo data
		"••• USDT", "TRC20", "Confirming", "12/20", "TQn9Y2…bLSE", // the stuck withdrawal, amount and address masked
		"••• ETH", "64/64", "Completed", // a deposit
		"<strong>RU</strong> Moscow", "Chrome 131 on Windows", "new device or country", "185.220.*.*", // the suspicious login
		"a***@example.com", `id="masked-why"`, `id="agent-freeze"`, "Masked until the customer is verified (now: Anonymous)", `id="reveal"`, `id="send-code-device"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("unverified sidebar lacks %q", want)
		}
	}
	for _, leak := range []string{"alice@example.com", "2500.00", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "185.220.101.34"} {
		if strings.Contains(body, leak) {
			t.Errorf("unverified sidebar shows %q", leak)
		}
	}
	actx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: e.agA.ID})
	if _, err := e.app.Trust.Reveal(actx, conv, "customer disputes the withdrawal address"); err != nil {
		t.Fatal(err)
	}
	_, body, _ = b.get("/console/conversations/" + strconv.FormatInt(conv.ID, 10))
	for _, want := range []string{"2500.00 USDT", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "1.2500 ETH", `id="revealed"`} {
		if !strings.Contains(body, want) {
			t.Errorf("revealed sidebar lacks %q", want)
		}
	}
	// A customer without an exchange UID has no exchange panel at all.
	_, body, _ = b.get("/console/conversations/" + strconv.FormatInt(e.convA.ID, 10))
	if strings.Contains(body, `id="exchange"`) {
		t.Error("a customer without a UID shows an exchange panel")
	}
}

func TestSidebarSurvivesDeadExchange(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":"down","message":"maintenance"}}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(dead.Close)
	e := newEnvWith(t, func(c *config.Config) {
		c.ExchangeURL, c.ExchangeSecret = dead.URL, "a-connector-secret-of-enough-length"
	})
	conv := exchangeConversation(t, e)
	b := e.signedIn(e.agA)
	status, body, _ := b.get("/console/conversations/" + strconv.FormatInt(conv.ID, 10))
	if status != http.StatusOK || !strings.Contains(body, "The exchange is not answering right now.") {
		t.Fatalf("dead exchange: %d, panel lacks the explanation", status)
	}
	if !strings.Contains(body, "Where is my USDT?") {
		t.Error("the thread is missing when the exchange is down")
	}
	if strings.Contains(body, `class="sandbox"`) {
		t.Error("a real connector is labelled sandbox")
	}
}
