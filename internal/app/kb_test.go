package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/audit"
	"vigil/internal/bot"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

func TestKBImportExportCommands(t *testing.T) {
	env := testEnv(t, nil)
	if code, _, errs := run(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	dir := t.TempDir()
	code, out, errs := run(t, env, "", "kb", "export", dir)
	if code != 0 || !strings.Contains(out, "exported 26 article translations") {
		t.Fatalf("kb export: %d %q %q", code, out, errs)
	}
	zh, err := os.ReadFile(filepath.Join(dir, "withdrawal-pending.zh.md"))
	if err != nil || !strings.Contains(string(zh), `title: "为什么我的提现还在处理中？"`) || !strings.Contains(string(zh), `category_name: "提现"`) {
		t.Fatalf("exported file:\n%s (%v)", zh, err)
	}
	// Into an empty desk and back out: the same files.
	other := testEnv(t, nil)
	if code, out, errs := run(t, other, "", "kb", "import", dir); code != 0 || !strings.Contains(out, "imported 26 files") || !strings.Contains(out, "26 published") {
		t.Fatalf("kb import: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, other, "", "kb", "import", dir); code != 0 || !strings.Contains(out, "0 new versions, 0 published") {
		t.Errorf("second import changed something: %q", out)
	}
	again := t.TempDir()
	if code, _, errs := run(t, other, "", "kb", "export", again); code != 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff(readFiles(t, dir), readFiles(t, again)); diff != "" {
		t.Errorf("round trip changed files (-before +after):\n%s", diff)
	}
	if code, _, errs := run(t, other, "", "kb", "import", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errs, "missing is not a directory") {
		t.Errorf("import of a missing directory: %d %q, want a clear error", code, errs)
	}
	if code, _, errs := run(t, other, "", "kb", "frob"); code != 1 || !strings.Contains(errs, "usage: vigil kb import DIR") {
		t.Errorf("bad kb command: %d %q", code, errs)
	}
}

func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	names, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = string(b)
	}
	return out
}

func TestBotEvalCommand(t *testing.T) {
	dir := t.TempDir()
	train := "text,label\n"
	for _, q := range []string{"where is my withdrawal", "withdrawal pending", "withdrawal not arrived", "my withdrawal is late", "withdrawal stuck"} {
		train += q + ",withdrawal\n"
	}
	for _, q := range []string{"deposit missing", "deposit not credited", "my deposit did not arrive", "deposit pending", "where is my deposit"} {
		train += q + ",deposit\n"
	}
	for _, q := range []string{"what is the weather", "tell me a joke", "who won the match", "play some music", "best pizza nearby"} {
		train += q + ",oos\n"
	}
	test := "text,label\nwithdrawal still not arrived,withdrawal\ndeposit is missing,deposit\nsing me a song,oos\n"
	_ = os.WriteFile(filepath.Join(dir, "train.csv"), []byte(train), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "test.csv"), []byte(test), 0o644)
	code, out, errs := run(t, func(string) string { return "" }, "", "bot", "eval", "--train", filepath.Join(dir, "train.csv"),
		"--test", filepath.Join(dir, "test.csv"), "--oos-label", "oos", "--json")
	if code != 0 {
		t.Fatalf("bot eval: %d %q", code, errs)
	}
	var rep bot.EvalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bot eval --json printed %q: %v", out, err)
	}
	if rep.TrainExamples != 15 || rep.TestExamples != 3 || rep.Intents != 2 || rep.OOSRecall == nil || rep.Accuracy < 0.66 {
		t.Errorf("report = %+v", rep)
	}
	if code, _, errs := run(t, func(string) string { return "" }, "", "bot", "eval", "--train", filepath.Join(dir, "nope.csv"), "--test", "x"); code != 1 ||
		!strings.Contains(errs, "nope.csv") {
		t.Errorf("missing file: %d %q", code, errs)
	}
}

