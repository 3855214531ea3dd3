package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/api"
	"vigil/internal/ticket"
)

// uploadPNG uploads a real PNG to a conversation and returns its id.
func (e *env) uploadPNG(t *testing.T, c *client, convID int64) int64 {
	t.Helper()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	status, body := c.upload(fmt.Sprintf("/api/v1/conversations/%d/attachments", convID), "screenshot.png", img.Bytes())
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	return decodeJSON[ticket.Attachment](t, body).ID
}

func (c *client) upload(path, filename string, content []byte) (int, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func TestConversationLifecycleThroughAPI(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	status, body := c.do("POST", "/api/v1/conversations", map[string]any{
		"customer_id": e.custB.ID, "team_id": e.teamB.ID, "channel": "email", "category": "deposit", "priority": "high",
		"asset": "usdt", "network": "TRC20", "txid": "abc123", "tags": []string{"Deposit-Delay"}, "from_customer": true,
		"body": "我的 USDT 充值还没到账",
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	created := decodeJSON[struct {
		Conversation ticket.Conversation `json:"conversation"`
		Message      ticket.Message      `json:"message"`
	}](t, body)
	conv := created.Conversation
	if conv.Status != ticket.StatusNew || conv.Crypto.Asset != "USDT" || conv.Priority != ticket.High ||
		len(conv.Tags) != 1 || conv.Tags[0] != "deposit-delay" || created.Message.Seq != 1 {
		t.Fatalf("created conversation: %+v", created)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)

	// The agent answers and asks for details: reply and set pending.
	status, body = c.do("POST", path+"/messages", map[string]any{"body": "Please send the **TxID**.", "status": "pending"})
	if status != http.StatusCreated {
		t.Fatalf("reply: %d %s", status, body)
	}
	if m := decodeJSON[ticket.Message](t, body); m.Seq != 2 || !strings.Contains(m.BodyHTML, "<strong>TxID</strong>") {
		t.Fatalf("reply message: %+v", m)
	}
	status, body = c.do("GET", path, nil)
	if got := decodeJSON[ticket.Conversation](t, body); status != ok || got.Status != ticket.StatusPending || got.FirstResponseAt == nil {
		t.Fatalf("after reply: %d %+v", status, got)
	}

	// Invalid transition: pending → new is refused and nothing changes.
	status, body = c.do("PATCH", path, map[string]any{"status": "new", "priority": "low"})
	if status != http.StatusConflict || !strings.Contains(string(body), "conversation.invalid_transition") {
		t.Fatalf("invalid transition: %d %s", status, body)
	}
	_, body = c.do("GET", path, nil)
	if got := decodeJSON[ticket.Conversation](t, body); got.Priority != ticket.High || got.Status != ticket.StatusPending {
		t.Fatalf("a refused patch changed the conversation: %+v", got)
	}

	// Solve, then the customer writes again: reopened.
	if status, body = c.do("PATCH", path, map[string]any{"status": "solved"}); status != ok {
		t.Fatalf("solve: %d %s", status, body)
	}
	if _, err := e.app.Tickets.AddMessage(t.Context(), ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer,
		AuthorID: e.custB.ID, Body: "Still not there"}); err != nil {
		t.Fatal(err)
	}
	_, body = c.do("GET", path, nil)
	if got := decodeJSON[ticket.Conversation](t, body); got.Status != ticket.StatusOpen || got.SolvedAt != nil {
		t.Fatalf("customer reply did not reopen: %+v", got)
	}

	// Resume after seq 1: exactly the later messages, in order.
	_, body = c.do("GET", path+"/messages?after_seq=1", nil)
	page := decodeJSON[api.Page[ticket.Message]](t, body)
	if len(page.Data) != 2 || page.Data[0].Seq != 2 || page.Data[1].Seq != 3 {
		t.Fatalf("messages after 1: %+v", page.Data)
	}

	// Every change is in the audit log, and the chain verifies.
	sup := e.login(e.sup)
	_, body = sup.do("GET", fmt.Sprintf("/api/v1/audit?object_kind=conversation&object_id=%d", conv.ID), nil)
	var actions []string
	for _, en := range decodeJSON[struct {
		Data []struct {
			Action string `json:"action"`
		} `json:"data"`
	}](t, body).Data {
		actions = append(actions, en.Action)
	}
	joined := strings.Join(actions, ",")
	for _, want := range []string{"conversation.create", "conversation.message", "conversation.update"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit for conversation lacks %s: %v", want, actions)
		}
	}
	_, body = sup.do("GET", "/api/v1/audit/verify", nil)
	if !strings.Contains(string(body), `"ok":true`) {
		t.Errorf("audit verify: %s", body)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	before := e.countMessages(t)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed JSON", "POST", conv + "/messages", `{"body": "x"`, 422, "request.malformed"},
		{"empty body", "POST", conv + "/messages", "", 422, "request.empty"},
		{"unknown field", "POST", conv + "/messages", `{"body":"x","bcc":"all"}`, 422, "request.unknown_field"},
		{"wrong type", "POST", conv + "/messages", `{"body": 42}`, 422, "request.type"},
		{"two objects", "POST", conv + "/messages", `{"body":"x"} {"body":"y"}`, 422, "request.malformed"},
		{"oversized body", "POST", conv + "/messages", `{"body":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "request.too_large"},
		{"message too long", "POST", conv + "/messages", map[string]string{"body": strings.Repeat("长", 30000)}, 422, "message.too_long"},
		{"blank message", "POST", conv + "/messages", map[string]string{"body": "   "}, 422, "message.empty"},
		{"unknown status", "PATCH", conv, map[string]string{"status": "archived"}, 422, "conversation.status_invalid"},
		{"unknown priority", "PATCH", conv, map[string]string{"priority": "asap"}, 422, "conversation.priority_invalid"},
		{"bad id", "GET", "/api/v1/conversations/abc", nil, 404, "route.bad_id"},
		{"SQL metacharacters in filter", "GET", "/api/v1/conversations?q=%27%3B%20DROP%20TABLE%20conversations%3B--", nil, 200, ""},
		{"SQL metacharacters in status", "GET", "/api/v1/conversations?status=open'--", nil, 422, "conversation.status_invalid"},
		{"bad cursor", "GET", "/api/v1/conversations?cursor=x", nil, 422, "request.query_int"},
		{"limit too high", "GET", "/api/v1/conversations?limit=100000", nil, 422, "list.limit_invalid"},
		{"unknown route", "GET", "/api/v1/nope", nil, 404, "route.not_found"},
		{"wrong content type", "POST", conv + "/messages", nil, 422, "request.empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.do(tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" && !strings.Contains(string(body), `"code":"`+tt.code+`"`) {
				t.Errorf("body %s lacks code %s", body, tt.code)
			}
		})
	}
	if after := e.countMessages(t); after != before {
		t.Errorf("bad requests wrote %d messages", after-before)
	}
	// The conversations table survived the metacharacters.
	if status, _ := c.do("GET", conv, nil); status != ok {
		t.Errorf("conversation gone after SQL metacharacters: %d", status)
	}
}

func (e *env) countMessages(t *testing.T) int {
	var n int
	if err := e.app.DB.Q(t.Context()).QueryRowContext(t.Context(), `SELECT COUNT(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAttachments(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	path := fmt.Sprintf("/api/v1/conversations/%d/attachments", e.convB.ID)
	id := e.uploadPNG(t, c, e.convB.ID)
	// An HTML file renamed to .png is sniffed and refused.
	if status, body := c.upload(path, "invoice.png", []byte("<html><script>alert(1)</script></html>")); status != 422 ||
		!strings.Contains(string(body), "attachment.type") {
		t.Errorf("disguised HTML: %d %s", status, body)
	}
	// Bigger than the limit.
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 11<<20)...)
	if status, body := c.upload(path, "statement.pdf", big); status != 413 {
		t.Errorf("huge upload: %d %s", status, body)
	}
	// Sent with a message, then downloadable with a safe content type.
	status, body := c.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", e.convB.ID),
		map[string]any{"body": "Here is the screenshot", "attachments": []int64{id}})
	if status != http.StatusCreated || len(decodeJSON[ticket.Message](t, body).Attachments) != 1 {
		t.Fatalf("message with attachment: %d %s", status, body)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/attachments/%d", e.srv.URL, id), nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != ok || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: %d %v", resp.StatusCode, resp.Header)
	}
	// The same attachment cannot be linked twice.
	status, _ = c.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", e.convB.ID),
		map[string]any{"body": "again", "attachments": []int64{id}})
	if status != 422 {
		t.Errorf("relinking an attachment: %d", status)
	}
}

