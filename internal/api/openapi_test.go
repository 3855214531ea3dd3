package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/api"
	"vigil/internal/audit"
	"vigil/internal/automation"
	"vigil/internal/canned"
	"vigil/internal/customer"
	"vigil/internal/macro"
	"vigil/internal/ticket"
	"vigil/internal/webhook"
)

// openAPIMethods are the keys of an OpenAPI path item that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// fetchOpenAPI downloads the document through the real handler, as any
// client would, and decodes it generically so $refs can be followed.
func fetchOpenAPI(t *testing.T, e *env) map[string]any {
	t.Helper()
	status, body := e.anonymous().do("GET", "/api/v1/openapi.json", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d, want 200 (%s)", status, body)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi.json: \"openapi\" is %q, want a 3.x version", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if s, _ := info["title"].(string); s == "" {
		t.Errorf("openapi.json: info.title is missing")
	}
	if s, _ := info["version"].(string); s == "" {
		t.Errorf("openapi.json: info.version is missing")
	}
	return doc
}

// openAPIPath turns a ServeMux pattern's path into an OpenAPI path template:
// "{id}" stays, "{rest...}" becomes "{rest}" and "{$}" disappears.
func openAPIPath(pattern string) string {
	return strings.ReplaceAll(strings.ReplaceAll(pattern, "{$}", ""), "...}", "}")
}

// operations indexes the document's operations by "METHOD /path".
func operations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			if !slices.Contains(openAPIMethods, method) {
				continue
			}
			ops[strings.ToUpper(method)+" "+path] = op.(map[string]any)
		}
	}
	return ops
}

// resolveRef follows a local JSON pointer such as "#/components/schemas/Agent".
func resolveRef(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%q is not a local reference", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: %q is not inside an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%q: no %q", ref, tok)
		}
	}
	return cur, nil
}

// deref returns v, or what its $ref points at (following chains).
func deref(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		if v, _ = resolveRef(doc, ref); v == nil {
			return nil
		}
	}
	return v
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	routes := (&api.API{}).Routes()

	t.Run("operations are the routes", func(t *testing.T) {
		registered := map[string]bool{}
		for _, rt := range routes {
			key := rt.Method + " " + openAPIPath(rt.Path)
			registered[key] = true
			if _, ok := ops[key]; !ok {
				t.Errorf("route %s %s is registered in Routes() but openapi.json does not document %s", rt.Method, rt.Path, key)
			}
		}
		for key := range ops {
			if !registered[key] {
				t.Errorf("openapi.json documents %s but Routes() registers no such route", key)
			}
		}
	})

	t.Run("x-permission is the route's permission", func(t *testing.T) {
		for _, rt := range routes {
			op, ok := ops[rt.Method+" "+openAPIPath(rt.Path)]
			if !ok {
				continue // reported above
			}
			want := string(rt.Perm)
			if rt.Perm == api.Public {
				want = "public"
			}
			if got, _ := op["x-permission"].(string); got != want {
				t.Errorf("%s %s: x-permission %q, want %q as in Routes()", rt.Method, rt.Path, op["x-permission"], want)
			}
		}
	})

	t.Run("every $ref resolves", func(t *testing.T) {
		var walk func(v any, at string)
		walk = func(v any, at string) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					if _, err := resolveRef(doc, ref); err != nil {
						t.Errorf("$ref at %s does not resolve: %v", at, err)
					}
				}
				for k, child := range v {
					walk(child, at+"/"+k)
				}
			case []any:
				for i, child := range v {
					walk(child, at+"/"+strconv.Itoa(i))
				}
			}
		}
		walk(doc, "#")
	})

	t.Run("path parameters are declared", func(t *testing.T) {
		paths := doc["paths"].(map[string]any)
		placeholder := regexp.MustCompile(`\{([^}]+)\}`)
		for key, op := range ops {
			method, path, _ := strings.Cut(key, " ")
			inPath := map[string]bool{}
			for _, m := range placeholder.FindAllStringSubmatch(path, -1) {
				inPath[m[1]] = true
			}
			declared := map[string]bool{}
			item := paths[path].(map[string]any)
			params, _ := item["parameters"].([]any)
			opParams, _ := op["parameters"].([]any)
			for _, p := range append(params, opParams...) {
				pm, ok := deref(doc, p).(map[string]any)
				if !ok || pm["in"] != "path" {
					continue
				}
				name, _ := pm["name"].(string)
				declared[name] = true
				if pm["required"] != true {
					t.Errorf("%s %s: path parameter %q must be required", method, path, name)
				}
				if !inPath[name] {
					t.Errorf("%s %s: declares path parameter %q, which is not in the path", method, path, name)
				}
			}
			for name := range inPath {
				if !declared[name] {
					t.Errorf("%s %s: path parameter {%s} is not declared in parameters", method, path, name)
				}
			}
		}
	})

	t.Run("enums follow the code", func(t *testing.T) {
		schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
		enum := func(v any) []string {
			var out []string
			for _, x := range deref(doc, v).(map[string]any)["enum"].([]any) {
				out = append(out, x.(string))
			}
			return out
		}
		hookEvents := schemas["WebhookInput"].(map[string]any)["properties"].(map[string]any)["events"].(map[string]any)["items"]
		if d := cmp.Diff(webhook.Types, enum(hookEvents)); d != "" {
			t.Errorf("WebhookInput events enum is not webhook.Types (-code +doc):\n%s", d)
		}
		for _, name := range []string{"AutomationRuleInput", "AutomationRule"} {
			on := schemas[name].(map[string]any)["properties"].(map[string]any)["on"]
			if d := cmp.Diff(automation.Triggers, enum(on)); d != "" {
				t.Errorf("%s on enum is not automation.Triggers (-code +doc):\n%s", name, d)
			}
		}
	})

	t.Run("operation ids are unique", func(t *testing.T) {
		seen := map[string]string{}
		for key, op := range ops {
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", key)
			} else if other, dup := seen[id]; dup {
				t.Errorf("operationId %q is used by both %s and %s", id, other, key)
			}
			seen[id] = key
		}
	})
}

