package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/job"
	"vigil/internal/ticket"
)

// TestSatisfactionToReport follows one rating from the solve in the API,
// through the link in the conversation and the public page, into the
// conversation's survey, the report and its CSV.
func TestSatisfactionToReport(t *testing.T) {
	e := newEnv(t)
	agentB, sup := e.login(e.agentB), e.login(e.sup)
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	if code, body := agentB.do("POST", conv+"/messages", map[string]any{"body": "Your deposit is credited.", "status": "solved"}); code != http.StatusCreated {
		t.Fatalf("reply and solve: %d %s", code, body)
	}
	ctx := context.Background()
	if _, err := e.app.Jobs.RunOnce(ctx, map[string]job.Handler{ticket.SurveyJob: e.app.Reports.Ask}); err != nil {
		t.Fatal(err)
	}
	code, body := agentB.do("GET", conv+"/messages?after_seq=0", nil)
	link := regexp.MustCompile(`/csat/[A-Za-z0-9_\-.]+`).FindString(string(body))
	if code != http.StatusOK || link == "" {
		t.Fatalf("no rating link in the conversation: %d %s", code, body)
	}
	resp, err := http.PostForm(e.srv.URL+link, url.Values{"rating": {"4"}, "comment": {"Fast"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	var sv struct {
		Rating  int    `json:"rating"`
		Comment string `json:"comment"`
	}
	code, body = agentB.do("GET", conv+"/csat", nil)
	if err := json.Unmarshal(body, &sv); code != http.StatusOK || err != nil || sv.Rating != 4 || sv.Comment != "Fast" {
		t.Fatalf("survey: %d %s", code, body)
	}
	if code, _ := e.login(e.agentA).do("GET", conv+"/csat", nil); code != http.StatusNotFound {
		t.Errorf("agent of another team reads the rating: %d, want 404", code)
	}

	e.clock.now = e.clock.now.Add(2 * time.Minute)
	if _, err := e.app.Reports.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	day := e.clock.now.UTC().Format(time.DateOnly)
	var rep struct {
		Total struct {
			In        int      `json:"conversations_in"`
			Solved    int      `json:"solved"`
			CSATCount int      `json:"csat_count"`
			CSATAvg   *float64 `json:"csat_average"`
		} `json:"total"`
		Rows []struct {
			Key string `json:"key"`
			In  int    `json:"conversations_in"`
		} `json:"rows"`
	}
	code, body = sup.do("GET", "/api/v1/reports?by=team&tz=UTC&from="+day+"&to="+day, nil)
	if err := json.Unmarshal(body, &rep); code != http.StatusOK || err != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	if rep.Total.In != 1 || rep.Total.Solved != 1 || rep.Total.CSATCount != 1 || rep.Total.CSATAvg == nil || *rep.Total.CSATAvg != 4 {
		t.Errorf("report total = %+v, want 1 in, 1 solved, one rating of 4", rep.Total)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Key != fmt.Sprint(e.teamB.ID) {
		t.Errorf("rows by team = %+v, want team B only", rep.Rows)
	}
	code, body = sup.do("GET", "/api/v1/reports/export.csv?by=team&tz=UTC&from="+day+"&to="+day, nil)
	lines, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if code != http.StatusOK || err != nil {
		t.Fatalf("csv: %d %v", code, err)
	}
	// Header, total, one team, night, rest of day, 168 heatmap cells.
	if len(lines) != 1+1+1+2+168 || lines[1][0] != "total" || lines[1][4] != "1" || lines[1][18] != "4" {
		t.Errorf("csv has %d lines; total line %v", len(lines), lines[1])
	}
	if code, body := sup.do("GET", "/api/v1/reports?from=2026-03-07&to=2026-03-01", nil); code != http.StatusUnprocessableEntity ||
		!strings.Contains(string(body), "report.range_invalid") {
		t.Errorf("backwards range: %d %s", code, body)
	}
}
