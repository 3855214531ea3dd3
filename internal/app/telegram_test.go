package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
	"vigil/internal/ticket"
)

// A served desk with a Telegram bot takes updates on its webhook and
// answers through the Bot API.
func TestServeTelegramBot(t *testing.T) {
	var mu sync.Mutex
	var sent []map[string]any
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		json.NewDecoder(r.Body).Decode(&p)
		if r.URL.Path != "/bot42:secret-token/sendMessage" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		mu.Lock()
		sent = append(sent, p)
		mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":900,"chat":{"id":%v,"type":"private"},"date":1772442763,"text":%q}}`, p["chat_id"], p["text"])
	}))
	defer api.Close()

	cfg := config.Defaults()
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), dbtest.URL(t)
	cfg.Telegram = config.Telegram{Token: "42:secret-token", Secret: "hook-secret-0123456789", API: api.URL}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	update := `{"update_id":1,"message":{"message_id":7,"from":{"id":555,"is_bot":false,"first_name":"Ana"},"chat":{"id":555,"type":"private"},"date":1772442700,"text":"Is my deposit safe?"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/channels/telegram/webhook", strings.NewReader(update))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret-0123456789")
	var resp *http.Response
	for range 50 {
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
		req, _ = http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/channels/telegram/webhook", strings.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret-0123456789")
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	convs, _, _ := a.Tickets.List(context.Background(), ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 1 || convs[0].Channel != "telegram" {
		t.Fatalf("conversations: %+v", convs)
	}
	actx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1})
	if _, err := a.Tickets.AddMessage(actx, ticket.MessageInput{ConversationID: convs[0].ID, AuthorKind: ticket.ByAgent, Body: "Yes, it is credited."}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 || sent[0]["chat_id"] != float64(555) || sent[0]["text"] != "Yes, it is credited." {
		t.Fatalf("Bot API got %+v", sent)
	}
}
