package webchat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCustomerMakesAComplaint: the customer marks their own conversation
// as a complaint from the widget and is told by when the desk will
// respond; another visitor cannot touch it, and a second click changes
// nothing.
func TestCustomerMakesAComplaint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	s := e.visitor(newVisitorID())
	id := e.open(s.Token, map[string]string{"body": "You charged the withdrawal fee twice"}).Conversation.ID

	other := e.visitor(newVisitorID())
	if r := e.request("POST", convPath(id, "/complaint"), other.Token, map[string]string{}); r.status != http.StatusNotFound {
		t.Fatalf("another visitor: %d %s", r.status, r.body)
	}
	if r := e.request("POST", convPath(id, "/complaint"), "", map[string]string{}); r.status != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", r.status)
	}
	r := e.request("POST", convPath(id, "/complaint"), s.Token, map[string]string{"summary": "Double fee"})
	if r.status != http.StatusOK {
		t.Fatalf("complaint: %d %s", r.status, r.body)
	}
	var got struct {
		Complaint struct {
			RaisedBy string `json:"raised_by"`
			Summary  string `json:"summary"`
		} `json:"complaint"`
		Created bool   `json:"created"`
		Notice  string `json:"notice"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Created || got.Complaint.RaisedBy != "customer" || got.Complaint.Summary != "Double fee" ||
		!strings.Contains(got.Notice, "Recorded as a complaint") {
		t.Fatalf("answer: %+v", got)
	}
	r = e.request("POST", convPath(id, "/complaint"), s.Token, map[string]string{"summary": "again"})
	if err := json.Unmarshal(r.body, &got); err != nil || got.Created || got.Complaint.Summary != "Double fee" ||
		!strings.Contains(got.Notice, "already") {
		t.Fatalf("second click: %s", r.body)
	}
	// The chat page offers the action in the customer's language.
	page := e.request("GET", "/widget/chat?lang=zh", "", nil)
	if !strings.Contains(string(page.body), "将此会话作为投诉") {
		t.Fatal("chat page lacks the complaint action in Chinese")
	}
}
