//go:build browser

// Browser tests: a real Chromium drives the customer widget and the agent
// console against a real Vigil server. Run with
//
//	VIGIL_BROWSER=/usr/bin/chromium go test -tags browser ./internal/web/
//
// On failure each tab's screenshot is written to VIGIL_SCREENSHOTS (or the
// system temp directory) and the path is logged.
package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"vigil/internal/app"
	"vigil/internal/config"
	"vigil/internal/ticket"
)

// desk is a running Vigil with demo data. Customers reach it through a
// proxy the test can cut, to simulate a dropped mobile connection.
type desk struct {
	app    *app.App
	direct string // agents' URL
	proxy  *proxy
	host   string // a third-party page embedding the widget, on another origin
}

func startDesk(t *testing.T) *desk {
	t.Helper()
	return startDeskWith(t, nil)
}

// startDeskWith lets a test change the configuration first.
func startDeskWith(t *testing.T, configure func(*config.Config)) *desk {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.WidgetSecret = strings.Repeat("w", 32)
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = a.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served; a.Close() })
	d := &desk{app: a, direct: "http://" + ln.Addr().String(), proxy: newProxy(t, ln.Addr().String())}
	widget := "http://" + d.proxy.addr + "/widget.js"
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Example Exchange</title></head>
<body><h1>Example Exchange</h1><p>Spot, futures, P2P.</p><script src=%q data-lang="en" async></script></body></html>`, widget)
	}))
	t.Cleanup(host.Close)
	// "localhost" keeps the host page on another origin than the widget.
	d.host = strings.Replace(host.URL, "127.0.0.1", "localhost", 1)
	return d
}

// proxy forwards TCP to Vigil; Cut drops every connection and refuses new
// ones until Restore, as a phone losing its network does.
type proxy struct {
	addr   string
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *proxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) Restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// browserPath is the Chromium to drive; without it the tests skip.
func browserPath(t *testing.T) string {
	path := os.Getenv("VIGIL_BROWSER")
	if path == "" {
		t.Skip("set VIGIL_BROWSER to a Chromium binary to run browser tests")
	}
	return path
}

type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// newTab starts a headless Chromium of its own (own profile, cookies and
// storage), like a separate person on a separate device.
func newTab(t *testing.T, name string) *tab {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		// Keep the cross-origin chat iframe in the page's process, so the
		// test can reach into it.
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	tb := &tab{t: t, name: name, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			tb.screenshot()
		}
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tb
}

func (tb *tab) screenshot() {
	dir := os.Getenv("VIGIL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "vigil-browser")
	}
	_ = os.MkdirAll(dir, 0o755)
	var png []byte
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		tb.t.Logf("screenshot of %s: %v", tb.name, err)
		return
	}
	f := filepath.Join(dir, strings.ReplaceAll(tb.t.Name(), "/", "_")+"-"+tb.name+".png")
	if err := os.WriteFile(f, png, 0o644); err == nil {
		tb.t.Logf("screenshot of %s: %s", tb.name, f)
	}
}

// run executes actions with a deadline and fails the test with what was
// being attempted.
func (tb *tab) run(what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval polls a JavaScript expression until it is truthy and stores it.
func (tb *tab) waitJS(what, expr string, out any) {
	tb.t.Helper()
	tb.run(what, chromedp.Poll(expr, out, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}

func (d *desk) signIn(tb *tab, email string) {
	tb.run("sign in",
		chromedp.Navigate(d.direct+"/console/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, "vigil-demo-2026"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`#inbox-list`),
	)
}

// chatFrame returns the widget iframe's node after opening it from the
// launcher on the host page.
func (d *desk) openWidget(tb *tab) *cdp.Node {
	var frames []*cdp.Node
	tb.run("open the widget on the host page",
		chromedp.Navigate(d.host),
		chromedp.WaitVisible(`button[aria-label="Chat with support"]`),
		chromedp.Click(`button[aria-label="Chat with support"]`),
		chromedp.WaitVisible(`iframe[data-vigil=chat]`),
		chromedp.Nodes(`iframe[data-vigil=chat]`, &frames, chromedp.ByQuery),
	)
	return frames[0]
}

