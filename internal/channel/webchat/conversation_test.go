package webchat_test

import (
	"bytes"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/ticket"
)

func TestConversations(t *testing.T) {
	runScenarios(t, options{}, []scenario{
		{"pre-chat form lands on the conversation", testPreChatFormLandsOnTheConversation},
		{"messages come back in order", testMessagesComeBackInOrder},
		{"customer never sees internal notes", testCustomerNeverSeesInternalNotes},
		{"oversized messages are refused", testOversizedMessagesAreRefused},
		{"messages are rate limited per customer", testMessagesAreRateLimitedPerCustomer},
		{"another customer's conversation is out of reach", testOtherCustomersConversationIsOutOfReach},
	})
}

func testPreChatFormLandsOnTheConversation(t *testing.T, e *env) {
	s := e.identified(e.claims("U-prechat"))
	o := e.open(s.Token, map[string]string{"category": "withdrawal", "language": "zh", "email": " Alice@Example.com ",
		"body": "My USDT withdrawal has been pending for 3 hours"})
	c, err := e.app.Tickets.ByID(system(), ticket.Scope{All: true}, o.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Channel, c.Category, c.Language, string(c.Status), itoa(c.CustomerID)}
	if want := []string{"webchat", "withdrawal", "zh", "new", itoa(s.Customer.ID)}; !cmp.Equal(got, want) {
		t.Errorf("conversation channel, category, language, status, customer = %v, want %v", got, want)
	}
	// The customer's copy leaves out what only agents need.
	if o.Conversation.TeamID != 0 || o.Conversation.AssigneeID != 0 || o.Conversation.Tags != nil || o.Conversation.LastSeq != 0 {
		t.Errorf("customer's conversation shows agent-side fields: %+v", o.Conversation)
	}
	if o.Message.Seq != 1 || o.Message.AuthorKind != ticket.ByCustomer || o.Message.Body != "My USDT withdrawal has been pending for 3 hours" {
		t.Errorf("first message = %+v, want the customer's text as seq 1", o.Message)
	}
	cust, err := e.app.Customers.ByID(system(), s.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cust.Email != "alice@example.com" {
		t.Errorf("customer email = %q, want alice@example.com", cust.Email)
	}

	// Without topic or language: "other", in the customer's language; an
	// email on file is not replaced from the form.
	c = e.open(s.Token, map[string]string{"email": "someone-else@example.com", "body": "Another question"}).Conversation
	if c.Category != "other" || c.Language != "en" {
		t.Errorf("second conversation category %q language %q, want other, en", c.Category, c.Language)
	}
	if cust, _ := e.app.Customers.ByID(system(), s.Customer.ID); cust.Email != "alice@example.com" {
		t.Errorf("customer email changed to %q by a later form", cust.Email)
	}

	v := e.visitor(newVisitorID())
	for _, tt := range []struct {
		name  string
		form  map[string]string
		code  string
		field string
	}{
		{"unknown topic", map[string]string{"category": "margin-call", "body": "hi"}, "conversation.category_invalid", "category"},
		{"bad email", map[string]string{"email": "not-an-email", "body": "hi"}, "customer.email_invalid", "email"},
		{"no message", map[string]string{"category": "kyc", "body": "  "}, "message.empty", "body"},
		{"unknown field", map[string]string{"priority": "urgent", "body": "hi"}, "request.unknown_field", "priority"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			wantError(t, e.request("POST", "/widget/api/conversations", v.Token, tt.form), http.StatusUnprocessableEntity, tt.code, tt.field)
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM conversations WHERE customer_id = $1`, v.Customer.ID); n != 0 {
		t.Errorf("refused forms opened %d conversations", n)
	}
}

func testMessagesComeBackInOrder(t *testing.T, e *env) {
	s := e.visitor(newVisitorID())
	id := e.open(s.Token, map[string]string{"body": "first"}).Conversation.ID
	send := func(body, clientID string) ticket.Message {
		t.Helper()
		return decode[ticket.Message](t, e.request("POST", convPath(id, "/messages"), s.Token,
			map[string]string{"body": body, "client_id": clientID}), http.StatusCreated)
	}
	second := send("second", "c-2")
	if third := send("third", "c-3"); second.Seq != 2 || third.Seq != 3 {
		t.Fatalf("sent seqs %d, %d; want 2, 3", second.Seq, third.Seq)
	}
	// A retry after a dropped connection does not post twice.
	if retry := send("second", "c-2"); retry.ID != second.ID || retry.Seq != 2 {
		t.Errorf("retried send = id %d seq %d, want id %d seq 2", retry.ID, retry.Seq, second.ID)
	}
	ag := e.newAgent()
	e.agentMessage(ag, id, "Looking into it", false)
	if err := e.app.Tickets.MarkRead(system(), id, ticket.ByAgent, 3); err != nil {
		t.Fatal(err)
	}

	all := []string{"1 customer: first", "2 customer: second", "3 customer: third", "4 agent: Looking into it"}
	for _, tt := range []struct {
		after string
		want  []string
	}{{"", all}, {"0", all}, {"1", all[1:]}, {"3", all[3:]}, {"4", []string{}}} {
		th := decode[thread](t, e.request("GET", convPath(id, "/messages?after_seq="+tt.after), s.Token, nil), http.StatusOK)
		if diff := cmp.Diff(tt.want, bodies(th.Data)); diff != "" {
			t.Errorf("after_seq=%q (-want +got):\n%s", tt.after, diff)
		}
		if th.Conversation.ID != id || th.AgentReadSeq != 3 {
			t.Errorf("after_seq=%q: conversation %d, agent read up to %d; want %d, 3", tt.after, th.Conversation.ID, th.AgentReadSeq, id)
		}
	}
	if r := e.request("GET", convPath(id, "/messages?after_seq=4"), s.Token, nil); !strings.Contains(string(r.body), `"data":[]`) {
		t.Errorf("nothing new is not an empty list: %s", r.body)
	}
	for _, bad := range []string{"-1", "x"} {
		wantError(t, e.request("GET", convPath(id, "/messages?after_seq="+bad), s.Token, nil), http.StatusUnprocessableEntity, "request.query_int", "after_seq")
	}
	wantError(t, e.request("POST", convPath(id, "/messages"), s.Token, map[string]string{"body": " \n"}), http.StatusUnprocessableEntity, "message.empty", "body")
}

func testCustomerNeverSeesInternalNotes(t *testing.T, e *env) {
	ag := e.newAgent()
	s := e.identified(e.claims("U-hacked"))
	id := e.open(s.Token, map[string]string{"category": "account_security", "body": "I think I was hacked"}).Conversation.ID
	e.agentMessage(ag, id, "Possible account takeover from 198.51.100.7", true)
	e.agentMessage(ag, id, "We have locked your account for your safety.", false)
	// A file attached to a note stays with the agents.
	att, err := e.app.Tickets.Upload(system(), ticket.Scope{All: true}, ticket.UploadInput{ConversationID: id,
		Filename: "risk-report.txt", Content: strings.NewReader("login history: 198.51.100.7"), UploadedBy: "agent:" + itoa(ag.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Tickets.AddMessage(system(), ticket.MessageInput{ConversationID: id, AuthorKind: ticket.ByAgent, AuthorID: ag.ID,
		Internal: true, Body: "Risk report attached", AttachmentIDs: []int64{att.ID}}); err != nil {
		t.Fatal(err)
	}

	visible := []string{"1 customer: I think I was hacked", "3 agent: We have locked your account for your safety."}
	for _, tt := range []struct {
		after string
		want  []string
	}{{"0", visible}, {"1", visible[1:]}, {"2", visible[1:]}, {"3", []string{}}} {
		r := e.request("GET", convPath(id, "/messages?after_seq="+tt.after), s.Token, nil)
		th := decode[thread](t, r, http.StatusOK)
		if diff := cmp.Diff(tt.want, bodies(th.Data)); diff != "" {
			t.Errorf("after_seq=%s (-want +got):\n%s", tt.after, diff)
		}
		for _, secret := range []string{"198.51.100.7", "takeover", "Risk report", "risk-report"} {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("after_seq=%s: the customer's thread mentions %q: %s", tt.after, secret, r.body)
			}
		}
	}
	wantError(t, e.request("GET", "/widget/api/attachments/"+itoa(att.ID), s.Token, nil), http.StatusNotFound, "attachment.not_found")
}

// upload posts a file as the widget does.
func (e *env) upload(token string, convID int64, field, filename string, content []byte) response {
	e.t.Helper()
	return e.postForm(token, convID, func(mw *multipart.Writer) {
		fw, err := mw.CreateFormFile(field, filename)
		if err != nil {
			e.t.Fatal(err)
		}
		_, _ = fw.Write(content)
	})
}

// postForm posts the multipart form that write makes to the upload route.
func (e *env) postForm(token string, convID int64, write func(*multipart.Writer)) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	write(mw)
	_ = mw.Close()
	req, err := http.NewRequest("POST", e.srv.URL+convPath(convID, "/attachments"), &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.roundTrip(req)
}

// png is the start of a PNG image, enough for content sniffing.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 200)...)

// storedFiles lists attachment files on disk, outside the upload area.
func (e *env) storedFiles() []string {
	e.t.Helper()
	var out []string
	err := filepath.WalkDir(e.files, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(e.files, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestUploadsAreCheckedBeforeStoring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	s := e.visitor(newVisitorID())
	id := e.open(s.Token, map[string]string{"body": "Here is my screenshot"}).Conversation.ID

	tests := []struct {
		name     string
		field    string
		filename string
		content  []byte
		status   int
		code     string
	}{
		{"web page named as a PDF", "file", "statement.pdf", []byte("<html><script>steal()</script></html>"), http.StatusUnprocessableEntity, "attachment.type"},
		{"program named as a PDF", "file", "statement.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 100)...), http.StatusUnprocessableEntity, "attachment.type"},
		{"svg image", "file", "logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>`), http.StatusUnprocessableEntity, "attachment.type"},
		{"over the size limit", "file", "big.png", append(bytes.Clone(png), make([]byte, 1<<20)...), http.StatusRequestEntityTooLarge, "attachment.too_large"},
		{"empty file", "file", "empty.txt", nil, http.StatusUnprocessableEntity, "attachment.empty"},
		{"no file field", "document", "shot.png", png, http.StatusUnprocessableEntity, "attachment.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			wantError(t, e.upload(s.Token, id, tt.field, tt.filename, tt.content), tt.status, tt.code, "file")
		})
	}
	wantError(t, e.request("POST", convPath(id, "/attachments"), s.Token, map[string]string{"file": "x"}), http.StatusUnprocessableEntity, "attachment.multipart")
	// Other form fields count towards the limit too.
	padded := e.postForm(s.Token, id, func(mw *multipart.Writer) {
		_ = mw.WriteField("padding", strings.Repeat("p", 3<<19))
		fw, _ := mw.CreateFormFile("file", "shot.png")
		_, _ = fw.Write(png)
	})
	wantError(t, padded, http.StatusRequestEntityTooLarge, "attachment.too_large", "file")
	if n := e.count(`SELECT COUNT(*) FROM attachments`); n != 0 {
		t.Errorf("refused uploads left %d attachment rows", n)
	}
	if files := e.storedFiles(); len(files) != 0 {
		t.Errorf("refused uploads left files %v", files)
	}

	// A real screenshot goes through and comes back untouched.
	att := decode[ticket.Attachment](t, e.upload(s.Token, id, "file", `..\..\screen shot.png`, png), http.StatusCreated)
	if att.ContentType != "image/png" || att.Filename != "screen shot.png" || att.Size != int64(len(png)) {
		t.Errorf("attachment = %+v, want image/png named \"screen shot.png\" of %d bytes", att, len(png))
	}
	m := decode[ticket.Message](t, e.request("POST", convPath(id, "/messages"), s.Token,
		map[string]any{"body": "see attached", "attachments": []int64{att.ID}}), http.StatusCreated)
	if len(m.Attachments) != 1 || m.Attachments[0].ID != att.ID {
		t.Errorf("message attachments = %+v, want %d", m.Attachments, att.ID)
	}
	r := e.request("GET", "/widget/api/attachments/"+itoa(att.ID), s.Token, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, png) {
		t.Fatalf("download: %d, %d bytes; want 200 with the %d bytes uploaded", r.status, len(r.body), len(png))
	}
	for h, want := range map[string]string{"Content-Type": "image/png", "Content-Security-Policy": "default-src 'none'; sandbox",
		"Content-Disposition": `attachment; filename="screen shot.png"`, "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("download %s = %q, want %q", h, got, want)
		}
	}
	if files := e.storedFiles(); len(files) != 1 || !strings.HasSuffix(files[0], att.SHA256) {
		t.Errorf("stored files %v, want one named by its SHA-256 %s", files, att.SHA256)
	}
}