func TestScopeHidesOtherTeamsData(t *testing.T) {
	e := newEnv(t)
	other := e.login(e.agentA)
	_, body := other.do("GET", "/api/v1/conversations", nil)
	if strings.Contains(string(body), fmt.Sprintf(`"id":%d,`, e.convB.ID)) {
		t.Errorf("agent of another team sees team B's conversation in the list: %s", body)
	}
	_, body = other.do("GET", "/api/v1/customers?q=bea@example.com", nil)
	if strings.Contains(string(body), "Bea Customer") {
		t.Errorf("agent of another team finds team B's customer: %s", body)
	}
	mine := e.login(e.agentB)
	_, body = mine.do("GET", "/api/v1/customers?q=bea@example.com", nil)
	// Found by email, but an agent reads it masked: revealing it takes a
	// verified customer and a reason, in the conversation.
	if !strings.Contains(string(body), "Bea Customer") || !strings.Contains(string(body), "b***@example.com") ||
		strings.Contains(string(body), "bea@example.com") {
		t.Errorf("agent of the owning team: want the customer with the email masked: %s", body)
	}
	_, body = e.login(e.sup).do("GET", "/api/v1/customers?q=bea@example.com", nil)
	if !strings.Contains(string(body), "bea@example.com") {
		t.Errorf("a supervisor should read the email whole: %s", body)
	}
	// Handing the conversation to team A takes it out of B's sight.
	if status, body := mine.do("PATCH", fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID), map[string]any{"team_id": e.teamA.ID}); status != ok ||
		!strings.Contains(string(body), `"visible":false`) {
		t.Fatalf("transfer: %d %s", status, body)
	}
	if status, _ := mine.do("GET", fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID), nil); status != n404 {
		t.Errorf("after transfer the old team still sees it: %d", status)
	}
	if status, _ := other.do("GET", fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID), nil); status != ok {
		t.Errorf("after transfer the new team cannot see it: %d", status)
	}
}

