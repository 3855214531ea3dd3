//go:build browser

package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/automation"
)

// The administrator opens Automations from the navigation, builds an idle
// rule in the form, finds it described in the list, disables and enables
// it, and deletes it: the Delete button does nothing until the
// confirming box is ticked.
func TestAdminKeepsAutomationRulesInTheConsole(t *testing.T) {
	browserPath(t)
	d := startDesk(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	admin, err := d.app.Agents.ByEmail(ctx, "admin@vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	recovery := enrolTOTP(t, d, admin)
	tab := newTab(t, "admin")
	tab.run("sign in with a recovery code",
		chromedp.Navigate(d.direct+"/console/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, admin.Email),
		chromedp.SendKeys(`input[name=password]`, "vigil-demo-2026"),
		chromedp.SendKeys(`input[name=code]`, recovery),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`#inbox-list`),
	)
	tab.run("open the page and fill in an idle rule",
		chromedp.Click(`nav a[href="/console/automations"]`),
		chromedp.WaitVisible(`#new-rule`),
		chromedp.SendKeys(`#r-name`, "Close quiet cases"),
		chromedp.SetValue(`#r-on`, "idle"),
		chromedp.SetValue(`#r-hours`, "72"),
		chromedp.Click(`#new-rule input[name=idle_status][value=pending]`),
		chromedp.SetValue(`#c-field-0`, "channel"),
		chromedp.SetValue(`#c-value-0`, "email"),
		chromedp.SetValue(`#a-status`, "solved"),
		chromedp.Click(`#new-rule input[name=notify_assignee]`),
		chromedp.Click(`#new-rule button[type=submit]`),
		chromedp.WaitVisible(`//p[@role="status" and normalize-space() = "Rule created."]`, chromedp.BySearch),
	)
	rules, err := d.app.Rules.Rules(ctx)
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules: %+v %v", rules, err)
	}
	r := rules[0]
	if r.On != automation.OnIdle || r.Idle == nil || r.Idle.Hours != 72 || strings.Join(r.Idle.Statuses, ",") != "pending" ||
		len(r.Conditions) != 1 || r.Conditions[0] != (automation.Condition{Field: "channel", Op: "eq", Value: "email"}) ||
		r.Actions.Status != "solved" || r.Actions.Notify == nil || !r.Actions.Notify.Assignee {
		t.Fatalf("stored rule: %+v", r)
	}
	var trigger, actions string
	tab.run("read the list", chromedp.Text(`.rule-trigger`, &trigger), chromedp.Text(`.rule-actions`, &actions))
	if trigger != "No update for 72 hours while Pending" || !strings.Contains(actions, "Set status to Solved") || !strings.Contains(actions, "Notify the assignee") {
		t.Errorf("list shows %q / %q", trigger, actions)
	}

	row := `#rule-` + strconv.FormatInt(r.ID, 10)
	tab.run("disable the rule",
		chromedp.Click(row+` form[action$="/enabled"] button`),
		chromedp.WaitVisible(`//p[@role="status" and starts-with(normalize-space(), "Rule disabled")]`, chromedp.BySearch),
	)
	var state string
	tab.run("read its state", chromedp.Text(row+` .rule-state span`, &state))
	if rules, _ := d.app.Rules.Rules(ctx); len(rules) != 1 || rules[0].Enabled || state != "Disabled" {
		t.Fatalf("after Disable: %+v, the row says %q", rules, state)
	}
	tab.run("enable it again",
		chromedp.Click(row+` form[action$="/enabled"] button`),
		chromedp.WaitVisible(`//p[@role="status" and normalize-space() = "Rule enabled."]`, chromedp.BySearch),
	)
	if rules, _ := d.app.Rules.Rules(ctx); len(rules) != 1 || !rules[0].Enabled {
		t.Fatalf("after Enable: %+v", rules)
	}

	tab.run("press Delete without ticking the box", chromedp.Click(row+` form[action$="/delete"] button`), chromedp.Sleep(time.Second))
	var refused bool
	tab.run("look for a refusal", chromedp.Evaluate(`document.querySelector('[role=alert]') !== null`, &refused))
	if rules, _ := d.app.Rules.Rules(ctx); len(rules) != 1 || refused {
		t.Fatalf("Delete without the box ticked was sent (refused by the server: %v)", refused)
	}
	tab.run("tick the box and delete",
		chromedp.Click(row+` input[name=confirm]`),
		chromedp.Click(row+` form[action$="/delete"] button`),
		chromedp.WaitVisible(`//p[@role="status" and normalize-space() = "Rule deleted."]`, chromedp.BySearch),
	)
	if rules, _ := d.app.Rules.Rules(ctx); len(rules) != 0 {
		t.Errorf("after delete: %+v", rules)
	}
}

// enrolTOTP sets up two-factor sign-in for an administrator and returns
// a recovery code to sign in with.
func enrolTOTP(t *testing.T, d *desk, ag agent.Agent) string {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	enrol, err := d.app.Auth.BeginTOTP(ctx, ag.ID, ag.Email)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enrol.Secret, d.app.Now())
	recovery, err := d.app.Auth.ConfirmTOTP(ctx, ag.ID, code)
	if err != nil || len(recovery) == 0 {
		t.Fatalf("confirm TOTP: %v", err)
	}
	return recovery[0]
}