func testOversizedMessagesAreRefused(t *testing.T, e *env) {
	s := e.visitor(newVisitorID())
	id := e.open(s.Token, map[string]string{"body": "hello"}).Conversation.ID
	huge := strings.Repeat("a", maxBody)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"open over the request limit", "POST", "/widget/api/conversations", map[string]string{"body": huge}, http.StatusRequestEntityTooLarge, "request.too_large"},
		{"send over the request limit", "POST", convPath(id, "/messages"), map[string]string{"body": huge}, http.StatusRequestEntityTooLarge, "request.too_large"},
		{"message over 64 KiB", "POST", convPath(id, "/messages"), map[string]string{"body": strings.Repeat("b", ticket.MaxBody+1)}, http.StatusUnprocessableEntity, "message.too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			wantError(t, e.request(tt.method, tt.path, s.Token, tt.body), tt.status, tt.code)
		})
	}
	th := decode[thread](t, e.request("GET", convPath(id, "/messages"), s.Token, nil), http.StatusOK)
	if diff := cmp.Diff([]string{"1 customer: hello"}, bodies(th.Data)); diff != "" {
		t.Errorf("thread after refused messages (-want +got):\n%s", diff)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversations WHERE customer_id = $1`, s.Customer.ID); n != 1 {
		t.Errorf("%d conversations, want 1", n)
	}
}

func testMessagesAreRateLimitedPerCustomer(t *testing.T, e *env) {
	s := e.visitor(newVisitorID())
	id := e.open(s.Token, map[string]string{"body": "1"}).Conversation.ID
	const burst = 20 // the opening message counts
	for i := 2; i <= burst; i++ {
		if r := e.request("POST", convPath(id, "/messages"), s.Token, map[string]string{"body": itoa(int64(i))}); r.status != http.StatusCreated {
			t.Fatalf("message %d: %d %s", i, r.status, r.body)
		}
	}
	wantError(t, e.request("POST", convPath(id, "/messages"), s.Token, map[string]string{"body": "flood"}), http.StatusTooManyRequests, "widget.rate_limited")
	wantError(t, e.request("POST", "/widget/api/conversations", s.Token, map[string]string{"body": "flood"}), http.StatusTooManyRequests, "widget.rate_limited")
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE conversation_id = $1`, id); n != burst {
		t.Errorf("%d messages stored, want %d", n, burst)
	}
	// Another customer is not slowed down by this one.
	other := e.visitor(newVisitorID())
	e.open(other.Token, map[string]string{"body": "hello"})
}

