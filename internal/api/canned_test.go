package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"vigil/internal/api"
	"vigil/internal/canned"
)

func TestCannedResponses(t *testing.T) {
	e := newEnv(t)
	sup, ag := e.login(e.sup), e.login(e.agentB)
	create := func(in map[string]any) (int, canned.Response) {
		status, body := sup.do("POST", "/api/v1/canned-responses", in)
		var r canned.Response
		if status == http.StatusCreated {
			r = decodeJSON[canned.Response](t, body)
		}
		return status, r
	}
	status, hello := create(map[string]any{"shortcut": "Hello", "title": "Greeting", "body": "Hello, how can I help?", "language": "en"})
	if status != http.StatusCreated || hello.Shortcut != "hello" || hello.CreatedBy != e.sup.ID {
		t.Fatalf("create: %d %+v", status, hello)
	}
	if status, _ := create(map[string]any{"shortcut": "hello", "title": "问候", "body": "您好！", "language": "zh"}); status != http.StatusCreated {
		t.Fatalf("same shortcut in another language: %d", status)
	}
	if status, _ := create(map[string]any{"shortcut": "warn", "title": "Phishing", "body": "We never ask for your 2FA code."}); status != http.StatusCreated {
		t.Fatalf("every-language response: %d", status)
	}
	for _, bad := range []map[string]any{
		{"shortcut": "hello", "title": "Again", "body": "dup", "language": "en"}, // conflict
		{"shortcut": "has space", "title": "x", "body": "x"},
		{"shortcut": "ok", "title": "", "body": "x"},
		{"shortcut": "ok", "title": "x", "body": ""},
		{"shortcut": "ok", "title": "x", "body": "x", "language": "fr"},
	} {
		if status, _ := create(bad); status != http.StatusConflict && status != http.StatusUnprocessableEntity {
			t.Errorf("create %v: %d, want 409 or 422", bad, status)
		}
	}
	// An agent lists what fits the conversation's language, never edits.
	list := func(lang string) []string {
		status, body := ag.do("GET", "/api/v1/canned-responses?lang="+lang, nil)
		if status != http.StatusOK {
			t.Fatalf("list %s: %d", lang, status)
		}
		var out []string
		for _, r := range decodeJSON[api.Page[canned.Response]](t, body).Data {
			out = append(out, r.Shortcut+":"+r.Language)
		}
		return out
	}
	if got := fmt.Sprint(list("zh")); got != "[hello:zh warn:]" {
		t.Errorf("zh list = %s", got)
	}
	if got := fmt.Sprint(list("en")); got != "[hello:en warn:]" {
		t.Errorf("en list = %s", got)
	}
	if status, _ := ag.do("DELETE", fmt.Sprintf("/api/v1/canned-responses/%d", hello.ID), nil); status != http.StatusForbidden {
		t.Errorf("agent delete: %d, want 403", status)
	}
	status, body := sup.do("PATCH", fmt.Sprintf("/api/v1/canned-responses/%d", hello.ID),
		map[string]any{"shortcut": "hi", "title": "Greeting", "body": "Hi there", "language": "en"})
	if status != http.StatusOK || decodeJSON[canned.Response](t, body).Body != "Hi there" {
		t.Fatalf("update: %d %s", status, body)
	}
	if status, _ := sup.do("DELETE", fmt.Sprintf("/api/v1/canned-responses/%d", hello.ID), nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if got := fmt.Sprint(list("en")); got != "[warn:]" {
		t.Errorf("after delete: %s", got)
	}
}
