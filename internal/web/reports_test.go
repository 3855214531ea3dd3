package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/ticket"
)

// TestReportsPage checks what a supervisor reads on the reports page for
// the three conversations of the test desk, one of them answered after
// 40 seconds: the figures by team as a table beside an SVG chart, the
// heatmap table, the night view, the CSV link; agents are kept out and
// a bad time zone is explained.
func TestReportsPage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	email, name, role := "sup@test.example", "Sue Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &[]int64{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(ctx, sup.ID, password); err != nil {
		t.Fatal(err)
	}
	e.clock.now = e.clock.now.Add(40 * time.Second)
	if _, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: e.convB.ID, AuthorKind: ticket.ByAgent, AuthorID: e.agB.ID,
		AuthorName: "Ben", Body: "Checking the login now"}); err != nil {
		t.Fatal(err)
	}
	e.clock.now = e.clock.now.Add(2 * time.Minute)
	if _, err := e.app.Reports.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	ag := e.signedIn(e.agA)
	if _, body, _ := ag.get("/console/inbox"); strings.Contains(body, "/console/reports") {
		t.Error("an agent's navigation links to the reports page")
	}
	if status, _, _ := ag.get("/console/reports"); status != http.StatusForbidden {
		t.Errorf("agent on the reports page: %d, want 403", status)
	}

	b := e.signedIn(sup)
	day := e.clock.now.UTC().Format(time.DateOnly)
	status, body, _ := b.get("/console/reports?tz=UTC&by=team&from=" + day + "&to=" + day)
	if status != http.StatusOK {
		t.Fatalf("reports page: %d %s", status, body)
	}
	text := html.UnescapeString(body)
	// Columns: in, solved, first response median and p90, …, backlog.
	for _, want := range []string{
		`<tr><th scope="row">Security</th><td>1</td><td>0</td><td>40 s</td><td>40 s</td>`,
		`<tr><th scope="row">Wallets</th><td>1</td><td>0</td><td>–</td>`,
		`<tr><th scope="row">None</th><td>1</td>`,
		`<tfoot><tr><th scope="row">All</th><td>3</td><td>0</td><td>40 s</td>`,
		`aria-label="Conversations in by Team"`, `aria-label="Median first response by Team"`,
		`Night 00:00-06:00`, `Rest of the day`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("reports page lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<svg class="chart"`).FindAllString(body, -1)); n != 5 {
		t.Errorf("page draws %d charts, want 5 (two breakdowns, night, two heatmaps)", n)
	}
	heat := regexp.MustCompile(`(?s)<table class="cov-grid report-heat">.*?</table>`).FindString(body)
	if strings.Count(heat, `<th scope="row">`) != 7 || strings.Count(heat, "<td>") != 7*24 {
		t.Errorf("heatmap table is not 7 days × 24 hours")
	}
	wantCSV := "/api/v1/reports/export.csv?" + url.Values{"by": {"team"}, "from": {day}, "night": {"0-6"}, "to": {day}, "tz": {"UTC"}}.Encode()
	if !strings.Contains(text, `href="`+wantCSV+`"`) {
		t.Errorf("no CSV link %s", wantCSV)
	}

	// A bad time zone is explained, and the form keeps what was typed.
	status, body, _ = b.get("/console/reports?tz=Mars/Olympus")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Unknown time zone.") || !strings.Contains(body, `value="Mars/Olympus"`) {
		t.Errorf("bad time zone: %d", status)
	}

	// In Chinese.
	if status, _, _ := b.post("/console/lang", url.Values{"lang": {"zh"}, "csrf": {b.csrf}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", status)
	}
	_, body, _ = b.get("/console/reports?tz=Asia/Shanghai&by=agent")
	text = html.UnescapeString(body)
	for _, want := range []string{"按客服统计的新会话", "夜班", "周一", "下载 CSV"} {
		if !strings.Contains(text, want) {
			t.Errorf("Chinese page lacks %q", want)
		}
	}
}