// upload marks a table row whose request is a multipart file upload.
type upload struct {
	filename string
	content  []byte
}

// TestOpenAPIResponsesMatchHandlers calls the real handlers and checks that
// each answer's status is documented for its operation and that its JSON
// body fits the documented schema, with no undocumented fields, so the
// document cannot drift from the Go structs' JSON tags unnoticed.
func TestOpenAPIResponsesMatchHandlers(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	open := func(subject string) ticket.Conversation {
		c, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: e.custB.ID, Channel: "email", TeamID: e.teamB.ID,
			Subject: subject, Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: e.custB.ID, Body: subject}})
		must(err)
		return c
	}
	duplicate, handAway := open("duplicate"), open("hand away")
	name := "Dup Customer"
	dupCustomer, err := e.app.Customers.Create(ctx, customer.Input{Name: &name})
	must(err)
	reply, err := e.app.Canned.Create(ctx, e.sup.ID, canned.Input{Shortcut: "hello", Title: "Greeting", Body: "Hello!"})
	must(err)
	cannedPath := fmt.Sprintf("/api/v1/canned-responses/%d", reply.ID)
	mac, err := e.app.Macros.Save(ctx, macro.Caller{AgentID: e.sup.ID, Manage: true}, macro.Macro{Name: "Ask for the TxID", Scope: macro.Global,
		Bodies: map[string]string{"en": "Hi {{customer.first_name}}, please send the TxID."}, Actions: macro.Actions{Status: "pending", AddTags: []string{"txid"}}})
	must(err)
	macroPath := fmt.Sprintf("/api/v1/macros/%d", mac.ID)
	hook, err := e.app.Webhooks.Create(ctx, e.admin.ID, webhook.Input{URL: "https://hooks.example/other"})
	must(err)
	hookPath := fmt.Sprintf("/api/v1/webhooks/%d", hook.ID)
	applyPath := fmt.Sprintf("/api/v1/conversations/%d/macros/%d", open("macro").ID, mac.ID)
	agentB, sup, admin, leaver := e.login(e.agentB), e.login(e.sup), e.login(e.admin), e.login(e.agentB)
	zh := e.login(e.agentB)
	zh.csrf, zh.lang = "wrong", "zh-CN"
	attID := e.uploadPNG(t, agentB, e.convB.ID)
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	cust := fmt.Sprintf("/api/v1/customers/%d", e.custB.ID)
	victim := fmt.Sprintf("/api/v1/agents/%d", e.victim.ID)

	tests := []struct {
		route  string // "METHOD /template" as documented
		path   string
		c      *client
		body   any
		status int
	}{
		{"POST /api/v1/auth/login", "/api/v1/auth/login", e.anonymous(), map[string]string{"email": e.agentB.Email, "password": password}, ok},
		{"POST /api/v1/auth/login", "/api/v1/auth/login", e.anonymous(), map[string]string{"email": e.agentB.Email, "password": "wrong password"}, u401},
		{"GET /api/v1/me", "/api/v1/me", agentB, nil, ok},
		{"GET /api/v1/me", "/api/v1/me", e.anonymous(), nil, u401},
		{"PUT /api/v1/me/status", "/api/v1/me/status", agentB, map[string]string{"status": "away"}, none},
		{"PUT /api/v1/me/status", "/api/v1/me/status", agentB, map[string]string{"status": "asleep"}, i422},
		{"PUT /api/v1/me/status", "/api/v1/me/status", zh, map[string]string{"status": "away"}, f403},
		{"POST /api/v1/me/totp", "/api/v1/me/totp", agentB, nil, ok},
		{"POST /api/v1/me/totp", "/api/v1/me/totp", admin, nil, c409},
		{"POST /api/v1/me/totp/confirm", "/api/v1/me/totp/confirm", agentB, map[string]string{"code": "000000"}, i422},
		{"POST /api/v1/me/tokens", "/api/v1/me/tokens", agentB, map[string]any{"name": "ci", "scopes": []string{"conversation:read"},
			"expires_at": e.clock.now.Add(time.Hour)}, made},
		{"GET /api/v1/me/tokens", "/api/v1/me/tokens", agentB, nil, ok},
		{"DELETE /api/v1/me/tokens/{id}", "/api/v1/me/tokens/999999", agentB, nil, n404},

		{"GET /api/v1/conversations", "/api/v1/conversations?status=new,open&limit=1", agentB, nil, ok},
		{"GET /api/v1/conversations", "/api/v1/conversations?limit=500", agentB, nil, i422},
		{"POST /api/v1/conversations", "/api/v1/conversations", agentB, map[string]any{"customer_id": e.custB.ID, "team_id": e.teamB.ID,
			"subject": "Deposit missing", "asset": "usdt", "tags": []string{"deposit"}, "body": "Checking"}, made},
		{"POST /api/v1/conversations", "/api/v1/conversations", agentB, map[string]any{"customer_id": e.custB.ID, "colour": "red"}, i422},
		{"GET /api/v1/conversations/{id}", conv, agentB, nil, ok},
		{"GET /api/v1/conversations/{id}", "/api/v1/conversations/abc", agentB, nil, n404},
		{"PATCH /api/v1/conversations/{id}", conv, agentB, map[string]any{"priority": "urgent", "tags": []string{"vip"}}, ok},
		{"PATCH /api/v1/conversations/{id}", fmt.Sprintf("/api/v1/conversations/%d", handAway.ID), agentB,
			map[string]any{"team_id": e.teamA.ID}, ok},
		{"POST /api/v1/conversations/{id}/messages", conv + "/messages", agentB, map[string]any{"body": "See the **screenshot**.",
			"attachments": []int64{attID}, "status": "pending", "external_id": "ext-1"}, made},
		{"GET /api/v1/conversations/{id}/messages", conv + "/messages?after_seq=0&limit=1", agentB, nil, ok},
		{"POST /api/v1/conversations/{id}/attachments", conv + "/attachments", agentB, upload{"note.txt", []byte("TxID abc123")}, made},
		{"POST /api/v1/conversations/{id}/attachments", conv + "/attachments", agentB, upload{"tool.exe", []byte("MZ\x90\x00\x03\x00\x00\x00")}, i422},
		{"GET /api/v1/attachments/{id}", fmt.Sprintf("/api/v1/attachments/%d", attID), agentB, nil, ok},
		{"GET /api/v1/messages/{id}/original", fmt.Sprintf("/api/v1/messages/%d/original", e.emailMessageID()), agentB, nil, ok},
		{"GET /api/v1/messages/{id}/original", "/api/v1/messages/999999/original", agentB, nil, n404},
		{"POST /api/v1/conversations/{id}/merge", conv + "/merge", sup, map[string]any{"source_id": duplicate.ID}, ok},
		{"POST /api/v1/conversations/{id}/merge", conv + "/merge", sup, map[string]any{"source_id": duplicate.ID}, c409},
		{"GET /api/v1/tags", "/api/v1/tags", agentB, nil, ok},

		{"GET /api/v1/customers", "/api/v1/customers?q=bea&limit=10", sup, nil, ok},
		{"POST /api/v1/customers", "/api/v1/customers", agentB, map[string]any{"name": "Walk In", "uid": "U-77", "language": "zh",
			"identities": []map[string]string{{"channel": "telegram", "external_id": "4242"}}}, made},
		{"GET /api/v1/customers/{id}", cust, agentB, nil, ok},
		{"PATCH /api/v1/customers/{id}", cust, agentB, map[string]any{"vip_tier": 2}, ok},
		{"POST /api/v1/customers/{id}/merge", cust + "/merge", sup, map[string]any{"source_id": dupCustomer.ID}, ok},

		{"GET /api/v1/agents", "/api/v1/agents", agentB, nil, ok},
		{"POST /api/v1/agents", "/api/v1/agents", admin, map[string]any{"email": "new@test.example", "name": "New", "role": "agent",
			"teams": []int64{e.teamA.ID}, "languages": []string{"zh"}, "password": password}, made},
		{"POST /api/v1/agents", "/api/v1/agents", admin, map[string]any{"email": "new@test.example", "name": "Again", "role": "agent"}, c409},
		{"GET /api/v1/agents/{id}", victim, agentB, nil, ok},
		{"PATCH /api/v1/agents/{id}", victim, admin, map[string]any{"max_concurrent": 3, "topics": []string{"kyc"}}, ok},
		{"PUT /api/v1/agents/{id}/password", victim + "/password", admin, map[string]any{"password": password}, none},
		{"DELETE /api/v1/agents/{id}/totp", victim + "/totp", admin, nil, none},
		{"GET /api/v1/teams", "/api/v1/teams", agentB, nil, ok},
		{"POST /api/v1/teams", "/api/v1/teams", sup, map[string]any{"name": "Team C", "description": "Night shift"}, made},

		{"POST /api/v1/canned-responses", "/api/v1/canned-responses", sup, map[string]any{"shortcut": "txid", "title": "Ask for the TxID",
			"body": "Please send the **TxID**.", "language": "en"}, made},
		{"POST /api/v1/canned-responses", "/api/v1/canned-responses", sup, map[string]any{"shortcut": "txid", "title": "Again", "body": "x",
			"language": "en"}, c409},
		{"GET /api/v1/canned-responses", "/api/v1/canned-responses?lang=en", agentB, nil, ok},
		{"PATCH /api/v1/canned-responses/{id}", cannedPath, sup, map[string]any{"shortcut": "hi", "title": "Greeting",
			"body": "Hi!", "language": "zh"}, ok},
		{"DELETE /api/v1/canned-responses/{id}", cannedPath, sup, nil, none},

		{"GET /api/v1/audit", "/api/v1/audit?limit=2", sup, nil, ok},
		{"GET /api/v1/audit", "/api/v1/audit", agentB, nil, f403},
		{"GET /api/v1/audit/verify", "/api/v1/audit/verify", sup, nil, ok},
		{"GET /api/v1/conversations/{id}/csat", conv + "/csat", agentB, nil, n404},
		{"GET /api/v1/reports", "/api/v1/reports?from=2026-03-01&to=2026-03-07&tz=Asia/Shanghai&by=vip&night=22-6", sup, nil, ok},
		{"GET /api/v1/reports", "/api/v1/reports?tz=Mars/Olympus", sup, nil, i422},
		{"GET /api/v1/reports/export.csv", "/api/v1/reports/export.csv?by=language", sup, nil, ok},
		{"GET /api/v1/public/availability", "/api/v1/public/availability", e.anonymous(), nil, n404},
		{"GET /api/v1/macros", "/api/v1/macros", agentB, nil, ok},
		{"POST /api/v1/macros", "/api/v1/macros", agentB, map[string]any{"name": "Sign-off", "scope": "personal",
			"bodies": map[string]string{"en": "Thanks, {{agent.name}}"}}, made},
		{"POST /api/v1/macros", "/api/v1/macros", agentB, map[string]any{"name": "For all", "scope": "global", "bodies": map[string]string{"en": "Hi"}}, f403},
		{"POST /api/v1/macros", "/api/v1/macros", sup, map[string]any{"name": "Bad", "scope": "global", "bodies": map[string]string{"en": "{{customer.pin}}"}}, i422},
		{"PUT /api/v1/macros/{id}", macroPath, sup, map[string]any{"name": "Ask for the TxID", "scope": "global",
			"bodies":  map[string]string{"en": "Hi {{customer.first_name}}, please send the TxID.", "zh": "{{customer.name}}您好，请发送 TxID。"},
			"actions": map[string]any{"status": "pending", "add_tags": []string{"txid"}}}, ok},
		{"POST /api/v1/conversations/{id}/macros/{macro_id}", applyPath, agentB, nil, ok},
		{"DELETE /api/v1/macros/{id}", macroPath, sup, nil, none},
		{"POST /api/v1/conversations/{id}/macros/{macro_id}", applyPath, agentB, nil, n404},
		{"POST /api/v1/webhooks", "/api/v1/webhooks", admin, map[string]any{"url": "https://hooks.example/vigil", "events": []string{"message.created"}}, made},
		{"POST /api/v1/webhooks", "/api/v1/webhooks", admin, map[string]any{"url": "file:///etc/passwd"}, i422},
		{"GET /api/v1/webhooks", "/api/v1/webhooks", admin, nil, ok},
		{"GET /api/v1/webhooks/{id}/deliveries", hookPath + "/deliveries", admin, nil, ok},
		{"DELETE /api/v1/webhooks/{id}", hookPath, admin, nil, none},
		{"GET /api/v1/webhooks/{id}/deliveries", hookPath + "/deliveries", admin, nil, n404},
		{"POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "2FA is urgent", "on": "conversation.created",
			"conditions": []map[string]string{{"field": "category", "op": "in", "value": "2fa,account_security"}},
			"actions":    map[string]any{"priority": "urgent", "add_tags": []string{"security"}}}, made},
		{"POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "x", "on": "moon.full", "actions": map[string]any{"status": "open"}}, i422},
		{"POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "Quiet pending", "on": "idle",
			"idle": map[string]any{"hours": 48, "statuses": []string{"pending"}}, "conditions": []map[string]string{{"field": "channel", "op": "eq", "value": "email"}},
			"actions": map[string]any{"status": "solved", "notify": map[string]any{"assignee": true, "team": true}}}, made},
		{"POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "No hours", "on": "idle",
			"idle": map[string]any{"statuses": []string{"pending"}}, "actions": map[string]any{"status": "solved"}}, i422},
		{"POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "No such macro", "on": "conversation.created",
			"actions": map[string]any{"macro_id": 999999}}, i422},
		{"GET /api/v1/automations", "/api/v1/automations", admin, nil, ok},
		{"DELETE /api/v1/automations/{id}", "/api/v1/automations/999999", admin, nil, n404},
		{"GET /api/v1/openapi.json", "/api/v1/openapi.json", e.anonymous(), nil, ok},
		{"POST /api/v1/conversations/next", "/api/v1/conversations/next", agentB, nil, ok},
		{"POST /api/v1/conversations/next", "/api/v1/conversations/next", e.login(e.agentA), nil, ok},
		{"POST /api/v1/conversations/next", "/api/v1/conversations/next", e.login(e.agentA), nil, n404},
		{"POST /api/v1/auth/logout", "/api/v1/auth/logout", leaver, nil, none},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.route, tt.status), func(t *testing.T) {
			op, found := ops[tt.route]
			if !found {
				t.Fatalf("openapi.json does not document %s", tt.route)
			}
			method, _, _ := strings.Cut(tt.route, " ")
			resp := tt.c.call(method, tt.path, tt.body)
			if resp.status != tt.status {
				t.Fatalf("%s %s: status %d, want %d (%s)", method, tt.path, resp.status, tt.status, resp.body)
			}
			documented, _ := deref(doc, op["responses"].(map[string]any)[strconv.Itoa(resp.status)]).(map[string]any)
			if documented == nil {
				t.Fatalf("%s answered %d, which openapi.json does not list for it", tt.route, resp.status)
			}
			content, _ := documented["content"].(map[string]any)
			if len(resp.body) == 0 {
				if len(content) > 0 {
					t.Errorf("%s %d: documented with a body, but the handler sent none", tt.route, resp.status)
				}
				return
			}
			mt, _, _ := mime.ParseMediaType(resp.contentType)
			media, _ := content[mt].(map[string]any)
			if media == nil {
				t.Fatalf("%s %d: the handler sent %s, which openapi.json does not document", tt.route, resp.status, mt)
			}
			if mt != "application/json" {
				return
			}
			var body any
			if err := json.Unmarshal(resp.body, &body); err != nil {
				t.Fatalf("%s %d: body is not JSON: %v", tt.route, resp.status, err)
			}
			v := schemaCheck{doc: doc}
			v.check(media["schema"], body, "body", true)
			if len(v.errs) > 0 {
				t.Errorf("%s %d does not match its documented schema:\n\t%s\nbody: %.600s",
					tt.route, resp.status, strings.Join(v.errs, "\n\t"), resp.body)
			}
		})
	}
}