// TestBotEvalCrossValidation checks that --cv compares the named
// candidates on the training file alone, chooses the most accurate and
// tests only that one.
func TestBotEvalCrossValidation(t *testing.T) {
	dir := t.TempDir()
	train := "text,label\n"
	for i := range 4 {
		for _, q := range []string{"where is my withdrawal", "withdrawal pending", "withdrawal not arrived"} {
			train += fmt.Sprintf("%s %d,withdrawal\n", q, i)
		}
		for _, q := range []string{"deposit missing", "deposit not credited", "my deposit did not arrive"} {
			train += fmt.Sprintf("%s %d,deposit\n", q, i)
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "train.csv"), []byte(train), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "test.csv"), []byte("text,label\nwithdrawal still not arrived,withdrawal\ndeposit is missing,deposit\n"), 0o644)
	env := func(string) string { return "" }
	code, out, errs := run(t, env, "", "bot", "eval", "--train", filepath.Join(dir, "train.csv"), "--test", filepath.Join(dir, "test.csv"),
		"--cv", "3", "--candidates", "earlier model,C=0.5,chars 2-5", "--json")
	if code != 0 {
		t.Fatalf("bot eval --cv: %d %q", code, errs)
	}
	var rep bot.CVReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bot eval --cv --json printed %q: %v", out, err)
	}
	var names []string
	best := 0
	for i, c := range rep.Candidates {
		names = append(names, c.Name)
		if len(c.FoldAccuracy) != 3 || c.TrainExamples != 24 {
			t.Errorf("candidate %s: %+v", c.Name, c)
		}
		if c.Accuracy > rep.Candidates[best].Accuracy {
			best = i
		}
	}
	if diff := cmp.Diff([]string{"earlier model", "C=0.5", "chars 2-5"}, names); diff != "" {
		t.Fatalf("candidates (-want +got):\n%s", diff)
	}
	if rep.Chosen != names[best] || rep.Test == nil || rep.Test.TestExamples != 2 || rep.Test.Threshold != rep.Candidates[best].Threshold {
		t.Errorf("chosen %q (want %q), test %+v", rep.Chosen, names[best], rep.Test)
	}
	// Without a test file the comparison alone is printed.
	code, out, errs = run(t, env, "", "bot", "eval", "--train", filepath.Join(dir, "train.csv"), "--cv", "2", "--candidates", "earlier model")
	if code != 0 || !strings.Contains(out, "chosen by 2-fold cross-validation on the training file: earlier model") || strings.Contains(out, "latency") {
		t.Errorf("bot eval --cv without test: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "", "bot", "eval", "--train", filepath.Join(dir, "train.csv"), "--cv", "2", "--candidates", "nope"); code != 1 ||
		!strings.Contains(errs, "unknown candidate") {
		t.Errorf("unknown candidate: %d %q", code, errs)
	}
}

// TestDemoBotAnswers checks the demo help center is good enough for the
// bot to answer the everyday questions, in both languages, and to step
// aside on the ones it must not answer.
func TestDemoBotAnswers(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	now := func() time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) }
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	name := "Demo visitor"
	cust, err := a.Customers.Create(ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, text, want string }{
		{"en", "hey, I withdrew 200 USDT two hours ago and it still hasn't arrived", "withdrawal-pending"},
		{"en", "my deposit is not showing in my balance", "deposit-not-credited"},
		{"en", "I got a new phone and lost my google authenticator", "reset-2fa"},
		{"en", "what documents do I need for verification?", "verify-identity"},
		{"en", "how much is the withdrawal fee for USDT", "withdrawal-fees"},
		{"en", "I forgot my password", "forgot-password"},
		{"zh", "我的提现怎么还没到账", "withdrawal-pending"},
		{"zh", "充值一直没到账怎么办", "deposit-not-credited"},
		{"zh", "实名认证被拒绝了", "verification-rejected"},
		{"en", "someone logged into my account, it was not me", bot.ReasonSecurity},
		{"en", "can I speak to a human please", bot.ReasonAskedHuman},
		{"en", "what's your opinion on the football match yesterday", bot.ReasonLowConfidence},
	} {
		conv, msg, err := a.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: "webchat", Language: tt.lang,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: tt.text}})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Bot.Handle(ctx, event.MessageCreated{Scope: event.Scope{ConversationID: conv.ID}, MessageID: msg.ID,
			AuthorKind: "customer", Body: tt.text}); err != nil {
			t.Fatal(err)
		}
		turns, err := a.Bot.Turns(ctx, 0, 1)
		if err != nil || len(turns) == 0 {
			t.Fatalf("no turn for %q: %v", tt.text, err)
		}
		got := turns[0]
		switch {
		case got.Action == bot.HandedOff && got.Reason == tt.want:
		case got.Action == bot.Answered:
			art, err := a.KB.Article(ctx, got.ArticleID)
			if err != nil || art.Slug != tt.want {
				t.Errorf("%q answered with article %d (%s), want %s", tt.text, got.ArticleID, art.Slug, tt.want)
			}
		default:
			t.Errorf("%q: %s %s (confidence %.2f), want %s", tt.text, got.Action, got.Reason, got.Confidence, tt.want)
		}
	}
}
