package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/automation"
	"vigil/internal/i18n"
	"vigil/internal/macro"
)

// ruleRows is how many condition rows the create form offers; blank rows
// are ignored.
const ruleRows = 3

// automationsData is the automation rules page.
type automationsData struct {
	Rules []ruleView
	Form  ruleFormView
	// FormError is why the service refused the form, shown with it.
	FormError string
	Created   bool
	Deleted   bool
	// Toggled is "enabled" or "disabled" after the button of that name.
	Toggled string
	Updated bool
	// EditID is the rule the form edits; 0 for a new rule, with the list.
	EditID int64
}

// ruleView is one stored rule as people read it.
type ruleView struct {
	ID         int64
	Position   int
	Name       string
	Trigger    string
	Conditions []string
	Actions    []string
	Enabled    bool
}

// ruleFormView is the create form with what was typed in it.
type ruleFormView struct {
	Name, IdleHours, Position, Tags         string
	Triggers, IdleStatuses                  []option
	Status, Priority, Team, Assignee        []option
	Macro, Webhook, NotifyAgents            []option
	Conds                                   []condView
	NotifyAssignee, NotifyTeam, HasWebhooks bool
	// IDs names the teams and agents by id, for conditions on them.
	IDs string
}

type condView struct {
	Fields, Ops []option
	Value       string
}

var ruleOps = []string{"eq", "ne", "in", "contains"}

// choices are the desk's teams, agents, shared macros and webhooks by id,
// for the form's selects and for naming them in stored rules.
type choices struct {
	teams, agents, macros, webhooks []option
}

func (c *Console) automationChoices(ctx context.Context, p *page) (choices, error) {
	var ch choices
	teams, err := c.Agents.Teams(ctx)
	if err != nil {
		return ch, err
	}
	for _, t := range teams {
		ch.teams = append(ch.teams, option{strconv.FormatInt(t.ID, 10), t.Name, false})
	}
	agents, err := c.Agents.List(ctx)
	if err != nil {
		return ch, err
	}
	for _, a := range agents {
		ch.agents = append(ch.agents, option{strconv.FormatInt(a.ID, 10), a.Name, false})
	}
	if c.Macros != nil {
		ms, err := c.Macros.List(ctx, macro.Caller{AgentID: p.Agent.ID, Manage: true})
		if err != nil {
			return ch, err
		}
		for _, m := range ms {
			if m.Scope != macro.Personal { // rules send only team and global macros
				ch.macros = append(ch.macros, option{strconv.FormatInt(m.ID, 10), m.Name, false})
			}
		}
	}
	if c.Webhooks != nil {
		hooks, err := c.Webhooks.List(ctx)
		if err != nil {
			return ch, err
		}
		for _, h := range hooks {
			ch.webhooks = append(ch.webhooks, option{strconv.FormatInt(h.ID, 10), h.URL, false})
		}
	}
	return ch, nil
}

// pick copies options, marking those whose value is among sel.
func pick(opts []option, sel ...string) []option {
	out := make([]option, len(opts))
	for i, o := range opts {
		o.Selected = slices.Contains(sel, o.Value)
		out[i] = o
	}
	return out
}

// labelled turns values into options with catalogue labels (prefix+value).
func labelled(p *page, prefix string, values []string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{v, p.T(prefix + strings.ReplaceAll(v, ".", "_")), false}
	}
	return out
}

// nameOf finds an option's label by value, or says the thing is gone.
func nameOf(p *page, opts []option, id int64) string {
	v := strconv.FormatInt(id, 10)
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return p.T("automation.missing", id)
}

// automationsPage lists the rules in the order they run, with the form
// that adds one.
func (c *Console) automationsPage(w http.ResponseWriter, r *http.Request, p *page) {
	c.renderAutomations(w, r, p, http.StatusOK, url.Values{})
}

