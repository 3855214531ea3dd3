package report_test

import (
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/report"
	"vigil/internal/ticket"
	"vigil/internal/web"
)

var linkRE = regexp.MustCompile(`https://desk\.example/csat/([A-Za-z0-9_\-.]+)`)

// surveyMessages returns the desk's rating requests in a conversation.
func (e *env) surveyMessages(t *testing.T, convID int64) []ticket.Message {
	t.Helper()
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []ticket.Message
	for _, m := range ms {
		if m.AuthorKind == ticket.BySystem && linkRE.MatchString(m.Body) {
			out = append(out, m)
		}
	}
	return out
}

func TestSurveyAskedOnceInChannelAndLanguage(t *testing.T) {
	e := newEnv(t)
	ag := e.agent(t, "li@desk.example")
	cust := e.customer(t, "Li Wei", "zh", 0)
	c := e.open(t, cust, "email", "zh", "deposit")
	e.reply(t, c.ID, ag.ID)
	e.runJobs(t)
	if got := e.surveyMessages(t, c.ID); len(got) != 0 {
		t.Fatalf("asked before solving: %v", got)
	}
	e.status(t, c.ID, ticket.StatusSolved)
	e.runJobs(t)
	asks := e.surveyMessages(t, c.ID)
	if len(asks) != 1 {
		t.Fatalf("rating requests after solving = %d, want 1", len(asks))
	}
	if !strings.Contains(asks[0].Body, "请打 1 到 5 分") || !strings.Contains(asks[0].BodyHTML, `<a href="https://desk.example/csat/`) || asks[0].Internal {
		t.Errorf("request is not a public Chinese message: %+v", asks[0])
	}
	// Email leaves through a delivery job like any other public reply.
	var deliveries int
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND key = $2`, ticket.DeliverJob,
		"deliver:message:"+itoa(asks[0].ID)).Scan(&deliveries); err != nil || deliveries != 1 {
		t.Errorf("delivery jobs for the request = %d (%v), want 1", deliveries, err)
	}
	// Reopened and solved again: still one survey per conversation.
	e.say(t, c.ID, cust.ID)
	e.status(t, c.ID, ticket.StatusSolved)
	e.runJobs(t)
	if got := len(e.surveyMessages(t, c.ID)); got != 1 {
		t.Errorf("rating requests after a second solve = %d, want 1", got)
	}
	sv, err := e.reports.Survey(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Language != "zh" || sv.Channel != "email" || !sv.ExpiresAt.Equal(t0.Add(report.SurveyTTL)) {
		t.Errorf("survey = %+v", sv)
	}
}

func TestSurveyAnswerOnceAndExpiry(t *testing.T) {
	e := newEnv(t)
	ag := e.agent(t, "ana@desk.example")
	cust := e.customer(t, "Ana", "en", 0)
	c := e.open(t, cust, "webchat", "en", "withdrawal")
	e.reply(t, c.ID, ag.ID)
	e.status(t, c.ID, ticket.StatusSolved)
	e.runJobs(t)
	asks := e.surveyMessages(t, c.ID)
	if len(asks) != 1 {
		t.Fatalf("rating requests = %d, want 1", len(asks))
	}
	token := linkRE.FindStringSubmatch(asks[0].Body)[1]

	// A forged link for another conversation is refused.
	other := e.open(t, cust, "webchat", "en", "other")
	payload, sig, _ := strings.Cut(token, ".")
	b, _ := base64.RawURLEncoding.DecodeString(payload)
	b[7] = byte(other.ID)
	forged := base64.RawURLEncoding.EncodeToString(b) + "." + sig
	if _, err := e.reports.Answer(e.ctx, forged, 5, ""); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("forged link: err = %v, want not found", err)
	}
	if _, err := e.reports.Answer(e.ctx, token, 6, "great"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("rating 6: err = %v, want invalid", err)
	}
	e.clock.Advance(time.Hour)
	sv, err := e.reports.Answer(e.ctx, token, 4, "  Quick and kind  ")
	if err != nil {
		t.Fatal(err)
	}
	if sv.Rating != 4 || sv.Comment != "Quick and kind" || !sv.AnsweredAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("answer = %+v", sv)
	}
	if _, err := e.reports.Answer(e.ctx, token, 1, "changed my mind"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second answer: err = %v, want conflict", err)
	}
	stored, _ := e.reports.Survey(e.ctx, c.ID)
	if stored.Rating != 4 {
		t.Errorf("stored rating = %d after a refused second answer, want 4", stored.Rating)
	}

	// The other conversation's link expires after a week.
	e.reply(t, other.ID, ag.ID)
	e.status(t, other.ID, ticket.StatusSolved)
	e.runJobs(t)
	otherToken := linkRE.FindStringSubmatch(e.surveyMessages(t, other.ID)[0].Body)[1]
	e.clock.Advance(report.SurveyTTL)
	_, err = e.reports.Answer(e.ctx, otherToken, 5, "")
	if ae, ok := apperr.As(err); !ok || ae.Code != "csat.expired" {
		t.Errorf("expired link: err = %v, want csat.expired", err)
	}
}

func TestSurveyPage(t *testing.T) {
	e := newEnv(t)
	ag := e.agent(t, "li@desk.example")
	cust := e.customer(t, "Li Wei", "zh", 0)
	c := e.open(t, cust, "telegram", "zh", "deposit")
	e.reply(t, c.ID, ag.ID)
	e.status(t, c.ID, ticket.StatusSolved)
	e.runJobs(t)
	token := linkRE.FindStringSubmatch(e.surveyMessages(t, c.ID)[0].Body)[1]

	mux := http.NewServeMux()
	web.NewSurveyPage(web.SurveyDeps{Reports: e.reports, ClientIP: api.RemoteIP, Logger: slog.New(slog.DiscardHandler),
		Limiter: auth.NewLimiter(0.0001, 4, e.clock.Now)}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(rating, comment string) (int, string) {
		resp, err := http.PostForm(srv.URL+"/csat/"+token, url.Values{"rating": {rating}, "comment": {comment}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The widget's rating card opens the page with the score chosen.
	if code, body := get("/csat/" + token + "?rating=4"); code != 200 || !strings.Contains(body, "您对获得的帮助满意吗") ||
		!strings.Contains(body, `lang="zh-Hans"`) || !strings.Contains(body, `value="4" required checked`) {
		t.Fatalf("page: %d %s", code, body)
	}
	if code, body := post("9", "充值很快到账"); code != 422 || !strings.Contains(body, "请选择 1 到 5 分") || !strings.Contains(body, "充值很快到账") {
		t.Errorf("bad rating: %d, want 422 with the comment kept: %s", code, body)
	}
	if code, body := post("5", "充值很快到账"); code != 200 || !strings.Contains(body, "您的评价已保存") {
		t.Errorf("answer: %d %s", code, body)
	}
	if code, _ := post("1", ""); code != 409 {
		t.Errorf("second answer: %d, want 409", code)
	}
	// Four requests spent the burst: the fifth is throttled.
	if code, _ := get("/csat/" + token); code != 429 {
		t.Errorf("fifth request: %d, want 429", code)
	}
	sv, _ := e.reports.Survey(e.ctx, c.ID)
	if sv.Rating != 5 || sv.Comment != "充值很快到账" {
		t.Errorf("stored %+v", sv)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
