package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/macro"
	"vigil/internal/ticket"
)

// TestApplyMacroFromConsole: Ben picks a global macro on Bob's
// conversation; the reply goes out with Bob's first name and the case
// number, the conversation becomes pending with the tag, and a macro
// refused on a closed conversation is explained on the page.
func TestApplyMacroFromConsole(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	m, err := e.app.Macros.Save(ctx, macro.Caller{AgentID: e.admin.ID, Manage: true}, macro.Macro{Name: "Confirm it was you", Scope: macro.Global,
		Bodies:  map[string]string{"en": "Hi {{customer.first_name}}, was the sign-in on case #{{conversation.id}} you?"},
		Actions: macro.Actions{Status: "pending", AddTags: []string{"login-check"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(e.agB)
	page := fmt.Sprintf("/console/conversations/%d", e.convB.ID)
	if _, body, _ := b.get(page); !strings.Contains(body, `<option value="`+fmt.Sprint(m.ID)+`">Confirm it was you</option>`) {
		t.Fatalf("conversation page offers no macro:\n%s", body)
	}
	status, _, h := b.post(page+"/macro", url.Values{"csrf": {b.csrf}, "macro_id": {fmt.Sprint(m.ID)}}, e.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != page+"?macro=applied" {
		t.Fatalf("apply: %d → %s", status, h.Get("Location"))
	}
	conv, err := e.app.Tickets.ByID(ctx, ticket.Scope{All: true}, e.convB.ID)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Status != ticket.StatusPending || strings.Join(conv.Tags, ",") != "login-check" {
		t.Errorf("after the macro: status %s tags %v", conv.Status, conv.Tags)
	}
	ms, _ := e.app.Tickets.Messages(ctx, ticket.Scope{All: true}, conv.ID, ticket.MessagesFilter{Limit: 10})
	want := fmt.Sprintf("Hi Bob, was the sign-in on case #%d you?", conv.ID)
	if last := ms[len(ms)-1]; last.Body != want || last.AuthorID != e.agB.ID {
		t.Errorf("reply = %q by %d, want %q by Ben", last.Body, last.AuthorID, want)
	}
	// Without the form's token nothing happens.
	if status, _, _ := b.post(page+"/macro", url.Values{"macro_id": {fmt.Sprint(m.ID)}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("apply without CSRF token: %d, want 403", status)
	}

	for _, st := range []ticket.Status{ticket.StatusSolved, ticket.StatusClosed} {
		if _, err := e.app.Tickets.Update(ctx, conv.ID, ticket.Patch{Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, h = b.post(page+"/macro", url.Values{"csrf": {b.csrf}, "macro_id": {fmt.Sprint(m.ID)}}, e.srv.URL)
	_, body, _ := b.get(h.Get("Location"))
	if text := html.UnescapeString(body); !strings.Contains(text, "This conversation is closed") {
		t.Errorf("refused macro not explained (went to %s)", h.Get("Location"))
	}
}