type response struct {
	status      int
	contentType string
	body        []byte
}

// call sends a JSON request, or a multipart upload, as client.do does,
// and keeps the response's content type as well as its status and body.
func (c *client) call(method, path string, body any) response {
	c.e.t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case upload:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", b.filename)
		_, _ = fw.Write(b.content)
		_ = mw.Close()
		rd, contentType = &buf, mw.FormDataContentType()
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: data}
}

// schemaCheck validates a decoded JSON value against the subset of JSON
// Schema the document uses: $ref, type (one name), enum, const, properties,
// required, items, allOf, oneOf and the date-time format. In strict mode
// an object may hold only documented properties.
type schemaCheck struct {
	doc  map[string]any
	errs []string
}

func (v *schemaCheck) fail(at, format string, args ...any) {
	v.errs = append(v.errs, at+": "+fmt.Sprintf(format, args...))
}

func (v *schemaCheck) check(schema, val any, at string, strict bool) {
	s, ok := deref(v.doc, schema).(map[string]any)
	if !ok {
		v.fail(at, "schema %v does not resolve", schema)
		return
	}
	for _, sub := range list(s["allOf"]) {
		v.check(sub, val, at, false)
	}
	if alts := list(s["oneOf"]); len(alts) > 0 {
		matched := 0
		for _, alt := range alts {
			try := schemaCheck{doc: v.doc}
			try.check(alt, val, at, strict)
			if len(try.errs) == 0 {
				matched++
			}
		}
		if matched != 1 {
			v.fail(at, "matches %d of the oneOf alternatives, want exactly 1", matched)
		}
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, val) {
		v.fail(at, "is %v, want the constant %v", val, c)
	}
	if enum := list(s["enum"]); enum != nil && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, val) }) {
		v.fail(at, "%v is not one of %v", val, enum)
	}
	if typ, ok := s["type"].(string); ok && typ != jsonType(val) && !(typ == "number" && jsonType(val) == "integer") {
		v.fail(at, "is a %s, documented as %s", jsonType(val), typ)
		return
	}
	if str, ok := val.(string); ok && s["format"] == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			v.fail(at, "%q is not an RFC 3339 date-time", str)
		}
	}
	switch val := val.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, name := range list(s["required"]) {
			if _, ok := val[name.(string)]; !ok {
				v.fail(at, "required field %q is missing", name)
			}
		}
		// Only a schema that lists properties closes the object; a bare
		// {"type": "object"} or a oneOf wrapper leaves that to others.
		known := v.knownProperties(s)
		closed := strict && len(known) > 0 && s["additionalProperties"] == nil
		for name, child := range val {
			if p, ok := props[name]; ok {
				v.check(p, child, at+"."+name, true)
			} else if closed && !known[name] {
				v.fail(at, "field %q is not documented", name)
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, child := range val {
				v.check(items, child, fmt.Sprintf("%s[%d]", at, i), true)
			}
		}
	}
}

// knownProperties lists the properties s documents, its allOf parts included.
func (v *schemaCheck) knownProperties(s map[string]any) map[string]bool {
	known := map[string]bool{}
	props, _ := s["properties"].(map[string]any)
	for name := range props {
		known[name] = true
	}
	for _, sub := range list(s["allOf"]) {
		if m, ok := deref(v.doc, sub).(map[string]any); ok {
			for name := range v.knownProperties(m) {
				known[name] = true
			}
		}
	}
	return known
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
