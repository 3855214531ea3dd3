package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
)

// TestCoveragePage sets up team Security so that nobody who speaks
// Chinese works Sunday 02:00-06:00 UTC and checks what a supervisor reads:
// the gap sentence in English and Chinese, the grid with the empty hours
// marked in words, the shifts, presence and on-call; agents are kept out.
func TestCoveragePage(t *testing.T) {
	e := newEnv(t)
	// A Wednesday ahead of the real date, so session cookies have not expired.
	e.clock.now = time.Date(2027, 3, 24, 10, 0, 0, 0, time.UTC)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	email, name, role := "sup@test.example", "Sue Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &[]int64{e.teamA.ID, e.teamB.ID}})
	must(err)
	must(e.app.Auth.SetPassword(ctx, sup.ID, password))
	wuEmail, wuName := "wu@test.example", "Wu Fang 吴芳"
	wu, err := e.app.Agents.Create(ctx, agent.Input{Email: &wuEmail, Name: &wuName, Role: ptr(agent.RoleAgent), Teams: &[]int64{e.teamB.ID},
		Languages: &[]string{"zh"}})
	must(err)
	_, err = e.app.Agents.Update(ctx, e.agB.ID, agent.Input{Languages: &[]string{"en"}})
	must(err)
	shift := func(a agent.Agent, days []string, start, end, tz string) {
		t.Helper()
		_, err := e.app.Agents.CreateShift(ctx, e.teamB.ID, agent.ShiftInput{AgentID: a.ID, Weekdays: days, Start: start, End: end, TimeZone: tz})
		must(err)
	}
	all := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	shift(e.agB, all, "00:00", "24:00", "UTC")
	// Wu works in Shanghai time: 08:00 there is 00:00 UTC.
	shift(wu, []string{"mon", "tue", "wed", "thu", "fri", "sat"}, "08:00", "08:00", "Asia/Shanghai")
	shift(wu, []string{"sun"}, "08:00", "10:00", "Asia/Shanghai") // 00:00-02:00 UTC
	shift(wu, []string{"sun"}, "14:00", "08:00", "Asia/Shanghai") // 06:00 UTC to Monday 00:00 UTC
	must(e.app.Agents.SetStatus(ctx, e.agB.ID, agent.Online))
	_, err = e.app.Agents.SetRota(ctx, e.teamB.ID, agent.Rota{TimeZone: "UTC", StartsOn: "2027-03-01", Handover: "09:00", PeriodDays: 7, Members: []int64{sup.ID}})
	must(err)

	// Agents neither see the link nor the page.
	ag := e.signedIn(e.agA)
	if _, body, _ := ag.get("/console/inbox"); strings.Contains(body, "/console/coverage") {
		t.Error("an agent's navigation links to the coverage page")
	}
	if status, body, _ := ag.get("/console/coverage"); status != http.StatusForbidden || !strings.Contains(body, "for supervisors and administrators") {
		t.Errorf("agent on the coverage page: %d", status)
	}

	b := e.signedIn(sup)
	if _, body, _ := b.get("/console/inbox"); !strings.Contains(body, `href="/console/coverage"`) {
		t.Error("the supervisor's navigation has no coverage link")
	}
	status, body, _ := b.get(fmt.Sprintf("/console/coverage?team=%d&week=2027-03-22", e.teamB.ID))
	if status != http.StatusOK {
		t.Fatalf("coverage page: %d %s", status, body)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{
		"No Chinese-speaking agent Sunday 02:00-06:00 UTC.",
		"Security: agents who speak Chinese, per hour (UTC), week of 2027-03-22",
		"Asia/Shanghai", "Wu Fang 吴芳", "On call now: Sue Supervisor", "Scheduled now: 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("coverage page lacks %q", want)
		}
	}
	if strings.Contains(text, "Wallets") && strings.Contains(text, "Wallets: everyone") {
		t.Error("the page shows team Wallets although team Security was chosen")
	}
	if strings.Contains(text, "Nobody is scheduled") || strings.Contains(text, "No English-speaking agent") {
		t.Error("the page flags a gap for the team or for English, which are covered all week")
	}
	// The Chinese grid's Sunday row: four empty hours, marked in words.
	zh := regexp.MustCompile(fmt.Sprintf(`(?s)<table class="cov-grid" id="grid-%d-zh">.*?</table>`, e.teamB.ID)).FindString(body)
	sunday := regexp.MustCompile(`(?s)<tr><th scope="row">Sunday 03-28</th>(.*?)</tr>`).FindStringSubmatch(zh)
	if sunday == nil {
		t.Fatalf("no Sunday row in the Chinese grid:\n%s", zh)
	}
	if n := strings.Count(sunday[1], `class="cov-0"`); n != 4 || strings.Count(sunday[1], ">none<") != 4 || strings.Count(sunday[1], `class="cov-1"`) != 20 {
		t.Errorf("Sunday row has %d empty hours, want 4 marked \"none\" and 20 with one agent:\n%s", n, sunday[1])
	}
	// Presence: Ben is online and on shift.
	if !regexp.MustCompile(`Ben Security <span class="on-shift">on shift</span></td><td><span class="presence-dot presence-online"[^>]*></span> Online`).MatchString(body) {
		t.Error("presence table does not show Ben online and on shift")
	}

	// In Chinese.
	if status, _, _ := b.post("/console/lang", url.Values{"lang": {"zh"}, "csrf": {b.csrf}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", status)
	}
	_, body, _ = b.get(fmt.Sprintf("/console/coverage?team=%d&week=2027-03-22&tz=Asia/Shanghai", e.teamB.ID))
	if text := html.UnescapeString(body); !strings.Contains(text, "周日 10:00-14:00（Asia/Shanghai）没有会说中文的客服。") {
		t.Errorf("Chinese page lacks the gap sentence in Shanghai time")
	}

	// A bad time zone is explained, and the form keeps what was typed.
	status, body, _ = b.get("/console/coverage?tz=Mars/Olympus")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "时区必须是 IANA 名称") || !strings.Contains(body, `value="Mars/Olympus"`) {
		t.Errorf("bad time zone: %d", status)
	}
}

func ptr[T any](v T) *T { return &v }