func testOtherCustomersConversationIsOutOfReach(t *testing.T, e *env) {
	alice := e.identified(e.claims("U-alice"))
	mallory := e.visitor(newVisitorID())
	id := e.open(alice.Token, map[string]string{"category": "withdrawal", "body": "My 2 BTC withdrawal is missing"}).Conversation.ID
	att := decode[ticket.Attachment](t, e.upload(alice.Token, id, "file", "proof.png", png), http.StatusCreated)
	decode[ticket.Message](t, e.request("POST", convPath(id, "/messages"), alice.Token,
		map[string]any{"body": "proof", "attachments": []int64{att.ID}}), http.StatusCreated)
	unsent := decode[ticket.Attachment](t, e.upload(alice.Token, id, "file", "draft.png", png), http.StatusCreated)

	const notFound = "conversation.not_found"
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		code   string
	}{
		{"read messages", "GET", convPath(id, "/messages"), mallory.Token, nil, http.StatusNotFound, notFound},
		{"send", "POST", convPath(id, "/messages"), mallory.Token, map[string]string{"body": "send the funds to me"}, http.StatusNotFound, notFound},
		{"send with her upload", "POST", convPath(id, "/messages"), mallory.Token, map[string]any{"body": "x", "attachments": []int64{unsent.ID}}, http.StatusNotFound, notFound},
		{"queue", "GET", convPath(id, "/queue"), mallory.Token, nil, http.StatusNotFound, notFound},
		{"download sent file", "GET", "/widget/api/attachments/" + itoa(att.ID), mallory.Token, nil, http.StatusNotFound, "attachment.not_found"},
		{"download unsent file", "GET", "/widget/api/attachments/" + itoa(unsent.ID), mallory.Token, nil, http.StatusNotFound, "attachment.not_found"},
		{"no such conversation", "GET", convPath(id+1000, "/messages"), mallory.Token, nil, http.StatusNotFound, notFound},
		{"not an id", "GET", "/widget/api/conversations/abc/messages", mallory.Token, nil, http.StatusNotFound, "route.bad_id"},
		{"without a session", "GET", convPath(id, "/messages"), "", nil, http.StatusUnauthorized, "auth.required"},
		{"with a made-up session", "GET", convPath(id, "/messages"), "vcs_" + randomHex(32), nil, http.StatusUnauthorized, "auth.required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.on(t).request(tt.method, tt.path, tt.token, tt.body)
			wantError(t, r, tt.status, tt.code)
			if strings.Contains(string(r.body), "BTC") {
				t.Errorf("refusal leaks the conversation: %s", r.body)
			}
		})
	}
	wantError(t, e.upload(mallory.Token, id, "file", "x.png", png), http.StatusNotFound, notFound)
	list := decode[api.Page[ticket.Conversation]](t, e.request("GET", "/widget/api/conversations", mallory.Token, nil), http.StatusOK)
	if len(list.Data) != 0 {
		t.Errorf("another customer lists %d conversations, want none", len(list.Data))
	}
	th := decode[thread](t, e.request("GET", convPath(id, "/messages"), alice.Token, nil), http.StatusOK)
	if diff := cmp.Diff([]string{"1 customer: My 2 BTC withdrawal is missing", "2 customer: proof"}, bodies(th.Data)); diff != "" {
		t.Errorf("Alice's thread (-want +got):\n%s", diff)
	}
	if n := e.count(`SELECT COUNT(*) FROM attachments WHERE conversation_id = $1`, id); n != 2 {
		t.Errorf("%d attachments stored, want Alice's 2", n)
	}
}