// frameText polls the widget thread's text (read through the DevTools
// DOM, since page scripts may not read a cross-origin frame) until it
// contains want.
func frameText(tb *tab, in chromedp.QueryOption, what, want string) {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var text string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		err := chromedp.Run(ctx, chromedp.TextContent(`ol.msgs`, &text, chromedp.ByQuery, in))
		cancel()
		if err == nil && strings.Contains(text, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("%s: %s: the thread never showed %q; it shows %q", tb.name, what, want, text)
}

// customerThread is the widget's thread as [seq, text] pairs.
func customerThread(tb *tab, in chromedp.QueryOption) [][2]string {
	tb.t.Helper()
	var nodes []*cdp.Node
	tb.run("find the customer's messages", chromedp.Nodes(`ol.msgs li`, &nodes, chromedp.ByQueryAll, in))
	rows := make([][2]string, 0, len(nodes))
	for _, n := range nodes {
		var text string
		tb.run("read a message", chromedp.TextContent([]cdp.NodeID{n.NodeID}, &text, chromedp.ByNodeID))
		rows = append(rows, [2]string{n.AttributeValue("data-seq"), text})
	}
	return rows
}

func count(rows [][2]string, text string) int {
	n := 0
	for _, r := range rows {
		if strings.Contains(r[1], text) {
			n++
		}
	}
	return n
}

func TestLiveChatBetweenWidgetAndConsole(t *testing.T) {
	browserPath(t)
	d := startDesk(t)
	agentTab := newTab(t, "agent")
	customerTab := newTab(t, "customer")

	d.signIn(agentTab, "sam@vigil.example")
	agentTab.run("open all conversations", chromedp.Navigate(d.direct+"/console/inbox?view=all"), chromedp.WaitVisible(`#inbox-list`))
	var live string
	agentTab.waitJS("console connects live", `document.getElementById('live').textContent === 'Live' && 'ok'`, &live)

	// The customer opens the widget on the exchange's page and writes.
	frame := d.openWidget(customerTab)
	in := chromedp.FromNode(frame)
	customerTab.run("fill the pre-chat form",
		chromedp.WaitVisible(`#v-first`, chromedp.ByQuery, in),
		chromedp.SetValue(`#v-topic`, "withdrawal", chromedp.ByQuery, in),
		chromedp.SendKeys(`#v-email`, "trader@example.com", chromedp.ByQuery, in),
		chromedp.SendKeys(`#v-first`, "My USDT withdrawal is stuck since 2 hours", chromedp.ByQuery, in),
		chromedp.Click(`button.primary`, chromedp.ByQuery, in),
		chromedp.WaitVisible(`ol.msgs li[data-seq="1"]`, chromedp.ByQuery, in),
	)
	convs, _, err := d.app.Tickets.List(context.Background(), ticket.Scope{All: true}, ticket.Filter{Channel: "webchat", Limit: 5})
	if err != nil || len(convs) == 0 {
		t.Fatalf("no webchat conversation stored: %v %v", convs, err)
	}
	conv := convs[0]
	if conv.Category != "withdrawal" {
		t.Errorf("category = %q, want the pre-chat topic withdrawal", conv.Category)
	}

	// The agent's inbox shows it without a reload, and the agent answers.
	var href string
	agentTab.waitJS("new conversation appears in the inbox",
		fmt.Sprintf(`(() => { const a = document.querySelector('#inbox-list tr[data-id="%d"] a'); return a && a.getAttribute('href'); })()`, conv.ID), &href)
	agentTab.run("open the conversation", chromedp.Click(fmt.Sprintf(`#inbox-list tr[data-id="%d"] a`, conv.ID)),
		chromedp.WaitVisible(`#thread li[data-seq="1"]`))
	agentTab.waitJS("console subscribed", `document.getElementById('live').textContent === 'Live' && 'ok'`, &live)
	// A second agent opening the same conversation is announced to both.
	maria := newTab(t, "second-agent")
	d.signIn(maria, "maria@vigil.example")
	maria.run("open the same conversation", chromedp.Navigate(d.direct+href), chromedp.WaitVisible(`#thread li[data-seq="1"]`))
	var seen string
	maria.waitJS("collision warning names the first agent",
		`(() => { const c = document.getElementById('collision'); return !c.hidden && c.textContent.includes('Sam Supervisor') && c.textContent; })()`, &seen)
	agentTab.waitJS("collision warning names the second agent",
		`(() => { const c = document.getElementById('collision'); return !c.hidden && c.textContent.includes('Maria Santos') && c.textContent; })()`, &seen)

	// "/" offers canned responses; Enter inserts the highlighted one.
	var inserted string
	agentTab.run("insert a canned response",
		chromedp.SendKeys(`#reply-body`, "/txi"),
		chromedp.WaitVisible(`#canned li.active`),
		chromedp.SendKeys(`#reply-body`, "\r"),
		chromedp.Value(`#reply-body`, &inserted),
	)
	if !strings.Contains(inserted, "transaction hash (TxID)") || strings.Contains(inserted, "/txi") {
		t.Errorf("after picking /txid the reply box holds %q", inserted)
	}

	agentTab.run("clear and reply",
		chromedp.Evaluate(`document.getElementById('reply-body').value = ''`, nil),
		chromedp.SendKeys(`#reply-body`, "We are checking the chain for your USDT withdrawal."),
		chromedp.Click(`#reply button[type=submit]`),
	)
	var ok bool
	frameText(customerTab, in, "customer sees the reply", "We are checking the chain")

	// The customer answers; the agent sees it live.
	customerTab.run("customer writes again",
		chromedp.SendKeys(`form.composer textarea`, "TxID is 0xabc123\r", chromedp.ByQuery, in))
	agentTab.waitJS("agent sees the customer's message live",
		`Array.from(document.querySelectorAll('#thread li')).some(li => li.textContent.includes('TxID is 0xabc123'))`, &ok)

	// An internal note never reaches the customer.
	agentTab.run("add an internal note",
		chromedp.Click(`input[name=mode][value=note]`),
		chromedp.SendKeys(`#reply-body`, "VIP, double-check the address book"),
		chromedp.Click(`#reply button[type=submit]`),
	)
	agentTab.waitJS("note shown as a note to the agent",
		`Array.from(document.querySelectorAll('#thread li.note')).some(li => li.textContent.includes('double-check'))`, &ok)
	agentTab.run("back to replies", chromedp.Click(`input[name=mode][value=reply]`))

	// The customer's network drops. Meanwhile both sides write.
	d.proxy.Cut()
	customerTab.run("widget notices the drop", chromedp.WaitVisible(`.status.offline`, chromedp.ByQuery, in))
	customerTab.run("customer writes while offline",
		chromedp.SendKeys(`form.composer textarea`, "Are you still there?\r", chromedp.ByQuery, in))
	agentTab.run("agent replies during the outage",
		chromedp.SendKeys(`#reply-body`, "Found it: the withdrawal is confirmed on chain."),
		chromedp.Click(`#reply button[type=submit]`),
	)
	agentTab.waitJS("reply stored", `Array.from(document.querySelectorAll('#thread li')).some(li => li.textContent.includes('confirmed on chain'))`, &ok)
	time.Sleep(500 * time.Millisecond)
	d.proxy.Restore()

	frameText(customerTab, in, "customer gets the reply sent during the outage", "confirmed on chain")
	agentTab.waitJS("agent gets the message written offline",
		`Array.from(document.querySelectorAll('#thread li')).some(li => li.textContent.includes('Are you still there?'))`, &ok)
	time.Sleep(time.Second) // room for a duplicate to show up, if any would

	rows := customerThread(customerTab, in)
	for _, text := range []string{"USDT withdrawal is stuck", "We are checking the chain", "TxID is 0xabc123", "Are you still there?", "confirmed on chain"} {
		if n := count(rows, text); n != 1 {
			t.Errorf("customer sees %q %d times, want once; thread: %v", text, n, rows)
		}
	}
	if n := count(rows, "double-check"); n != 0 {
		t.Errorf("customer sees the internal note: %v", rows)
	}
	last := 0
	for _, r := range rows {
		var seq int
		if _, err := fmt.Sscan(r[0], &seq); err != nil {
			t.Errorf("message without a seq after reconnect: %v", r)
			continue
		}
		if seq <= last {
			t.Errorf("seqs out of order or repeated: %v", rows)
		}
		last = seq
	}
	var agentRows []string
	agentTab.run("read the agent thread", chromedp.Evaluate(`Array.from(document.querySelectorAll('#thread li')).map(li => li.textContent)`, &agentRows))
	for _, text := range []string{"Are you still there?", "TxID is 0xabc123"} {
		n := 0
		for _, r := range agentRows {
			if strings.Contains(r, text) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("agent sees %q %d times, want once", text, n)
		}
	}
	msgs, err := d.app.Tickets.Messages(context.Background(), ticket.Scope{All: true}, conv.ID, ticket.MessagesFilter{IncludeInternal: true})
	// The bot answered the first message from the demo help center before
	// an agent replied, and kept out of the way after that.
	byBot := 0
	for _, m := range msgs {
		if m.AuthorKind == ticket.ByBot {
			byBot++
		}
	}
	if err != nil || len(msgs)-byBot != 6 || byBot != 1 {
		t.Errorf("stored %d messages, %d by the bot; want 6 (3 customer, 2 replies, 1 note) and one bot answer: %v", len(msgs), byBot, err)
	}

	// A second customer, in the standalone chat page, cannot read the first
	// customer's conversation.
	other := newTab(t, "other-customer")
	other.run("open the standalone chat", chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat"),
		chromedp.WaitVisible(`#v-first`))
	var status int
	var session string
	other.waitJS("second customer has a session", `localStorage.getItem('vigil.session')`, &session)
	other.run("try to read the first conversation", chromedp.Evaluate(fmt.Sprintf(`fetch('/widget/api/conversations/%d/messages?after_seq=0',
		{headers: {Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('vigil.session')).token}}).then(r => r.status)`, conv.ID), &status,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if status != http.StatusNotFound {
		t.Errorf("second customer reading the first's messages: HTTP %d, want 404", status)
	}
	var listed string
	other.run("list own conversations", chromedp.Evaluate(`fetch('/widget/api/conversations',
		{headers: {Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('vigil.session')).token}}).then(r => r.text())`, &listed,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if strings.Contains(listed, "USDT withdrawal") {
		t.Errorf("second customer's list shows the first customer's conversation: %s", listed)
	}
}
