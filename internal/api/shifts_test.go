package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/audit"
)

// documented calls a route and checks that the status is documented for
// it and the body fits its schema, as TestOpenAPIResponsesMatchHandlers
// does for the other routes.
type documented struct {
	t   *testing.T
	doc map[string]any
	ops map[string]map[string]any
}

func (d documented) call(c *client, route, path string, body any, want int) []byte {
	d.t.Helper()
	return callDocumented(d.t, d.doc, d.ops, c, route, path, body, want)
}

// TestShiftsAndCoverageAPI schedules team B so that nobody who speaks
// Chinese works on Sunday 02:00-06:00 UTC, then reads the gap back as a
// grid and as sentences in English and Chinese, in two time zones, with a
// day off and an on-call rota; every answer is checked against the
// OpenAPI document.
func TestShiftsAndCoverageAPI(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	d := documented{t: t, doc: doc, ops: operations(t, doc)}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	for _, u := range []struct {
		id    int64
		langs []string
		teams []int64
	}{{e.agentB.ID, []string{"zh", "en"}, []int64{e.teamB.ID}}, {e.victim.ID, []string{"en"}, []int64{e.teamB.ID}}, {e.sup.ID, []string{"en"}, []int64{e.teamB.ID}}} {
		if _, err := e.app.Agents.Update(ctx, u.id, agent.Input{Languages: &u.langs, Teams: &u.teams}); err != nil {
			t.Fatal(err)
		}
	}
	sup, agentB, agentA := e.login(e.sup), e.login(e.agentB), e.login(e.agentA)
	teamB := fmt.Sprintf("/api/v1/teams/%d", e.teamB.ID)
	shift := func(agentID int64, days []string, start, end string) agent.Shift {
		body := d.call(sup, "POST /api/v1/teams/{id}/shifts", teamB+"/shifts", map[string]any{"agent_id": agentID, "weekdays": days,
			"start": start, "end": end, "time_zone": "UTC"}, made)
		return decodeJSON[agent.Shift](t, body)
	}
	shift(e.agentB.ID, []string{"mon", "tue", "wed", "thu", "fri", "sat"}, "00:00", "24:00")
	shift(e.agentB.ID, []string{"sun"}, "00:00", "02:00")
	late := shift(e.agentB.ID, []string{"sun"}, "05:00", "24:00")
	shift(e.victim.ID, []string{"sun"}, "02:00", "06:00")
	// The late Sunday shift starts at 06:00, not 05:00.
	d.call(sup, "PUT /api/v1/shifts/{id}", fmt.Sprintf("/api/v1/shifts/%d", late.ID), map[string]any{"agent_id": e.agentB.ID,
		"weekdays": []string{"sun"}, "start": "06:00", "end": "24:00", "time_zone": "UTC"}, ok)
	d.call(sup, "POST /api/v1/teams/{id}/shifts", teamB+"/shifts", map[string]any{"agent_id": e.agentA.ID, "weekdays": []string{"sun"},
		"start": "02:00", "end": "06:00", "time_zone": "UTC"}, i422) // not in team B
	d.call(sup, "POST /api/v1/teams/{id}/shifts", teamB+"/shifts", map[string]any{"agent_id": e.agentB.ID, "weekdays": []string{"sun"},
		"start": "02:00", "end": "06:00", "time_zone": "Asia/Beijing"}, i422)
	list := decodeJSON[api.Page[agent.Shift]](t, d.call(agentB, "GET /api/v1/teams/{id}/shifts", teamB+"/shifts", nil, ok))
	if len(list.Data) != 4 {
		t.Errorf("team B lists %d shifts, want 4", len(list.Data))
	}

	coverage := func(c *client, query string) api.CoverageReport {
		t.Helper()
		return decodeJSON[api.CoverageReport](t, d.call(c, "GET /api/v1/coverage", "/api/v1/coverage"+query, nil, ok))
	}
	rep := coverage(agentB, "?week=2026-03-23")
	if len(rep.Teams) != 1 || rep.Teams[0].TeamID != e.teamB.ID || rep.TimeZone != "UTC" {
		t.Fatalf("team B's agent sees %+v in %s, want only team B in UTC", rep.Teams, rep.TimeZone)
	}
	tb := rep.Teams[0]
	if len(tb.Gaps) != 0 {
		t.Errorf("team gaps %+v, want none: someone is always scheduled", tb.Gaps)
	}
	var zh, en []string
	for _, l := range tb.Languages {
		for _, g := range l.Gaps {
			if l.Language == "zh" {
				zh = append(zh, g.Text)
			} else {
				en = append(en, g.Text)
			}
		}
	}
	if diff := cmp.Diff([]string{"No Chinese-speaking agent Sunday 02:00-06:00 UTC."}, zh); diff != "" || len(en) != 0 {
		t.Errorf("gap sentences (-want +got):\n%s\nEnglish gaps: %v", diff, en)
	}
	if tb.Languages[1].Grid[6][2] != 0 || tb.Languages[1].Grid[6][6] != 1 || tb.Total[6][3] != 1 {
		t.Errorf("Sunday grid: zh %v, total %v", tb.Languages[1].Grid[6], tb.Total[6])
	}

	agentB.lang = "zh-CN"
	rep = coverage(agentB, fmt.Sprintf("?team=%d&tz=Asia/Shanghai&week=2026-03-23", e.teamB.ID))
	if got := rep.Teams[0].Languages[1].Gaps; len(got) != 1 || got[0].Text != "周日 10:00-14:00（Asia/Shanghai）没有会说中文的客服。" {
		t.Errorf("Chinese gaps in Shanghai time = %+v", got)
	}
	agentB.lang = ""

	// A day off on Wednesday 1 April leaves nobody all day.
	d.call(agentA, "POST /api/v1/teams/{id}/shift-exceptions", teamB+"/shift-exceptions", map[string]any{"agent_id": e.agentB.ID, "kind": "off",
		"first_day": "2026-04-01"}, f403)
	off := decodeJSON[agent.Exception](t, d.call(sup, "POST /api/v1/teams/{id}/shift-exceptions", teamB+"/shift-exceptions",
		map[string]any{"agent_id": e.agentB.ID, "kind": "off", "first_day": "2026-04-01", "note": "Qingming"}, made))
	d.call(sup, "POST /api/v1/teams/{id}/shift-exceptions", teamB+"/shift-exceptions",
		map[string]any{"agent_id": e.agentB.ID, "kind": "extra", "first_day": "2026-04-04", "start": "10:00", "end": "09:00"}, i422)
	rep = coverage(sup, fmt.Sprintf("?team=%d&week=2026-04-01", e.teamB.ID))
	var team []string
	for _, g := range rep.Teams[0].Gaps {
		team = append(team, g.Text)
	}
	if diff := cmp.Diff([]string{"Nobody is scheduled Wednesday 00:00-24:00 UTC."}, team); diff != "" {
		t.Errorf("team gaps with the day off (-want +got):\n%s", diff)
	}
	exc := decodeJSON[api.Page[agent.Exception]](t, d.call(agentB, "GET /api/v1/teams/{id}/shift-exceptions", teamB+"/shift-exceptions?since=2026-04-01", nil, ok))
	if len(exc.Data) != 1 || exc.Data[0].Note != "Qingming" {
		t.Errorf("exceptions = %+v", exc.Data)
	}
	d.call(agentB, "GET /api/v1/teams/{id}/shift-exceptions", teamB+"/shift-exceptions?since=April", nil, i422)
	d.call(sup, "PUT /api/v1/shift-exceptions/{id}", fmt.Sprintf("/api/v1/shift-exceptions/%d", off.ID), map[string]any{"agent_id": e.agentB.ID,
		"kind": "extra", "first_day": "2026-04-04", "start": "22:00", "end": "02:00", "time_zone": "Europe/London"}, ok)
	rep = coverage(sup, fmt.Sprintf("?team=%d&week=2026-04-01", e.teamB.ID))
	if len(rep.Teams[0].Gaps) != 0 {
		t.Errorf("after turning the day off into an extra shift, gaps %+v", rep.Teams[0].Gaps)
	}
	d.call(sup, "DELETE /api/v1/shift-exceptions/{id}", fmt.Sprintf("/api/v1/shift-exceptions/%d", off.ID), nil, none)
	d.call(sup, "DELETE /api/v1/shifts/{id}", fmt.Sprintf("/api/v1/shifts/%d", late.ID), nil, none)
	d.call(sup, "DELETE /api/v1/shifts/{id}", fmt.Sprintf("/api/v1/shifts/%d", late.ID), nil, n404)

	// What callers may ask.
	d.call(agentA, "GET /api/v1/coverage", fmt.Sprintf("/api/v1/coverage?team=%d", e.teamB.ID), nil, f403)
	if rep := coverage(agentA, ""); len(rep.Teams) != 1 || rep.Teams[0].TeamID != e.teamA.ID {
		t.Errorf("team A's agent sees %+v, want only team A", rep.Teams)
	}
	if rep := coverage(sup, ""); len(rep.Teams) != 2 {
		t.Errorf("the supervisor sees %d teams, want both", len(rep.Teams))
	}
	d.call(sup, "GET /api/v1/coverage", "/api/v1/coverage?tz=Local", nil, i422)
	d.call(sup, "GET /api/v1/coverage", "/api/v1/coverage?week=next", nil, i422)
	d.call(sup, "GET /api/v1/coverage", "/api/v1/coverage?team=999999", nil, n404)

	// The on-call rota names the supervisor.
	d.call(agentB, "GET /api/v1/teams/{id}/on-call", teamB+"/on-call", nil, n404)
	d.call(sup, "PUT /api/v1/teams/{id}/on-call", teamB+"/on-call", map[string]any{"time_zone": "Asia/Shanghai", "starts_on": "2026-01-05",
		"handover": "09:00", "period_days": 7, "members": []int64{e.agentB.ID}}, i422) // an agent cannot be on call
	d.call(sup, "PUT /api/v1/teams/{id}/on-call", teamB+"/on-call", map[string]any{"time_zone": "Asia/Shanghai", "starts_on": "2026-01-05",
		"handover": "09:00", "period_days": 7, "members": []int64{e.sup.ID}}, ok)
	var oc struct {
		OnCall *agent.Agent `json:"on_call"`
	}
	if err := json.Unmarshal(d.call(agentB, "GET /api/v1/teams/{id}/on-call", teamB+"/on-call", nil, ok), &oc); err != nil || oc.OnCall == nil || oc.OnCall.ID != e.sup.ID {
		t.Errorf("on call = %+v, %v; want the supervisor", oc.OnCall, err)
	}
}
