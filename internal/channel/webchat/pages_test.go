package webchat_test

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestWidgetPages(t *testing.T) {
	runScenarios(t, options{}, []scenario{
		{"widget script is served to any site", testWidgetScriptIsServedToAnySite},
		{"chat page is locked down", testChatPageIsLockedDown},
		{"chat page speaks the customer's language", testChatPageSpeaksTheCustomersLanguage},
	})
}

func testWidgetScriptIsServedToAnySite(t *testing.T, e *env) {
	want, err := os.ReadFile("static/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	r := e.request("GET", "/widget.js", "", nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, want) {
		t.Fatalf("GET /widget.js: %d, %d bytes; want 200 with static/widget.js", r.status, len(r.body))
	}
	for h, want := range map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Access-Control-Allow-Origin": "*",
		"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("widget.js %s = %q, want %q", h, got, want)
		}
	}
}

// chatCSP is the chat page's policy: scripts, styles and connections from
// the desk only; nothing inline, nothing evaluated.
const chatCSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'"

var assetRef = regexp.MustCompile(`(?:src|href)="(/widget/static/([a-z]+\.(?:js|css))\?v=[0-9a-f]{12})"`)

func testChatPageIsLockedDown(t *testing.T, e *env) {
	r := e.request("GET", "/widget/chat", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /widget/chat: %d", r.status)
	}
	for h, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": chatCSP,
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("chat page %s = %q, want %q", h, got, want)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, loose := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:"} {
		if strings.Contains(csp, loose) {
			t.Errorf("chat page policy allows %q: %s", loose, csp)
		}
	}
	page := string(r.body)
	// The policy forbids inline script, so the page must not rely on any.
	if n, withSrc := strings.Count(page, "<script"), strings.Count(page, "<script src="); n != withSrc || n != 1 {
		t.Errorf("page has %d script tags, %d with src; want exactly one external script", n, withSrc)
	}
	if strings.Contains(page, " style=") || strings.Contains(page, "<style") {
		t.Error("page has inline styles the policy blocks")
	}
	if !strings.Contains(page, `<html lang="en">`) {
		t.Error("page is not in English by default")
	}

	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("page references %d versioned assets, want chat.js and chat.css: %v", len(refs), refs)
	}
	types := map[string]string{"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
	for _, ref := range refs {
		url, name := ref[1], ref[2]
		want, err := os.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		a := e.request("GET", url, "", nil)
		if a.status != http.StatusOK || !bytes.Equal(a.body, want) {
			t.Errorf("GET %s: %d, %d bytes; want 200 with static/%s", url, a.status, len(a.body), name)
		}
		if got := a.header.Get("Content-Type"); got != types[name] {
			t.Errorf("%s Content-Type = %q, want %q", name, got, types[name])
		}
		if got := a.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s with its checksum: Cache-Control %q, want a year, immutable", name, got)
		}
		// A stale or missing checksum is never cached for long.
		for _, stale := range []string{"/widget/static/" + name, "/widget/static/" + name + "?v=000000000000"} {
			if got := e.request("GET", stale, "", nil).header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache", stale, got)
			}
		}
	}
	for _, missing := range []string{"/widget/static/secrets.txt", "/widget/static/..%2fwebchat.go"} {
		if r := e.request("GET", missing, "", nil); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", missing, r.status)
		}
	}
}

func testChatPageSpeaksTheCustomersLanguage(t *testing.T, e *env) {
	tests := []struct {
		name   string
		path   string
		header []string
		lang   string
	}{
		{"default", "/widget/chat", nil, "en"},
		{"browser language", "/widget/chat", []string{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}, "zh"},
		{"chosen by the host page", "/widget/chat?lang=zh-TW", []string{"Accept-Language", "en-US"}, "zh"},
		{"unknown language", "/widget/chat?lang=fr", nil, "en"},
		{"attempted markup", `/widget/chat?lang="><script>alert(1)</script>`, nil, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			r := e.request("GET", tt.path, "", nil, tt.header...)
			page := string(r.body)
			if !strings.Contains(page, `<html lang="`+tt.lang+`">`) || !strings.Contains(page, `data-lang="`+tt.lang+`"`) {
				t.Errorf("page is not marked %s:\n%.300s", tt.lang, page)
			}
			if strings.Contains(page, "alert(1)") {
				t.Error("query text reflected into the page")
			}
		})
	}
	en := e.request("GET", "/widget/chat", "", nil).body
	zh := e.request("GET", "/widget/chat?lang=zh", "", nil).body
	title := regexp.MustCompile(`<title>(.*)</title>`)
	if te, tz := title.FindSubmatch(en), title.FindSubmatch(zh); te == nil || tz == nil || bytes.Equal(te[1], tz[1]) {
		t.Errorf("English and Chinese titles %q, %q; want two different translations", te, tz)
	}
}
