package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/automation"
	"vigil/internal/macro"
)

// rulesOf reads the stored rules or stops the test.
func (e *env) rulesOf() []automation.Rule {
	e.t.Helper()
	rules, err := e.app.Rules.Rules(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rules
}

// An administrator opens the automations page from the navigation,
// creates a rule with conditions, a macro, field changes and a notice,
// and an idle rule; both show in words in the order they run, the
// service holds exactly what the form said, and a rule is deleted only
// once the box confirming it is ticked.
func TestAutomationsPage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	m, err := e.app.Macros.Save(ctx, macro.Caller{AgentID: e.admin.ID, Manage: true}, macro.Macro{Name: "We are on it", Scope: macro.Global,
		Bodies: map[string]string{"en": "We are looking into your withdrawal."}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.adminBrowser()
	if _, inbox, _ := b.get("/console/inbox"); !strings.Contains(inbox, `href="/console/automations"`) {
		t.Error("the administrator's navigation has no automations entry")
	}
	status, page, _ := b.get("/console/automations")
	if status != http.StatusOK || !strings.Contains(page, "No rules yet.") {
		t.Fatalf("empty page: %d\n%s", status, page)
	}
	for _, want := range []string{`<option value="idle">A conversation is idle</option>`, `<option value="customer.replied">The customer replies</option>`,
		fmt.Sprintf(`<option value="%d">We are on it</option>`, m.ID), `<option value="subject">Subject</option>`, `name="idle_status" value="on_hold"`,
		"Team ids: ", fmt.Sprintf("Wallets (%d)", e.teamA.ID), fmt.Sprintf("Security (%d)", e.teamB.ID), fmt.Sprintf("Ann Wallets (%d)", e.agA.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("form lacks %s", want)
		}
	}

	form := url.Values{"csrf": {b.csrf}, "name": {"Escalate withdrawals"}, "on": {"customer.replied"}, "position": {"10"},
		"cond_field_0": {"category"}, "cond_op_0": {"eq"}, "cond_value_0": {"withdrawal"},
		"cond_field_1": {""}, "cond_op_1": {"eq"}, "cond_value_1": {""}, // blank: ignored
		"cond_field_2": {"team_id"}, "cond_op_2": {"in"}, "cond_value_2": {fmt.Sprintf("%d,%d", e.teamA.ID, e.teamB.ID)},
		"macro_id": {fmt.Sprint(m.ID)}, "status": {"pending"}, "priority": {"urgent"}, "team_id": {fmt.Sprint(e.teamB.ID)},
		"add_tags": {"escalated, vip-desk"}, "notify_assignee": {"1"}, "notify_agent": {fmt.Sprint(e.agA.ID)}}
	if status, page, h := b.post("/console/automations", form, e.srv.URL); status != http.StatusSeeOther || h.Get("Location") != "/console/automations?created=1" {
		t.Fatalf("create: %d to %q\n%s", status, h.Get("Location"), page)
	}
	idle := url.Values{"csrf": {b.csrf}, "name": {"Close quiet cases"}, "on": {"idle"}, "idle_hours": {"48"}, "idle_status": {"pending", "on_hold"},
		"position": {"1"}, "status": {"solved"}}
	if status, page, _ := b.post("/console/automations", idle, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("create idle rule: %d\n%s", status, page)
	}

	want := []automation.Rule{
		{Name: "Close quiet cases", On: automation.OnIdle, Position: 1, Enabled: true, Conditions: []automation.Condition{},
			Idle: &automation.Idle{Hours: 48, Statuses: []string{"pending", "on_hold"}}, Actions: automation.Actions{Status: "solved"}},
		{Name: "Escalate withdrawals", On: automation.OnCustomerReply, Position: 10, Enabled: true,
			Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "withdrawal"},
				{Field: "team_id", Op: "in", Value: fmt.Sprintf("%d,%d", e.teamA.ID, e.teamB.ID)}},
			Actions: automation.Actions{MacroID: m.ID, Status: "pending", Priority: "urgent", TeamID: e.teamB.ID, AddTags: []string{"escalated", "vip-desk"},
				Notify: &automation.Notify{Assignee: true, AgentIDs: []int64{e.agA.ID}}}},
	}
	rules := e.rulesOf()
	if diff := cmp.Diff(want, rules, cmpopts.IgnoreFields(automation.Rule{}, "ID", "CreatedAt"), cmpopts.IgnoreUnexported(automation.Rule{})); diff != "" {
		t.Fatalf("stored rules (-want +got):\n%s", diff)
	}

	_, page, _ = b.get("/console/automations?created=1")
	text := html.UnescapeString(page)
	for _, want := range []string{"Rule created.", "The customer replies", "No update for 48 hours while Pending, On hold",
		"Category is “withdrawal”", "Team is one of Wallets, Security", "Send macro We are on it", "Set status to Pending",
		"Set priority to Urgent", "Move to team Security", "Add tags escalated, vip-desk", "Notify the assignee, Ann Wallets", "Set status to Solved"} {
		if !strings.Contains(text, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	if strings.Index(text, "Close quiet cases") > strings.Index(text, "Escalate withdrawals") {
		t.Error("the rules are not listed in the order they run")
	}
	if strings.Contains(text, `"macro_id":`) || strings.Contains(text, `{"field":`) {
		t.Error("the list shows raw JSON")
	}

	del := fmt.Sprintf("/console/automations/%d/delete", rules[0].ID)
	if status, _, _ := b.post(del, url.Values{"csrf": {b.csrf}}, e.srv.URL); status != http.StatusBadRequest || len(e.rulesOf()) != 2 {
		t.Errorf("delete without the confirming box: %d, %d rules left", status, len(e.rulesOf()))
	}
	if status, _, _ := b.post(del, url.Values{"confirm": {"1"}}, e.srv.URL); status != http.StatusForbidden || len(e.rulesOf()) != 2 {
		t.Errorf("delete without the CSRF token: %d, %d rules left", status, len(e.rulesOf()))
	}
	if status, _, h := b.post(del, url.Values{"csrf": {b.csrf}, "confirm": {"1"}}, e.srv.URL); status != http.StatusSeeOther || h.Get("Location") != "/console/automations?deleted=1" {
		t.Fatalf("delete: %d to %q", status, h.Get("Location"))
	}
	if left := e.rulesOf(); len(left) != 1 || left[0].Name != "Escalate withdrawals" {
		t.Errorf("after delete: %+v", left)
	}
	_, page, _ = b.get("/console/automations?deleted=1")
	if !strings.Contains(page, "Rule deleted.") || strings.Contains(page, "Close quiet cases") {
		t.Error("the page still lists the deleted rule")
	}
}

// A refused rule is explained above the form, every typed value is still
// in it, and nothing is stored.
func TestAutomationsBadInputKeepsForm(t *testing.T) {
	e := newEnv(t)
	b := e.adminBrowser()
	b.get("/console/automations")
	cases := []struct {
		name   string
		form   url.Values
		reason string
		kept   []string
	}{
		{"idle without hours", url.Values{"name": {"Nudge pending"}, "on": {"idle"}, "idle_hours": {"0"}, "idle_status": {"pending"},
			"cond_field_0": {"category"}, "cond_op_0": {"ne"}, "cond_value_0": {"kyc"}, "add_tags": {"nudged, again"}, "priority": {"high"}},
			"an idle rule needs 1-2160 hours and at least one status",
			[]string{`value="Nudge pending"`, `<option value="idle" selected>`, `value="0"`, `name="idle_status" value="pending" checked`,
				`<option value="category" selected>`, `<option value="ne" selected>`, `value="kyc"`, `value="nudged, again"`, `<option value="high" selected>`}},
		{"no action", url.Values{"name": {"Does nothing"}, "on": {"agent.replied"}, "notify_team": {""}, "cond_field_1": {"subject"},
			"cond_op_1": {"contains"}, "cond_value_1": {"refund"}},
			"a rule needs an action",
			[]string{`value="Does nothing"`, `<option value="agent.replied" selected>`, `<option value="subject" selected>`, `<option value="contains" selected>`, `value="refund"`}},
		{"order not a number", url.Values{"name": {"Early bird"}, "on": {"conversation.created"}, "position": {"first"},
			"status": {"open"}},
			"whole numbers",
			[]string{`value="Early bird"`, `value="first"`, `<option value="open" selected>`}},
		{"condition without a field", url.Values{"name": {"Half a condition"}, "on": {"conversation.created"}, "cond_value_0": {"urgent please"},
			"status": {"open"}, "notify_assignee": {"1"}},
			"fields are",
			[]string{`value="Half a condition"`, `value="urgent please"`, `<option value="open" selected>`, `name="notify_assignee" value="1" checked`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("csrf", b.csrf)
			status, page, _ := b.post("/console/automations", c.form, e.srv.URL)
			_, form, _ := strings.Cut(page, `id="new-rule"`)
			if status != http.StatusUnprocessableEntity || !strings.Contains(form, `role="alert"`) || !strings.Contains(form, c.reason) {
				t.Errorf("status %d, want 422 with %q", status, c.reason)
			}
			for _, want := range c.kept {
				if !strings.Contains(page, want) {
					t.Errorf("the form lost %s", want)
				}
			}
			if n := len(e.rulesOf()); n != 0 {
				t.Errorf("%d rules stored", n)
			}
		})
	}
}

// Agents and supervisors lack settings:manage: no navigation entry, a
// refusal on the page and on its forms, and nothing created or deleted.
func TestAutomationsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	rule, err := e.app.Rules.Create(ctx, automation.Rule{Enabled: true, Name: "Tag new", On: automation.OnCreated, Actions: automation.Actions{AddTags: []string{"new"}}})
	if err != nil {
		t.Fatal(err)
	}
	email, name, role := "sup@test.example", "Sam Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(ctx, sup.ID, password); err != nil {
		t.Fatal(err)
	}
	for _, ag := range []agent.Agent{e.agA, sup} {
		b := e.signedIn(ag)
		if _, inbox, _ := b.get("/console/inbox"); strings.Contains(inbox, `href="/console/automations"`) {
			t.Errorf("%s sees the automations entry", ag.Name)
		}
		status, page, _ := b.get("/console/automations")
		if status != http.StatusForbidden || !strings.Contains(page, "Only administrators can manage automation rules.") || strings.Contains(page, "Tag new") ||
			strings.Contains(page, `name="cond_field_0"`) {
			t.Errorf("%s GET: %d", ag.Name, status)
		}
		form := url.Values{"csrf": {b.csrf}, "name": {"Sneaky"}, "on": {"conversation.created"}, "status": {"solved"}}
		if status, _, _ := b.post("/console/automations", form, e.srv.URL); status != http.StatusForbidden {
			t.Errorf("%s create: %d", ag.Name, status)
		}
		off := url.Values{"csrf": {b.csrf}, "enabled": {"0"}}
		if status, _, _ := b.post(fmt.Sprintf("/console/automations/%d/enabled", rule.ID), off, e.srv.URL); status != http.StatusForbidden {
			t.Errorf("%s disable: %d", ag.Name, status)
		}
		del := url.Values{"csrf": {b.csrf}, "confirm": {"1"}}
		if status, _, _ := b.post(fmt.Sprintf("/console/automations/%d/delete", rule.ID), del, e.srv.URL); status != http.StatusForbidden {
			t.Errorf("%s delete: %d", ag.Name, status)
		}
	}
	// The administrator's form post without the session's token is refused too.
	b := e.adminBrowser()
	b.get("/console/automations")
	if status, _, _ := b.post("/console/automations", url.Values{"name": {"No token"}, "on": {"conversation.created"}, "status": {"open"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("create without CSRF token: %d", status)
	}
	if status, _, _ := b.post(fmt.Sprintf("/console/automations/%d/enabled", rule.ID), url.Values{"enabled": {"0"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("disable without CSRF token: %d", status)
	}
	if rules := e.rulesOf(); len(rules) != 1 || rules[0].ID != rule.ID || !rules[0].Enabled {
		t.Errorf("rules after refusals: %+v", rules)
	}
}

// In Chinese the page names triggers, fields and actions in Chinese, and
// a refusal is explained in Chinese.
func TestAutomationsPageChinese(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if _, err := e.app.Rules.Create(ctx, automation.Rule{Enabled: true, Name: "升级", On: automation.OnSLABreach,
		Conditions: []automation.Condition{{Field: "priority", Op: "eq", Value: "high"}},
		Actions:    automation.Actions{Priority: "urgent", Notify: &automation.Notify{Assignee: true, Team: true}}}); err != nil {
		t.Fatal(err)
	}
	b := e.adminBrowser()
	b.get("/console/inbox")
	if status, _, _ := b.post("/console/lang", url.Values{"lang": {"zh"}, "csrf": {b.csrf}, "next": {"/console/automations"}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", status)
	}
	_, page, _ := b.get("/console/automations")
	for _, want := range []string{">自动化</a>", "<h1>自动化规则</h1>", "已启用", ">停用</button>", "SLA 超时时", "优先级 等于 高", "将优先级设为 紧急", "通知 处理人、团队",
		`<option value="idle">会话闲置时</option>`, "创建规则"} {
		if !strings.Contains(page, want) {
			t.Errorf("Chinese page lacks %q", want)
		}
	}
	if strings.Contains(page, "Automation rules") || strings.Contains(page, "The customer replies") {
		t.Error("Chinese page shows English labels")
	}
	status, page, _ := b.post("/console/automations", url.Values{"csrf": {b.csrf}, "name": {"空"}, "on": {"idle"}, "status": {"open"}}, e.srv.URL)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "闲置规则需要 1-2160 小时") {
		t.Errorf("Chinese refusal: %d", status)
	}
}

// An administrator disables a rule from the list: the row says so and
// offers Enable, the service holds it disabled, and Enable turns it back
// on. An unknown rule is 404.
func TestAutomationsToggle(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	rule, err := e.app.Rules.Create(ctx, automation.Rule{Enabled: true, Name: "Tag new", On: automation.OnCreated,
		Actions: automation.Actions{AddTags: []string{"new"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.adminBrowser()
	_, page, _ := b.get("/console/automations")
	row := func(page string) string {
		i := strings.Index(page, fmt.Sprintf(`id="rule-%d"`, rule.ID))
		if i < 0 {
			t.Fatalf("no row for the rule:\n%s", page)
		}
		return page[i : i+strings.Index(page[i:], "</tr>")]
	}
	if r := row(page); !strings.Contains(r, "Enabled") || !strings.Contains(r, ">Disable</button>") {
		t.Errorf("an enabled rule's row: %s", r)
	}
	path := fmt.Sprintf("/console/automations/%d/enabled", rule.ID)
	status, _, h := b.post(path, url.Values{"csrf": {b.csrf}, "enabled": {"0"}}, e.srv.URL)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/console/automations?toggled=disabled") {
		t.Fatalf("disable: %d to %q", status, h.Get("Location"))
	}
	if rules := e.rulesOf(); rules[0].Enabled {
		t.Error("the rule is still enabled after Disable")
	}
	_, page, _ = b.get(h.Get("Location"))
	if r := row(page); !strings.Contains(r, "Disabled") || !strings.Contains(r, ">Enable</button>") || !strings.Contains(r, `class="rule-disabled"`) {
		t.Errorf("a disabled rule's row: %s", r)
	}
	if !strings.Contains(page, "Rule disabled") {
		t.Error("no confirmation after Disable")
	}
	if status, _, _ := b.post(path, url.Values{"csrf": {b.csrf}, "enabled": {"1"}}, e.srv.URL); status != http.StatusSeeOther || !e.rulesOf()[0].Enabled {
		t.Errorf("enable: %d, enabled %v", status, e.rulesOf()[0].Enabled)
	}
	if status, _, _ := b.post("/console/automations/999999/enabled", url.Values{"csrf": {b.csrf}, "enabled": {"0"}}, e.srv.URL); status != http.StatusNotFound {
		t.Errorf("unknown rule: %d, want 404", status)
	}
}

// An administrator opens a rule from the list and finds the form filled
// with it, every condition included; saving replaces the rule and keeps
// it disabled; a refused edit keeps what was typed and changes nothing.
func TestAutomationsEdit(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	conds := []automation.Condition{{Field: "channel", Op: "eq", Value: "email"}, {Field: "language", Op: "eq", Value: "zh"},
		{Field: "category", Op: "in", Value: "fees,deposit"}, {Field: "subject", Op: "contains", Value: "refund"}}
	rule, err := e.app.Rules.Create(ctx, automation.Rule{Enabled: true, Name: "Quiet Chinese mail", On: automation.OnIdle, Position: 3,
		Idle: &automation.Idle{Hours: 12, Statuses: []string{"pending"}}, Conditions: conds,
		Actions: automation.Actions{Status: "solved", AddTags: []string{"quiet", "zh"}, Notify: &automation.Notify{Team: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Rules.SetEnabled(ctx, rule.ID, false); err != nil {
		t.Fatal(err)
	}
	b := e.adminBrowser()
	path := fmt.Sprintf("/console/automations/%d", rule.ID)
	if _, list, _ := b.get("/console/automations"); !strings.Contains(list, `href="`+path+`"`) {
		t.Error("the list does not link the rule to its edit form")
	}
	status, page, _ := b.get(path)
	if status != http.StatusOK {
		t.Fatalf("edit page: %d", status)
	}
	for _, want := range []string{`action="` + path + `"`, `value="Quiet Chinese mail"`, `<option value="idle" selected>`, `value="12"`,
		`name="idle_status" value="pending" checked`, `id="c-value-3" name="cond_value_3" value="refund"`, `<option value="solved" selected>`,
		`value="quiet, zh"`, `name="notify_team" value="1" checked`, "Save rule"} {
		if !strings.Contains(page, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
	if strings.Contains(page, "No rules yet.") || strings.Contains(page, `action="/console/automations"`) {
		t.Error("the edit page shows the list or the new-rule form")
	}

	edited := url.Values{"csrf": {b.csrf}, "name": {"Chinese mail is urgent"}, "on": {"conversation.created"}, "position": {"7"},
		"cond_field_0": {"language"}, "cond_op_0": {"eq"}, "cond_value_0": {"zh"}, "priority": {"urgent"}}
	for name, c := range map[string]struct {
		form   url.Values
		reason string
	}{
		"idle without hours": {url.Values{"on": {"idle"}, "idle_hours": {""}}, "an idle rule needs 1-2160 hours"},
		"order not a number": {url.Values{"position": {"first"}}, "The order and the idle hours are whole numbers."},
		"no action":          {url.Values{"priority": {""}}, "a rule needs an action"},
	} {
		form := url.Values{}
		for k, v := range edited {
			form[k] = v
		}
		for k, v := range c.form {
			form[k] = v
		}
		status, page, _ := b.post(path, form, e.srv.URL)
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, c.reason) || !strings.Contains(page, `value="Chinese mail is urgent"`) ||
			!strings.Contains(page, `action="`+path+`"`) {
			t.Errorf("%s: %d, want 422 with %q and the typed form", name, status, c.reason)
		}
		if got := e.rulesOf()[0]; got.Name != "Quiet Chinese mail" || len(got.Conditions) != 4 {
			t.Errorf("%s changed the rule: %+v", name, got)
		}
	}
	if status, _, _ := b.post(path, url.Values{"name": {"No token"}, "on": {"conversation.created"}, "status": {"open"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("edit without CSRF token: %d", status)
	}
	agentB := e.signedIn(e.agA)
	if status, _, _ := agentB.get(path); status != http.StatusForbidden {
		t.Errorf("an agent opens the edit form: %d", status)
	}
	if status, _, _ := agentB.post(path, url.Values{"csrf": {agentB.csrf}, "name": {"Sneaky"}, "on": {"conversation.created"}, "status": {"open"}},
		e.srv.URL); status != http.StatusForbidden {
		t.Errorf("an agent saves the edit form: %d", status)
	}
	if got := e.rulesOf()[0]; got.Name != "Quiet Chinese mail" {
		t.Errorf("refused edits changed the rule: %+v", got)
	}

	status, _, h := b.post(path, edited, e.srv.URL)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/console/automations?updated=1") {
		t.Fatalf("save: %d to %q", status, h.Get("Location"))
	}
	want := automation.Rule{ID: rule.ID, Name: "Chinese mail is urgent", On: automation.OnCreated, Position: 7, Enabled: false,
		Conditions: []automation.Condition{{Field: "language", Op: "eq", Value: "zh"}}, Actions: automation.Actions{Priority: "urgent"}}
	if diff := cmp.Diff(want, e.rulesOf()[0], cmpopts.IgnoreFields(automation.Rule{}, "CreatedAt"), cmpopts.IgnoreUnexported(automation.Rule{})); diff != "" {
		t.Errorf("stored rule after the edit (-want +got):\n%s", diff)
	}
	if _, page, _ := b.get(h.Get("Location")); !strings.Contains(page, "Rule saved.") {
		t.Error("no confirmation after saving")
	}
	if status, _, _ := b.get("/console/automations/999999"); status != http.StatusNotFound {
		t.Errorf("edit form of an unknown rule: %d, want 404", status)
	}
}
