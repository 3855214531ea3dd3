package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/api"
)

// expectation gives the exact status each caller must get on a route, in
// the order anonymous, agent of another team, agent of the owning team,
// supervisor, admin. Requests target team B's conversation and customer.
type expectation struct {
	path   string // with ids filled in
	body   any
	status [5]int
}

const (
	ok   = http.StatusOK
	made = http.StatusCreated
	none = http.StatusNoContent
	u401 = http.StatusUnauthorized
	f403 = http.StatusForbidden
	n404 = http.StatusNotFound
	i422 = http.StatusUnprocessableEntity
	c409 = http.StatusConflict
)

func walkTable(e *env, attachmentID int64) map[string]expectation {
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	cust := fmt.Sprintf("/api/v1/customers/%d", e.custB.ID)
	victim := fmt.Sprintf("/api/v1/agents/%d", e.victim.ID)
	teamB := fmt.Sprintf("/api/v1/teams/%d", e.teamB.ID)
	cb := fmt.Sprintf("/api/v1/callbacks/%d", e.callbackB(e.t).ID)
	return map[string]expectation{
		"POST /api/v1/auth/login": {"/api/v1/auth/login", map[string]string{"email": "nobody@test.example", "password": "wrong password!"},
			[5]int{u401, u401, u401, u401, u401}},
		"GET /api/v1/me":               {"/api/v1/me", nil, [5]int{u401, ok, ok, ok, ok}},
		"PUT /api/v1/me/status":        {"/api/v1/me/status", map[string]string{"status": "online"}, [5]int{u401, none, none, none, none}},
		"POST /api/v1/me/totp/confirm": {"/api/v1/me/totp/confirm", map[string]string{"code": "000000"}, [5]int{u401, i422, i422, i422, i422}},
		"GET /api/v1/me/tokens":        {"/api/v1/me/tokens", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/me/tokens": {"/api/v1/me/tokens", map[string]any{"name": "walk", "scopes": []string{"conversation:read"}},
			[5]int{u401, made, made, made, made}},
		"DELETE /api/v1/me/tokens/{id}": {"/api/v1/me/tokens/999999", nil, [5]int{u401, n404, n404, n404, n404}},

		"GET /api/v1/conversations": {"/api/v1/conversations", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/conversations": {"/api/v1/conversations", map[string]any{"customer_id": e.custB.ID, "team_id": e.teamB.ID, "body": "walk"},
			[5]int{u401, f403, made, made, made}},
		"GET /api/v1/conversations/{id}":          {conv, nil, [5]int{u401, n404, ok, ok, ok}},
		"PATCH /api/v1/conversations/{id}":        {conv, map[string]any{"priority": "high"}, [5]int{u401, n404, ok, ok, ok}},
		"GET /api/v1/conversations/{id}/messages": {conv + "/messages", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/messages": {conv + "/messages", map[string]any{"body": "walk", "internal": true},
			[5]int{u401, n404, made, made, made}},
		"POST /api/v1/conversations/{id}/merge": {conv + "/merge", map[string]any{"source_id": e.convB.ID},
			[5]int{u401, f403, f403, i422, i422}},
		"POST /api/v1/conversations/next":             {"/api/v1/conversations/next", nil, [5]int{u401, n404, ok, n404, n404}},
		"POST /api/v1/conversations/{id}/attachments": {conv + "/attachments", "{}", [5]int{u401, n404, i422, i422, i422}},
		"GET /api/v1/attachments/{id}":                {fmt.Sprintf("/api/v1/attachments/%d", attachmentID), nil, [5]int{u401, n404, ok, ok, ok}},
		"GET /api/v1/messages/{id}/original": {fmt.Sprintf("/api/v1/messages/%d/original", e.emailMessageID()), nil,
			[5]int{u401, n404, ok, ok, ok}},

		"GET /api/v1/conversations/{id}/sla": {conv + "/sla", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/transfer": {conv + "/transfer", map[string]any{"team_id": e.teamB.ID, "note": "walk"},
			[5]int{u401, n404, ok, ok, ok}},
		"GET /api/v1/queues":        {"/api/v1/queues", nil, [5]int{u401, ok, ok, ok, ok}},
		"GET /api/v1/sla/policies":  {"/api/v1/sla/policies", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/sla/policies": {"/api/v1/sla/policies", map[string]any{"name": ""}, [5]int{u401, f403, f403, i422, i422}},
		"PUT /api/v1/sla/policies/{id}": {"/api/v1/sla/policies/999999", map[string]any{"name": "walk", "targets": map[string]int{"first_response_minutes": 5}},
			[5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/sla/policies/{id}": {"/api/v1/sla/policies/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/sla/calendars":        {"/api/v1/sla/calendars", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/sla/calendars":       {"/api/v1/sla/calendars", map[string]any{"name": ""}, [5]int{u401, f403, f403, i422, i422}},
		"PUT /api/v1/sla/calendars/{id}": {"/api/v1/sla/calendars/999999", map[string]any{"name": "walk", "tz": "UTC", "week": [][]map[string]int{{}, {{"from": 540, "to": 1020}}, {}, {}, {}, {}, {}}},
			[5]int{u401, f403, f403, n404, n404}},

		"GET /api/v1/customers":        {"/api/v1/customers", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/customers":       {"/api/v1/customers", map[string]any{"name": "Walk"}, [5]int{u401, made, made, made, made}},
		"GET /api/v1/customers/{id}":   {cust, nil, [5]int{u401, n404, ok, ok, ok}},
		"PATCH /api/v1/customers/{id}": {cust, map[string]any{"language": "zh"}, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/customers/{id}/merge": {cust + "/merge", map[string]any{"source_id": e.custB.ID},
			[5]int{u401, f403, f403, i422, i422}},

		"GET /api/v1/agents":               {"/api/v1/agents", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/agents":              {"/api/v1/agents", map[string]any{}, [5]int{u401, f403, f403, f403, i422}},
		"GET /api/v1/agents/{id}":          {victim, nil, [5]int{u401, ok, ok, ok, ok}},
		"PATCH /api/v1/agents/{id}":        {victim, map[string]any{"max_concurrent": 4}, [5]int{u401, f403, f403, f403, ok}},
		"PUT /api/v1/agents/{id}/password": {victim + "/password", map[string]any{"password": "short"}, [5]int{u401, f403, f403, f403, i422}},
		"DELETE /api/v1/agents/{id}/totp":  {victim + "/totp", nil, [5]int{u401, f403, f403, f403, none}},
		"GET /api/v1/teams":                {"/api/v1/teams", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/teams":               {"/api/v1/teams", map[string]any{"name": ""}, [5]int{u401, f403, f403, i422, i422}},
		"GET /api/v1/tags":                 {"/api/v1/tags", nil, [5]int{u401, ok, ok, ok, ok}},
		"GET /api/v1/canned-responses":     {"/api/v1/canned-responses?lang=zh", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/canned-responses":    {"/api/v1/canned-responses", map[string]any{}, [5]int{u401, f403, f403, i422, i422}},
		"PATCH /api/v1/canned-responses/{id}": {"/api/v1/canned-responses/999999", map[string]any{"shortcut": "x", "title": "X", "body": "x"},
			[5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/canned-responses/{id}": {"/api/v1/canned-responses/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/audit":                    {"/api/v1/audit", nil, [5]int{u401, f403, f403, ok, ok}},

		"GET /api/v1/channel-settings": {"/api/v1/channel-settings", nil, [5]int{u401, f403, f403, f403, ok}},
		"PUT /api/v1/channel-settings": {"/api/v1/channel-settings", map[string]any{"values": map[string]string{"email.name": "Walk Support"}},
			[5]int{u401, f403, f403, f403, ok}},
		"GET /api/v1/audit/verify": {"/api/v1/audit/verify", nil, [5]int{u401, f403, f403, ok, ok}},
		"GET /api/v1/openapi.json": {"/api/v1/openapi.json", nil, [5]int{ok, ok, ok, ok, ok}},
		"POST /api/v1/me/totp":     {"/api/v1/me/totp", nil, [5]int{u401, ok, ok, ok, c409}},
		"POST /api/v1/auth/logout": {"/api/v1/auth/logout", nil, [5]int{u401, none, none, none, none}},

		// Shifts: supervisors and administrators manage, agents read their own team's.
		"GET /api/v1/teams/{id}/shifts": {teamB + "/shifts", nil, [5]int{u401, f403, ok, ok, ok}},
		"POST /api/v1/teams/{id}/shifts": {teamB + "/shifts", map[string]any{"agent_id": e.agentB.ID, "weekdays": []string{"mon"},
			"start": "09:00", "end": "17:00", "time_zone": "UTC"}, [5]int{u401, f403, f403, made, made}},
		"PUT /api/v1/shifts/{id}": {"/api/v1/shifts/999999", map[string]any{"agent_id": e.agentB.ID, "weekdays": []string{"mon"},
			"start": "09:00", "end": "17:00", "time_zone": "UTC"}, [5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/shifts/{id}":              {"/api/v1/shifts/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/teams/{id}/shift-exceptions": {teamB + "/shift-exceptions", nil, [5]int{u401, f403, ok, ok, ok}},
		"POST /api/v1/teams/{id}/shift-exceptions": {teamB + "/shift-exceptions", map[string]any{"agent_id": e.agentB.ID, "kind": "off",
			"first_day": "2026-12-24"}, [5]int{u401, f403, f403, made, made}},
		"PUT /api/v1/shift-exceptions/{id}": {"/api/v1/shift-exceptions/999999", map[string]any{"agent_id": e.agentB.ID, "kind": "off",
			"first_day": "2026-12-24"}, [5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/shift-exceptions/{id}": {"/api/v1/shift-exceptions/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/teams/{id}/on-call":       {teamB + "/on-call", nil, [5]int{u401, f403, n404, n404, n404}},
		"PUT /api/v1/teams/{id}/on-call": {teamB + "/on-call", map[string]any{"time_zone": "UTC", "starts_on": "2026-01-05", "handover": "09:00",
			"period_days": 7, "members": []int64{}}, [5]int{u401, f403, f403, i422, i422}},
		"GET /api/v1/coverage":       {fmt.Sprintf("/api/v1/coverage?team=%d", e.teamB.ID), nil, [5]int{u401, f403, ok, ok, ok}},
		"GET /api/v1/kb/categories":  {"/api/v1/kb/categories", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/kb/categories": {"/api/v1/kb/categories", map[string]any{}, [5]int{u401, f403, f403, i422, i422}},
		"PATCH /api/v1/kb/categories/{id}": {"/api/v1/kb/categories/999999", map[string]any{"slug": "walk", "names": map[string]string{"en": "Walk"}},
			[5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/kb/articles/{id}/translations/{lang}/publish": {"/api/v1/kb/articles/999999/translations/en/publish", nil,
			[5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/kb/articles":      {"/api/v1/kb/articles", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/kb/articles":     {"/api/v1/kb/articles", map[string]any{"slug": "Not A Slug"}, [5]int{u401, f403, f403, i422, i422}},
		"GET /api/v1/kb/articles/{id}": {"/api/v1/kb/articles/999999", nil, [5]int{u401, n404, n404, n404, n404}},
		"PATCH /api/v1/kb/articles/{id}": {"/api/v1/kb/articles/999999", map[string]any{"slug": "walk"},
			[5]int{u401, f403, f403, n404, n404}},
		"PUT /api/v1/kb/articles/{id}/translations/{lang}": {"/api/v1/kb/articles/999999/translations/en",
			map[string]any{"title": "Walk", "body": "Walk"}, [5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/kb/articles/{id}/translations/{lang}/publish": {"/api/v1/kb/articles/999999/translations/zh/publish", nil,
			[5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/kb/articles/{id}/translations/{lang}/history": {"/api/v1/kb/articles/999999/translations/en/history", nil,
			[5]int{u401, n404, n404, n404, n404}},
		"POST /api/v1/kb/articles/{id}/examples": {"/api/v1/kb/articles/999999/examples", map[string]any{"language": "en", "text": "walk"},
			[5]int{u401, n404, n404, n404, n404}},
		"GET /api/v1/kb/search":     {"/api/v1/kb/search?q=withdrawal&lang=zh", nil, [5]int{u401, ok, ok, ok, ok}},
		"GET /api/v1/announcements": {"/api/v1/announcements", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/announcements": {"/api/v1/announcements", map[string]any{"topic": "moon"},
			[5]int{u401, f403, f403, i422, i422}},
		"PATCH /api/v1/announcements/{id}": {"/api/v1/announcements/999999", map[string]any{"titles": map[string]string{"en": "Walk"},
			"bodies": map[string]string{"en": "Walk"}, "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-02T00:00:00Z"},
			[5]int{u401, f403, f403, n404, n404}},
		"DELETE /api/v1/announcements/{id}": {"/api/v1/announcements/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/bot/turns":             {"/api/v1/bot/turns", nil, [5]int{u401, f403, f403, ok, ok}},
		"GET /api/v1/bot/report":            {"/api/v1/bot/report?days=30", nil, [5]int{u401, f403, f403, ok, ok}},
		// Trust and safety. Team B's customer has no exchange account (409).
		"GET /api/v1/conversations/{id}/verification": {conv + "/verification", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/verification/code": {conv + "/verification/code", map[string]string{"channel": "device"},
			[5]int{u401, n404, c409, c409, c409}},
		"POST /api/v1/conversations/{id}/verification/checks": {conv + "/verification/checks", map[string]any{"answers": map[string]string{"recent_order_id": "O-1"}},
			[5]int{u401, n404, c409, c409, c409}},
		"POST /api/v1/conversations/{id}/reveal": {conv + "/reveal", map[string]string{"reason": "walk: customer asked about an address"},
			[5]int{u401, n404, ok, ok, ok}},
		"GET /api/v1/conversations/{id}/account": {conv + "/account", nil, [5]int{u401, n404, c409, c409, c409}},
		"GET /api/v1/conversations/{id}/freezes": {conv + "/freezes", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/freeze": {conv + "/freeze", map[string]string{"reason": "not_me"}, [5]int{u401, n404, c409, c409, c409}},
		"POST /api/v1/freezes/{id}/unfreeze-request": {"/api/v1/freezes/999999/unfreeze-request", map[string]string{"reason": "walk: verified customer"},
			[5]int{u401, n404, n404, n404, n404}},
		"POST /api/v1/freezes/{id}/approve":  {"/api/v1/freezes/999999/approve", nil, [5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/freezes/{id}/complete": {"/api/v1/freezes/999999/complete", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/verify":                 {"/api/v1/verify?q=t.me/someone", nil, [5]int{ok, ok, ok, ok, ok}},
		"POST /api/v1/verify/report":         {"/api/v1/verify/report", map[string]string{"q": ""}, [5]int{i422, i422, i422, i422, i422}},
		"GET /api/v1/official-channels":      {"/api/v1/official-channels", nil, [5]int{u401, f403, f403, f403, ok}},
		"POST /api/v1/official-channels": {"/api/v1/official-channels", map[string]string{"kind": "domain", "value": ""},
			[5]int{u401, f403, f403, f403, i422}},
		"POST /api/v1/official-channels/{id}/retire": {"/api/v1/official-channels/999999/retire", nil, [5]int{u401, f403, f403, f403, n404}},
		"GET /api/v1/access-alerts":                  {"/api/v1/access-alerts", nil, [5]int{u401, f403, f403, ok, ok}},

		"GET /api/v1/conversations/{id}/csat": {conv + "/csat", nil, [5]int{u401, n404, n404, n404, n404}},
		"GET /api/v1/reports": {"/api/v1/reports?from=2026-03-01&to=2026-03-07&tz=Asia/Shanghai&by=agent", nil,
			[5]int{u401, f403, f403, ok, ok}},
		"GET /api/v1/reports/export.csv": {"/api/v1/reports/export.csv?by=team", nil, [5]int{u401, f403, f403, ok, ok}},
		// Off unless VIGIL_TRANSPARENCY is set; on, it is public (report tests).
		"GET /api/v1/public/availability": {"/api/v1/public/availability", nil, [5]int{n404, n404, n404, n404, n404}},

		"GET /api/v1/macros": {"/api/v1/macros", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/macros": {"/api/v1/macros", map[string]any{"name": "walk", "scope": "personal", "bodies": map[string]string{"en": "Hi"}},
			[5]int{u401, made, made, made, made}},
		"PUT /api/v1/macros/{id}": {"/api/v1/macros/999999", map[string]any{"name": "walk", "scope": "personal", "bodies": map[string]string{"en": "Hi"}},
			[5]int{u401, n404, n404, n404, n404}},
		"DELETE /api/v1/macros/{id}":                        {"/api/v1/macros/999999", nil, [5]int{u401, n404, n404, n404, n404}},
		"POST /api/v1/conversations/{id}/macros/{macro_id}": {conv + "/macros/999999", nil, [5]int{u401, n404, n404, n404, n404}},

		"GET /api/v1/webhooks":                 {"/api/v1/webhooks", nil, [5]int{u401, f403, f403, f403, ok}},
		"POST /api/v1/webhooks":                {"/api/v1/webhooks", map[string]any{"url": "https://hooks.example/vigil"}, [5]int{u401, f403, f403, f403, made}},
		"DELETE /api/v1/webhooks/{id}":         {"/api/v1/webhooks/999999", nil, [5]int{u401, f403, f403, f403, n404}},
		"GET /api/v1/webhooks/{id}/deliveries": {"/api/v1/webhooks/999999/deliveries", nil, [5]int{u401, f403, f403, f403, n404}},

		"GET /api/v1/automations": {"/api/v1/automations", nil, [5]int{u401, f403, f403, f403, ok}},
		"POST /api/v1/automations": {"/api/v1/automations", map[string]any{"name": "walk", "on": "conversation.created",
			"conditions": []map[string]string{{"field": "category", "op": "eq", "value": "2fa"}}, "actions": map[string]any{"priority": "urgent"}},
			[5]int{u401, f403, f403, f403, made}},
		"PATCH /api/v1/automations/{id}":  {"/api/v1/automations/999999", map[string]any{"enabled": false}, [5]int{u401, f403, f403, f403, n404}},
		"DELETE /api/v1/automations/{id}": {"/api/v1/automations/999999", nil, [5]int{u401, f403, f403, f403, n404}},
		// Incidents: agents read and link their own conversations, supervisors manage.
		"GET /api/v1/incidents":        {"/api/v1/incidents", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/incidents":       {"/api/v1/incidents", map[string]any{"severity": "moon"}, [5]int{u401, f403, f403, i422, i422}},
		"GET /api/v1/incidents/{id}":   {"/api/v1/incidents/999999", nil, [5]int{u401, n404, n404, n404, n404}},
		"PATCH /api/v1/incidents/{id}": {"/api/v1/incidents/999999", walkIncident, [5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/incidents/{id}/updates": {"/api/v1/incidents/999999/updates", map[string]any{"status": "identified",
			"bodies": map[string]string{"en": "Walk"}}, [5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/incidents/{id}/resolve": {"/api/v1/incidents/999999/resolve", map[string]any{"bodies": map[string]string{"en": "Walk"}},
			[5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/incidents/{id}/conversations": {"/api/v1/incidents/999999/conversations", nil, [5]int{u401, f403, f403, n404, n404}},
		"GET /api/v1/conversations/{id}/incidents": {conv + "/incidents", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/incidents": {conv + "/incidents", map[string]any{"incident_id": 999999},
			[5]int{u401, n404, n404, n404, n404}},
		"DELETE /api/v1/conversations/{id}/incidents/{incident}": {conv + "/incidents/999999", nil, [5]int{u401, n404, n404, n404, n404}},
		"GET /api/v1/status/components":                          {"/api/v1/status/components", nil, [5]int{u401, ok, ok, ok, ok}},
		"PUT /api/v1/status/components/{slug}": {"/api/v1/status/components/walk", map[string]any{"state": "on fire",
			"names": map[string]string{"en": "Walk"}}, [5]int{u401, f403, f403, i422, i422}},

		// Outreach: supervisors only.
		"GET /api/v1/campaigns":      {"/api/v1/campaigns", nil, [5]int{u401, f403, f403, ok, ok}},
		"POST /api/v1/campaigns":     {"/api/v1/campaigns", map[string]any{"name": ""}, [5]int{u401, f403, f403, i422, i422}},
		"GET /api/v1/campaigns/{id}": {"/api/v1/campaigns/999999", nil, [5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/campaigns/{id}/recipients": {"/api/v1/campaigns/999999/recipients", map[string]any{"uids": []string{"walk"}},
			[5]int{u401, f403, f403, n404, n404}},
		"POST /api/v1/customers/{id}/outreach-opt-out": {"/api/v1/customers/999999/outreach-opt-out", nil, [5]int{u401, f403, f403, n404, n404}},

		// Callbacks: team B's request; the callback tests cover the rules.
		"GET /api/v1/callbacks":      {"/api/v1/callbacks?state=requested", nil, [5]int{u401, ok, ok, ok, ok}},
		"GET /api/v1/callbacks/{id}": {cb, nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/callbacks/{id}/schedule": {cb + "/schedule", map[string]any{"call_at": "2000-01-01T00:00:00Z"},
			[5]int{u401, n404, i422, i422, i422}},
		"POST /api/v1/callbacks/{id}/call":   {cb + "/call", nil, [5]int{u401, n404, 503, 503, 503}},
		"POST /api/v1/callbacks/{id}/hangup": {cb + "/hangup", nil, [5]int{u401, n404, c409, c409, c409}},
		"POST /api/v1/callbacks/{id}/done": {cb + "/done", map[string]any{"outcome": "answered", "duration_seconds": 60},
			[5]int{u401, n404, c409, c409, c409}},
		// Complaints: agents on the conversations they see; the first marks it.
		"GET /api/v1/complaints":                    {"/api/v1/complaints", nil, [5]int{u401, ok, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/complaint": {conv + "/complaint", map[string]any{"summary": "walk"}, [5]int{u401, n404, made, ok, ok}},
		"GET /api/v1/conversations/{id}/complaint":  {conv + "/complaint", nil, [5]int{u401, n404, ok, ok, ok}},
		"POST /api/v1/conversations/{id}/complaint/final-response": {conv + "/complaint/final-response", map[string]any{"body": ""},
			[5]int{u401, n404, i422, i422, i422}},
		// Legal holds, data-subject requests and retention: administrators.
		"GET /api/v1/legal-holds":                  {"/api/v1/legal-holds", nil, [5]int{u401, f403, f403, f403, ok}},
		"PUT /api/v1/customers/{id}/legal-hold":    {cust + "/legal-hold", map[string]any{"reason": ""}, [5]int{u401, f403, f403, f403, i422}},
		"DELETE /api/v1/customers/{id}/legal-hold": {cust + "/legal-hold", nil, [5]int{u401, f403, f403, f403, n404}},
		"GET /api/v1/customers/{id}/export":        {cust + "/export", nil, [5]int{u401, f403, f403, f403, ok}},
		"POST /api/v1/customers/{id}/erase":        {cust + "/erase", map[string]any{"confirm": 0}, [5]int{u401, f403, f403, f403, i422}},
		"GET /api/v1/retention":                    {"/api/v1/retention", nil, [5]int{u401, f403, f403, f403, ok}},
		"POST /api/v1/retention/run":               {"/api/v1/retention/run", nil, [5]int{u401, f403, f403, f403, ok}},
	}
}

var walkIncident = map[string]any{"severity": "minor", "titles": map[string]string{"en": "Walk"}, "messages": map[string]string{"en": "Walk"}}

// TestEveryRouteAuthorised walks every registered route as each kind of
// caller and checks the exact answer, so a route added without a
// permission, or a scope check that leaks, fails here.
func TestEveryRouteAuthorised(t *testing.T) {
	e := newEnv(t)
	attID := e.uploadPNG(t, e.login(e.agentB), e.convB.ID)
	table := walkTable(e, attID)
	callers := []struct {
		name string
		c    *client
	}{
		{"anonymous", e.anonymous()},
		{"agent of another team", e.login(e.agentA)},
		{"agent", e.login(e.agentB)},
		{"supervisor", e.login(e.sup)},
		{"admin", e.login(e.admin)},
	}
	cs, err := e.app.Auth.StartCustomerSession(context.Background(), e.custB.ID, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	customer := e.anonymous()
	customer.bearer = cs.Token
	routes := (&api.API{}).Routes()
	// Logout last: it ends the session the other rows use.
	for i, rt := range routes {
		if rt.Path == "/api/v1/auth/logout" {
			routes = append(append(routes[:i:i], routes[i+1:]...), rt)
			break
		}
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		want, ok := table[key]
		if !ok {
			t.Errorf("route %s has no expectation in the walk table; add one", key)
			continue
		}
		for i, caller := range callers {
			status, body := caller.c.do(rt.Method, want.path, want.body)
			if status != want.status[i] {
				t.Errorf("%s as %s: status %d, want %d (%s)", key, caller.name, status, want.status[i], strings.TrimSpace(string(body)))
			}
		}
		// The customer who owns team B's conversation, with a valid widget
		// session: the agents' API treats them as anonymous.
		if status, body := customer.do(rt.Method, want.path, want.body); status != want.status[0] {
			t.Errorf("%s as the customer: status %d, want %d (%s)", key, status, want.status[0], strings.TrimSpace(string(body)))
		}
	}
	for key := range table {
		if !seen[key] {
			t.Errorf("walk table has %s but no such route is registered", key)
		}
	}
}