func (c *Console) renderAutomations(w http.ResponseWriter, r *http.Request, p *page, status int, form url.Values) {
	c.renderAutomationsForm(w, r, p, status, form, "", 0)
}

// renderAutomationsForm shows the page with the form refused for reason;
// with editID it shows only the form, editing that rule.
func (c *Console) renderAutomationsForm(w http.ResponseWriter, r *http.Request, p *page, status int, form url.Values, reason string, editID int64) {
	p.Title, p.View = p.T("automation.title"), "automations"
	if editID != 0 {
		p.Title = p.T("automation.edit_title")
	}
	if !c.admit(w, r, p, "automations", p.Principal.Can(auth.PermSettingsManage), "automation.admins_only") {
		return
	}
	ch, err := c.automationChoices(r.Context(), p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := &automationsData{Form: formView(p, ch, form), FormError: reason, EditID: editID}
	if editID != 0 {
		p.Data = d
		c.render(w, "automations", status, p)
		return
	}
	rules, err := c.Automation.Rules(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	d.Created, d.Deleted, d.Updated = q.Get("created") == "1" && p.Error == "", q.Get("deleted") == "1" && p.Error == "",
		q.Get("updated") == "1" && p.Error == ""
	if t := r.URL.Query().Get("toggled"); (t == "enabled" || t == "disabled") && p.Error == "" {
		d.Toggled = t
	}
	for _, rule := range rules {
		d.Rules = append(d.Rules, describeRule(p, ch, rule))
	}
	p.Data = d
	c.render(w, "automations", status, p)
}

// createAutomation takes the form to the automation service; a refusal
// shows its reason above the form, which keeps what was typed.
func (c *Console) createAutomation(w http.ResponseWriter, r *http.Request, p *page) {
	if !p.Principal.Can(auth.PermSettingsManage) {
		c.renderAutomations(w, r, p, http.StatusForbidden, nil)
		return
	}
	if !c.numbersOK(w, r, p, 0) {
		return
	}
	if _, err := c.Automation.Create(r.Context(), ruleFromForm(r.PostForm)); err != nil {
		c.refuseForm(w, r, p, err, 0)
		return
	}
	http.Redirect(w, r, "/console/automations?created=1", http.StatusSeeOther)
}

// numbersOK refuses, with the form kept, an order or idle hours that are
// not whole numbers.
func (c *Console) numbersOK(w http.ResponseWriter, r *http.Request, p *page, editID int64) bool {
	for _, k := range []string{"position", "idle_hours"} {
		if v := strings.TrimSpace(r.PostForm.Get(k)); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				c.renderAutomationsForm(w, r, p, http.StatusUnprocessableEntity, r.PostForm, p.T("automation.number_invalid"), editID)
				return false
			}
		}
	}
	return true
}

// refuseForm shows the service's reason above the form, which keeps what
// was typed.
func (c *Console) refuseForm(w http.ResponseWriter, r *http.Request, p *page, err error, editID int64) {
	status, msg, ok := api.Explain(err, p.Lang)
	if !ok || status == http.StatusNotFound {
		c.refuseList(w, r, p, err)
		return
	}
	c.renderAutomationsForm(w, r, p, status, r.PostForm, msg, editID)
}

// refuseList shows the list with the reason err was refused.
func (c *Console) refuseList(w http.ResponseWriter, r *http.Request, p *page, err error) {
	status, msg, ok := api.Explain(err, p.Lang)
	if !ok {
		c.fail(w, r, err)
		return
	}
	p.Error = msg
	c.renderAutomations(w, r, p, status, nil)
}

// ruleRequest admits an administrator's request about one rule and
// returns the rule's id; otherwise it has answered the request.
func (c *Console) ruleRequest(w http.ResponseWriter, r *http.Request, p *page) (int64, bool) {
	if !p.Principal.Can(auth.PermSettingsManage) {
		c.renderAutomations(w, r, p, http.StatusForbidden, nil)
		return 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return 0, false
	}
	return id, true
}