// queueState is what the widget shows while the customer waits.
type queueState struct {
	Position     int    `json:"position"`
	OnlineAgents int    `json:"online_agents"`
	WaitSeconds  *int64 `json:"estimated_wait_seconds"`
	BasedOn      int    `json:"based_on_conversations"`
}

func TestQueuePositionIsHonest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	queue := func(token string, id int64) queueState {
		t.Helper()
		r := e.request("GET", convPath(id, "/queue"), token, nil)
		if !strings.Contains(string(r.body), `"estimated_wait_seconds":`) {
			t.Errorf("queue answer has no estimate field: %s", r.body)
		}
		return decode[queueState](t, r, http.StatusOK)
	}
	a := e.visitor("visitor-aaaaaaaaaaaaaaaa")
	b := e.visitor("visitor-bbbbbbbbbbbbbbbb")
	aID := e.open(a.Token, map[string]string{"body": "first in line"}).Conversation.ID
	bID := e.open(b.Token, map[string]string{"body": "second in line"}).Conversation.ID

	// Nobody is online and nothing was answered today: no estimate.
	if diff := cmp.Diff(queueState{Position: 1}, queue(a.Token, aID)); diff != "" {
		t.Errorf("first customer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(queueState{Position: 2}, queue(b.Token, bID)); diff != "" {
		t.Errorf("second customer (-want +got):\n%s", diff)
	}

	ag := e.newAgent()
	if err := e.app.Agents.SetStatus(system(), ag.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	e.agentMessage(ag, aID, "Hi, I am here", false)
	if diff := cmp.Diff(queueState{Position: 0, OnlineAgents: 1}, queue(a.Token, aID)); diff != "" {
		t.Errorf("answered customer (-want +got):\n%s", diff)
	}
	// One answered conversation is too little to promise a wait.
	if diff := cmp.Diff(queueState{Position: 1, OnlineAgents: 1, BasedOn: 1}, queue(b.Token, bID)); diff != "" {
		t.Errorf("customer now first in line (-want +got):\n%s", diff)
	}
}
