package web

import (
	"net/http"
	"strings"

	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/channel/settings"
)

// settingsData is the channel settings page.
type settingsData struct {
	Groups  []settingsGroup
	Saved   bool
	Restart bool
}

type settingsGroup struct {
	Title string
	Rows  []settingsRow
}

type settingsRow struct {
	settings.Setting
	Label   string
	FromEnv bool
}

// channelSettingsPage lets administrators keep channel addresses and
// credentials; secrets show masked and are replaced, never read back.
func (c *Console) channelSettingsPage(w http.ResponseWriter, r *http.Request, p *page) {
	c.renderSettings(w, r, p, http.StatusOK)
}

func (c *Console) renderSettings(w http.ResponseWriter, r *http.Request, p *page, status int) {
	p.Title, p.View = p.T("settings.title"), "settings"
	if !c.admit(w, r, p, "settings", p.Principal.Can(auth.PermSettingsManage), "settings.admins_only") {
		return
	}
	cs, err := c.API.ChannelSettings(r.Context(), p.Principal)
	if err != nil {
		c.explain(w, r, p, err)
		return
	}
	d := &settingsData{Saved: r.URL.Query().Get("saved") == "1" && p.Error == "", Restart: cs.RestartRequired}
	groups := map[string]int{}
	for _, s := range cs.Data {
		g, _, _ := strings.Cut(s.Name, ".")
		i, ok := groups[g]
		if !ok {
			i = len(d.Groups)
			groups[g] = i
			d.Groups = append(d.Groups, settingsGroup{Title: p.T("settings.group." + g)})
		}
		d.Groups[i].Rows = append(d.Groups[i].Rows, settingsRow{Setting: s, Label: p.T("settings.key." + s.Name), FromEnv: s.Source == "environment"})
	}
	p.Data = d
	c.render(w, "settings", status, p)
}

// saveChannelSettings takes the form: a secret typed in replaces the
// stored one (left blank it stays), "remove" deletes it; other fields are
// saved when they changed.
func (c *Console) saveChannelSettings(w http.ResponseWriter, r *http.Request, p *page) {
	if !p.Principal.Can(auth.PermSettingsManage) {
		c.renderSettings(w, r, p, http.StatusForbidden)
		return
	}
	current, err := c.API.ChannelSettings(r.Context(), p.Principal)
	if err != nil {
		c.explain(w, r, p, err)
		return
	}
	values := map[string]string{}
	for _, s := range current.Data {
		if s.Source == "environment" {
			continue
		}
		v, sent := r.PostForm[s.Name]
		switch {
		case s.Secret && r.PostFormValue(s.Name+".remove") == "1":
			values[s.Name] = ""
		case s.Secret && sent && v[0] != "":
			values[s.Name] = v[0]
		case !s.Secret && sent && v[0] != s.Value:
			values[s.Name] = v[0]
		}
	}
	if len(values) == 0 {
		http.Redirect(w, r, "/console/settings/channels", http.StatusSeeOther)
		return
	}
	if _, err := c.API.SaveChannelSettings(r.Context(), p.Principal, values); err != nil {
		status, msg, ok := api.Explain(err, p.Lang)
		if !ok {
			c.fail(w, r, err)
			return
		}
		p.Error = msg
		c.renderSettings(w, r, p, status)
		return
	}
	http.Redirect(w, r, "/console/settings/channels?saved=1", http.StatusSeeOther)
}

// explain shows a known error on the page, or fails.
func (c *Console) explain(w http.ResponseWriter, r *http.Request, p *page, err error) {
	status, msg, ok := api.Explain(err, p.Lang)
	if !ok {
		c.fail(w, r, err)
		return
	}
	p.Error = msg
	c.render(w, "settings", status, p)
}
