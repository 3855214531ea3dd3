package exchange

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

type schema struct {
	Ref        string            `json:"$ref"`
	Type       string            `json:"type"`
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
}

// TestSandboxImplementsContract calls every operation of the published
// document on the sandbox with a signed request and checks the answer has
// every field the document marks required.
func TestSandboxImplementsContract(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema schema `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(ContractJSON, &doc); err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{
		"/v1/customers/{uid}/freeze":         `{"reason":"test","requested_by":"customer"}`,
		"/v1/customers/{uid}/unfreeze":       `{"reason":"test","requested_by":"agent:1"}`,
		"/v1/customers/{uid}/one-time-codes": `{"channel":"email","code":"123456","language":"en","purpose":"verify_chat"}`,
		"/v1/customers/{uid}/notices":        `{"title":"Withdrawals delayed","body":"Funds are safe."}`,
	}
	sb := NewSandbox(SandboxSecret, func() time.Time { return t0 })
	ops := 0
	for path, methods := range doc.Paths {
		for method, op := range methods {
			ops++
			p := strings.ReplaceAll(path, "{uid}", "U10000001")
			if path == "/v1/customers" {
				p += "?uid=U10000001"
			}
			body := []byte(bodies[path])
			m := strings.ToUpper(method)
			req := httptest.NewRequest(m, p, bytes.NewReader(body))
			req.Header.Set(HeaderTimestamp, strconv.FormatInt(t0.Unix(), 10))
			req.Header.Set(HeaderSignature, Sign(SandboxSecret, t0.Unix(), m, p, body))
			req.Header.Set(HeaderIdemKey, "contract-"+path)
			rec := httptest.NewRecorder()
			sb.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("%s %s: %d %s", m, p, rec.Code, rec.Body)
				continue
			}
			var got any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			s := op.Responses["200"].Content["application/json"].Schema
			checkRequired(t, m+" "+path, s, got, doc.Components.Schemas)
		}
	}
	if ops != 7 {
		t.Errorf("document has %d operations, want 7", ops)
	}
}

func checkRequired(t *testing.T, at string, s schema, v any, defs map[string]schema) {
	t.Helper()
	if s.Ref != "" {
		s = defs[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	switch val := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := val[r]; !ok {
				t.Errorf("%s: missing required %q", at, r)
			}
		}
		for k, sub := range s.Properties {
			if x, ok := val[k]; ok {
				checkRequired(t, at+"."+k, sub, x, defs)
			}
		}
	case []any:
		if s.Items != nil {
			for _, x := range val {
				checkRequired(t, at+"[]", *s.Items, x, defs)
			}
		}
	}
}