// editAutomationPage shows the form filled with a stored rule.
func (c *Console) editAutomationPage(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := c.ruleRequest(w, r, p)
	if !ok {
		return
	}
	rule, err := c.Automation.Rule(r.Context(), id)
	if err != nil {
		c.refuseForm(w, r, p, err, id)
		return
	}
	c.renderAutomationsForm(w, r, p, http.StatusOK, formOfRule(rule), "", id)
}

// updateAutomation saves the edit form over the rule; a refusal keeps
// the form as typed and changes nothing.
func (c *Console) updateAutomation(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := c.ruleRequest(w, r, p)
	if !ok {
		return
	}
	if !c.numbersOK(w, r, p, id) {
		return
	}
	if _, err := c.Automation.Update(r.Context(), id, ruleFromForm(r.PostForm)); err != nil {
		c.refuseForm(w, r, p, err, id)
		return
	}
	http.Redirect(w, r, "/console/automations?updated=1#rule-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// deleteAutomation removes a rule once the box saying so is ticked.
func (c *Console) deleteAutomation(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := c.ruleRequest(w, r, p)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "1" {
		p.Error = p.T("automation.confirm_needed")
		c.renderAutomations(w, r, p, http.StatusBadRequest, nil)
		return
	}
	if err := c.Automation.Delete(r.Context(), id); err != nil {
		c.refuseList(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/console/automations?deleted=1", http.StatusSeeOther)
}

// toggleAutomation enables or disables a rule: the form's enabled is 1
// or 0.
func (c *Console) toggleAutomation(w http.ResponseWriter, r *http.Request, p *page) {
	id, ok := c.ruleRequest(w, r, p)
	if !ok {
		return
	}
	enabled := r.PostFormValue("enabled") == "1"
	if _, err := c.Automation.SetEnabled(r.Context(), id, enabled); err != nil {
		c.refuseList(w, r, p, err)
		return
	}
	state := "disabled"
	if enabled {
		state = "enabled"
	}
	http.Redirect(w, r, "/console/automations?toggled="+state+"#rule-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// ruleFromForm reads the create form (createAutomation has refused an
// order or idle hours that are not numbers). Other values that do not
// parse are passed on as the zero value, so the service's validation
// explains them;
// a condition row with neither field nor value is left out.
func ruleFromForm(f url.Values) automation.Rule {
	rule := automation.Rule{Name: f.Get("name"), On: f.Get("on"), Conditions: []automation.Condition{}, Enabled: true}
	rule.Position, _ = strconv.Atoi(strings.TrimSpace(f.Get("position")))
	if rule.On == automation.OnIdle {
		hours, _ := strconv.Atoi(strings.TrimSpace(f.Get("idle_hours")))
		rule.Idle = &automation.Idle{Hours: hours, Statuses: f["idle_status"]}
	}
	for i := range condRows(f) {
		n := strconv.Itoa(i)
		field, value := f.Get("cond_field_"+n), strings.TrimSpace(f.Get("cond_value_"+n))
		if field == "" && value == "" {
			continue
		}
		rule.Conditions = append(rule.Conditions, automation.Condition{Field: field, Op: f.Get("cond_op_" + n), Value: value})
	}
	a := &rule.Actions
	a.Status, a.Priority = f.Get("status"), f.Get("priority")
	a.TeamID, _ = strconv.ParseInt(f.Get("team_id"), 10, 64)
	a.AssigneeID, _ = strconv.ParseInt(f.Get("assignee_id"), 10, 64)
	a.MacroID, _ = strconv.ParseInt(f.Get("macro_id"), 10, 64)
	a.WebhookID, _ = strconv.ParseInt(f.Get("webhook_id"), 10, 64)
	for _, t := range strings.Split(f.Get("add_tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			a.AddTags = append(a.AddTags, t)
		}
	}
	n := &automation.Notify{Assignee: f.Get("notify_assignee") == "1", Team: f.Get("notify_team") == "1"}
	for _, v := range f["notify_agent"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			n.AgentIDs = append(n.AgentIDs, id)
		}
	}
	if n.Assignee || n.Team || len(n.AgentIDs) > 0 {
		a.Notify = n
	}
	return rule
}

// condRows is how many condition rows the form has: ruleRows, or more
// when an edited rule has more conditions.
func condRows(f url.Values) int {
	n := ruleRows
	for n < 100 && (f.Has("cond_field_"+strconv.Itoa(n)) || f.Has("cond_value_"+strconv.Itoa(n))) {
		n++
	}
	return n
}

// formOfRule writes a stored rule as the form that would make it.
func formOfRule(r automation.Rule) url.Values {
	f := url.Values{"name": {r.Name}, "on": {r.On}, "position": {strconv.Itoa(r.Position)}}
	if r.Idle != nil {
		f.Set("idle_hours", strconv.Itoa(r.Idle.Hours))
		f["idle_status"] = slices.Clone(r.Idle.Statuses)
	}
	for i, cond := range r.Conditions {
		n := strconv.Itoa(i)
		f.Set("cond_field_"+n, cond.Field)
		f.Set("cond_op_"+n, cond.Op)
		f.Set("cond_value_"+n, cond.Value)
	}
	a := r.Actions
	f.Set("status", a.Status)
	f.Set("priority", a.Priority)
	for k, id := range map[string]int64{"team_id": a.TeamID, "assignee_id": a.AssigneeID, "macro_id": a.MacroID, "webhook_id": a.WebhookID} {
		if id != 0 {
			f.Set(k, strconv.FormatInt(id, 10))
		}
	}
	f.Set("add_tags", strings.Join(a.AddTags, ", "))
	if n := a.Notify; n != nil {
		if n.Assignee {
			f.Set("notify_assignee", "1")
		}
		if n.Team {
			f.Set("notify_team", "1")
		}
		for _, id := range n.AgentIDs {
			f.Add("notify_agent", strconv.FormatInt(id, 10))
		}
	}
	return f
}

// idList writes options as "name (id)" in the page's language.
func idList(opts []option, p *page) string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Label + " (" + o.Value + ")"
	}
	return strings.Join(out, p.T("automation.sep"))
}

// formView fills the create form, selecting what f holds.
func formView(p *page, ch choices, f url.Values) ruleFormView {
	v := ruleFormView{Name: f.Get("name"), IdleHours: f.Get("idle_hours"), Position: f.Get("position"), Tags: f.Get("add_tags"),
		Triggers:       pick(labelled(p, "automation.on.", automation.Triggers), f.Get("on")),
		IdleStatuses:   pick(labelled(p, "status.", automation.IdleStatuses), f["idle_status"]...),
		Status:         pick(labelled(p, "status.", []string{"open", "pending", "on_hold", "solved"}), f.Get("status")),
		Priority:       pick(labelled(p, "priority.", []string{"low", "normal", "high", "urgent"}), f.Get("priority")),
		Team:           pick(ch.teams, f.Get("team_id")),
		Assignee:       pick(ch.agents, f.Get("assignee_id")),
		Macro:          pick(ch.macros, f.Get("macro_id")),
		Webhook:        pick(ch.webhooks, f.Get("webhook_id")),
		NotifyAgents:   pick(ch.agents, f["notify_agent"]...),
		NotifyAssignee: f.Get("notify_assignee") == "1", NotifyTeam: f.Get("notify_team") == "1",
		HasWebhooks: len(ch.webhooks) > 0, IDs: p.T("automation.ids_hint", idList(ch.teams, p), idList(ch.agents, p)),
	}
	if v.IdleHours == "" {
		v.IdleHours = "24"
	}
	for i := range condRows(f) {
		n := strconv.Itoa(i)
		v.Conds = append(v.Conds, condView{Fields: pick(labelled(p, "automation.field.", automation.Fields), f.Get("cond_field_"+n)),
			Ops: pick(labelled(p, "automation.op.", ruleOps), f.Get("cond_op_"+n)), Value: f.Get("cond_value_" + n)})
	}
	return v
}

// describeRule writes a stored rule in words: its trigger, each condition
// and each action, with ids replaced by names.
func describeRule(p *page, ch choices, r automation.Rule) ruleView {
	v := ruleView{ID: r.ID, Position: r.Position, Name: r.Name, Enabled: r.Enabled, Trigger: p.T("automation.on." + strings.ReplaceAll(r.On, ".", "_"))}
	if r.Idle != nil {
		sts := make([]string, len(r.Idle.Statuses))
		for i, st := range r.Idle.Statuses {
			sts[i] = p.T("status." + st)
		}
		v.Trigger = p.T("automation.idle_for", r.Idle.Hours, strings.Join(sts, p.T("automation.sep")))
	}
	for _, cond := range r.Conditions {
		vals := []string{cond.Value}
		if cond.Op == "in" {
			vals = strings.Split(cond.Value, ",")
		}
		for i, val := range vals {
			vals[i] = condValue(p, ch, cond.Field, strings.TrimSpace(val))
		}
		v.Conditions = append(v.Conditions, p.T("automation.field."+cond.Field)+" "+p.T("automation.op."+cond.Op)+" "+strings.Join(vals, p.T("automation.sep")))
	}
	a := r.Actions
	if a.MacroID != 0 {
		v.Actions = append(v.Actions, p.T("automation.do.macro", nameOf(p, ch.macros, a.MacroID)))
	}
	if a.Status != "" {
		v.Actions = append(v.Actions, p.T("automation.do.status", p.T("status."+a.Status)))
	}
	if a.Priority != "" {
		v.Actions = append(v.Actions, p.T("automation.do.priority", p.T("priority."+a.Priority)))
	}
	if a.TeamID != 0 {
		v.Actions = append(v.Actions, p.T("automation.do.team", nameOf(p, ch.teams, a.TeamID)))
	}
	if a.AssigneeID != 0 {
		v.Actions = append(v.Actions, p.T("automation.do.assignee", nameOf(p, ch.agents, a.AssigneeID)))
	}
	if len(a.AddTags) > 0 {
		v.Actions = append(v.Actions, p.T("automation.do.tags", strings.Join(a.AddTags, ", ")))
	}
	if n := a.Notify; n != nil {
		var who []string
		if n.Assignee {
			who = append(who, p.T("automation.notify_assignee"))
		}
		if n.Team {
			who = append(who, p.T("automation.notify_team"))
		}
		for _, id := range n.AgentIDs {
			who = append(who, nameOf(p, ch.agents, id))
		}
		v.Actions = append(v.Actions, p.T("automation.do.notify", strings.Join(who, p.T("automation.sep"))))
	}
	if a.WebhookID != 0 {
		v.Actions = append(v.Actions, p.T("automation.do.webhook", nameOf(p, ch.webhooks, a.WebhookID)))
	}
	return v
}

// condValue names a condition's value where it is an id, a status or a
// priority; other values show as typed, quoted.
func condValue(p *page, ch choices, field, val string) string {
	id, err := strconv.ParseInt(val, 10, 64)
	switch {
	case field == "team_id" && err == nil && id == 0, field == "assignee_id" && err == nil && id == 0:
		return p.T("automation.nobody")
	case field == "team_id" && err == nil:
		return nameOf(p, ch.teams, id)
	case field == "assignee_id" && err == nil:
		return nameOf(p, ch.agents, id)
	case field == "status" && i18n.Has("status."+val), field == "priority" && i18n.Has("priority."+val):
		return p.T(field + "." + val)
	}
	return "“" + val + "”"
}
