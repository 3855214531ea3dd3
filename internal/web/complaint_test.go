package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestComplaintFromConsole: Ben marks Bob's conversation as a complaint on
// its page; the page then shows the deadlines and the final-response
// template, the Complaints view lists it, and sending the final response
// takes it out of that view.
func TestComplaintFromConsole(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(e.agB)
	page := fmt.Sprintf("/console/conversations/%d", e.convB.ID)
	if _, body, _ := b.get(page); !strings.Contains(body, "Mark as complaint") {
		t.Fatalf("no complaint control on the page:\n%s", body)
	}
	if status, _, _ := b.post(page+"/complaint", url.Values{"summary": {"Fee charged twice"}}, e.srv.URL); status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", status)
	}
	status, _, h := b.post(page+"/complaint", url.Values{"csrf": {b.csrf}, "summary": {"Fee charged twice"}}, e.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != page+"#complaint" {
		t.Fatalf("mark: %d %s", status, h.Get("Location"))
	}
	_, body, _ := b.get(page)
	for _, want := range []string{"Fee charged twice", "Acknowledge by", "Final response due by", "This is our final response to your complaint"} {
		if !strings.Contains(body, want) {
			t.Fatalf("complaint panel lacks %q:\n%s", want, body)
		}
	}
	if _, inbox, _ := b.get("/console/inbox?view=complaints"); !strings.Contains(inbox, page) {
		t.Fatalf("Complaints view does not list the conversation:\n%s", inbox)
	}
	// An empty final response is refused with the reason on the page.
	_, _, h = b.post(page+"/complaint/final", url.Values{"csrf": {b.csrf}, "body": {""}}, e.srv.URL)
	if !strings.Contains(h.Get("Location"), "complaint_error=") {
		t.Fatalf("empty final response went to %s", h.Get("Location"))
	}
	status, _, _ = b.post(page+"/complaint/final", url.Values{"csrf": {b.csrf}, "body": {"Our final response: refunded."}}, e.srv.URL)
	if status != http.StatusSeeOther {
		t.Fatalf("final response: %d", status)
	}
	if _, body, _ := b.get(page); !strings.Contains(body, "Final response sent") || strings.Contains(body, `complaint/final"`) {
		t.Fatalf("after the final response:\n%s", body)
	}
	if _, inbox, _ := b.get("/console/inbox?view=complaints"); strings.Contains(inbox, page) {
		t.Fatal("answered complaint still in the Complaints view")
	}
}