func TestCSRFRequiredForCookieSessions(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	c.csrf = ""
	status, body := c.do("PATCH", fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID), map[string]any{"priority": "low"})
	if status != f403 || !strings.Contains(string(body), "auth.csrf") {
		t.Fatalf("write without CSRF token: %d %s", status, body)
	}
	if status, _ := c.do("GET", "/api/v1/me", nil); status != ok {
		t.Errorf("read without CSRF token should pass: %d", status)
	}
}

func TestErrorsInChinese(t *testing.T) {
	e := newEnv(t)
	c := e.anonymous()
	c.lang = "zh-CN,zh;q=0.9"
	_, body := c.do("GET", "/api/v1/me", nil)
	if !strings.Contains(string(body), "请先登录") {
		t.Errorf("Chinese error message missing: %s", body)
	}
}

func TestStaleSessionCookieDoesNotBlockSignIn(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	if status, _ := c.do("POST", "/api/v1/auth/logout", nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	// The browser still sends the revoked cookie, as one does after an
	// idle timeout.
	u, _ := url.Parse(e.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: api.SessionCookie, Value: "revoked-or-expired", Path: "/"}})
	if status, body := c.do("GET", "/api/v1/openapi.json", nil); status != http.StatusOK {
		t.Errorf("public document with a stale cookie: %d %s", status, body)
	}
	if status, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": e.agentB.Email, "password": password}); status != http.StatusOK {
		t.Errorf("sign-in with a stale cookie: %d %s", status, body)
	}
	if status, _ := c.do("GET", "/api/v1/me", nil); status != http.StatusOK {
		t.Errorf("after signing in again: %d", status)
	}
}

func TestPageLimitsAreEnforcedNotShortened(t *testing.T) {
	e := newEnv(t)
	sup := e.login(e.sup)
	for _, path := range []string{"/api/v1/customers?limit=101", "/api/v1/audit?limit=201", "/api/v1/conversations?limit=201",
		fmt.Sprintf("/api/v1/conversations/%d/messages?limit=501", e.convB.ID), "/api/v1/customers?limit=-1"} {
		if status, body := sup.do("GET", path, nil); status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "list.limit_invalid") {
			t.Errorf("GET %s: %d %s, want 422 list.limit_invalid", path, status, body)
		}
	}
	if status, _ := sup.do("GET", "/api/v1/customers?limit=100", nil); status != http.StatusOK {
		t.Errorf("limit at the maximum: %d", status)
	}
}
