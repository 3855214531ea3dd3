package api_test

import (
	"encoding/json"
	"mime"
	"strconv"
	"strings"
	"testing"
)

// matchesDocument checks a live answer against the operation's documented
// responses and schema, as TestOpenAPIResponsesMatchHandlers does.
func matchesDocument(t *testing.T, doc map[string]any, ops map[string]map[string]any, route string, resp response) {
	t.Helper()
	op, found := ops[route]
	if !found {
		t.Fatalf("openapi.json does not document %s", route)
	}
	d, _ := deref(doc, op["responses"].(map[string]any)[strconv.Itoa(resp.status)]).(map[string]any)
	if d == nil {
		t.Fatalf("%s answered %d, which openapi.json does not list (%s)", route, resp.status, resp.body)
	}
	content, _ := d["content"].(map[string]any)
	if len(resp.body) == 0 {
		if len(content) > 0 {
			t.Errorf("%s %d: documented with a body, but the handler sent none", route, resp.status)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.contentType)
	media, _ := content[mt].(map[string]any)
	if media == nil {
		t.Fatalf("%s %d: undocumented content type %s", route, resp.status, mt)
	}
	var body any
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Fatalf("%s %d: body is not JSON: %v", route, resp.status, err)
	}
	v := schemaCheck{doc: doc}
	v.check(media["schema"], body, "body", true)
	if len(v.errs) > 0 {
		t.Errorf("%s %d does not match its schema:\n\t%s\nbody: %.600s", route, resp.status, strings.Join(v.errs, "\n\t"), resp.body)
	}
}

// callDocumented calls route (as "METHOD /template") at path, fails on any
// status but want, checks the answer against the document and returns
// the body.
func callDocumented(t *testing.T, doc map[string]any, ops map[string]map[string]any, c *client, route, path string, body any, want int) []byte {
	t.Helper()
	method, _, _ := strings.Cut(route, " ")
	resp := c.call(method, path, body)
	if resp.status != want {
		t.Fatalf("%s %s: status %d, want %d (%s)", method, path, resp.status, want, resp.body)
	}
	matchesDocument(t, doc, ops, route, resp)
	return resp.body
}

// asObject decodes a JSON object answer; nil for an empty body.
func asObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
