package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/kb"
)

// announcementsData is the announcements page: the ones showing, to
// come and recently ended, and a form for a new one or a change.
type announcementsData struct {
	List   []announcementRow
	Form   announcementForm
	Topics []option
	Zones  []option
	Notice string
	// fresh is a new form: its times start now, in the zone last used.
	fresh bool
}

type announcementRow struct {
	ID                int64
	Title, Topic      string
	Starts, Ends      string
	Zone              string
	State, StateLabel string
	HasZH             bool
}

// announcementForm holds the form as typed; times are wall-clock times in
// Zone, in the form a datetime-local input sends.
type announcementForm struct {
	ID               int64
	Topic            string
	TitleEN, TitleZH string
	BodyEN, BodyZH   string
	Starts, Ends     string
	Zone             string
}

// announcementZones are offered in the form's time-zone field, next to
// the zone typed or stored.
var announcementZones = []string{"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "America/New_York"}

const localMinute = "2006-01-02T15:04"

// EndedShown is how long an ended announcement stays on the page.
const EndedShown = 7 * 24 * time.Hour

func (c *Console) announcementsPage(w http.ResponseWriter, r *http.Request, p *page) {
	d := &announcementsData{Notice: kbNotice(r, p), fresh: true}
	c.renderAnnouncements(w, r, p, http.StatusOK, d)
}

// announcementPage is the page with one announcement's form filled in.
func (c *Console) announcementPage(w http.ResponseWriter, r *http.Request, p *page) {
	d := &announcementsData{}
	id, err := pathNumber(r, "id", "kb.announcement_not_found")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if p.Principal.Can(auth.PermKBManage) {
		a, err := c.KB.Announcement(r.Context(), id)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		loc := a.Zone()
		d.Form = announcementForm{ID: a.ID, Topic: a.Topic, TitleEN: a.Titles["en"], TitleZH: a.Titles["zh"], BodyEN: a.Bodies["en"],
			BodyZH: a.Bodies["zh"], Starts: a.StartsAt.In(loc).Format(localMinute), Ends: a.EndsAt.In(loc).Format(localMinute), Zone: loc.String()}
	}
	c.renderAnnouncements(w, r, p, http.StatusOK, d)
}

func (c *Console) renderAnnouncements(w http.ResponseWriter, r *http.Request, p *page, status int, d *announcementsData) {
	p.Title, p.View, p.Data = p.T("announcements.title"), "announcements", d
	if !c.editorPage(w, r, p, "announcements") {
		return
	}
	now := c.Now()
	list, err := c.KB.Announcements(r.Context(), now.Add(-EndedShown))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Form.Zone == "" {
		d.Form.Zone = lastZone(list)
	}
	// The list shows times in the form's zone; one that does not load (a
	// typo being corrected) shows them in UTC, named as such.
	loc, err := kb.LoadZone(d.Form.Zone)
	if err != nil {
		loc = time.UTC
	}
	if d.fresh {
		start := now.In(loc).Truncate(time.Minute)
		d.Form.Starts, d.Form.Ends = start.Format(localMinute), start.Add(2*time.Hour).Format(localMinute)
	}
	for _, a := range list {
		s, e := a.StartsAt.In(loc), a.EndsAt.In(loc)
		row := announcementRow{ID: a.ID, Title: a.Title(p.Lang), Topic: topicLabel(p, a.Topic), Starts: s.Format("2006-01-02 15:04"),
			Ends: e.Format("2006-01-02 15:04"), Zone: loc.String() + " (" + kb.Offset(s) + ")", HasZH: a.Titles["zh"] != "" && a.Bodies["zh"] != ""}
		switch {
		case a.ActiveAt(now):
			row.State = "showing"
		case now.Before(a.StartsAt):
			row.State = "scheduled"
		default:
			row.State = "ended"
		}
		row.StateLabel = p.T("announcements.state." + row.State)
		d.List = append(d.List, row)
	}
	for _, t := range kb.Topics {
		d.Topics = append(d.Topics, option{Value: t, Label: topicLabel(p, t), Selected: t == d.Form.Topic})
	}
	for _, z := range announcementZones {
		d.Zones = append(d.Zones, option{Value: z, Label: z, Selected: z == d.Form.Zone})
	}
	if !slices.Contains(announcementZones, d.Form.Zone) {
		d.Zones = append(d.Zones, option{Value: d.Form.Zone, Label: d.Form.Zone, Selected: true})
	}
	c.render(w, "announcements", status, p)
}

// lastZone is the zone of the announcement changed last: a desk plans its
// windows in one zone, so a new form starts in it. With none, UTC.
func lastZone(list []kb.Announcement) string {
	zone, at := "UTC", time.Time{}
	for _, a := range list {
		if a.UpdatedAt.After(at) && a.TimeZone != "" {
			zone, at = a.TimeZone, a.UpdatedAt
		}
	}
	return zone
}

func topicLabel(p *page, topic string) string {
	if topic == "" {
		return p.T("announcements.topic_general")
	}
	return p.T("category." + topic)
}

func announcementFormOf(r *http.Request) announcementForm {
	return announcementForm{Topic: r.PostFormValue("topic"), TitleEN: r.PostFormValue("title_en"), TitleZH: r.PostFormValue("title_zh"),
		BodyEN: r.PostFormValue("body_en"), BodyZH: r.PostFormValue("body_zh"), Starts: r.PostFormValue("starts_at"), Ends: r.PostFormValue("ends_at"),
		Zone: strings.TrimSpace(r.PostFormValue("time_zone"))}
}

// input reads the form's times as wall-clock times in its zone and
// turns them into instants; a time that does not parse, or that the zone
// skips when its clocks go forward, is the editor's mistake, reported on
// its field.
func (f announcementForm) input() (kb.AnnouncementInput, error) {
	in := kb.AnnouncementInput{Topic: f.Topic, Titles: map[string]string{"en": f.TitleEN, "zh": f.TitleZH},
		Bodies: map[string]string{"en": f.BodyEN, "zh": f.BodyZH}, TimeZone: f.Zone}
	if in.TimeZone == "" { // a form from before the zone field
		in.TimeZone = "UTC"
	}
	loc, err := kb.LoadZone(in.TimeZone)
	if err != nil {
		return in, err
	}
	if in.StartsAt, err = parseLocal("starts_at", "start", f.Starts, loc); err != nil {
		return in, err
	}
	in.EndsAt, err = parseLocal("ends_at", "end", f.Ends, loc)
	return in, err
}

// parseLocal reads a datetime-local value in loc. Go moves a time inside
// a daylight-saving gap to one that exists; formatting it back tells.
func parseLocal(field, what, value string, loc *time.Location) (time.Time, error) {
	value = strings.TrimSpace(value)
	t, err := time.ParseInLocation(localMinute, value, loc)
	if err != nil {
		return t, apperr.Field(field, "kb.time_invalid", "give the %s as a date and time", what)
	}
	if t.Format(localMinute) != value {
		return t, apperr.Field(field, "kb.time_skipped", "%s does not exist in %s: the clocks skip it; give the %s another time",
			strings.Replace(value, "T", " ", 1), loc, what)
	}
	return t, nil
}

// saveAnnouncement creates an announcement, or changes the one in the
// path; bad input shows the form again as typed.
func (c *Console) saveAnnouncement(w http.ResponseWriter, r *http.Request, p *page) {
	d := &announcementsData{Form: announcementFormOf(r)}
	in, err := d.Form.input()
	if err == nil {
		if r.PathValue("id") == "" {
			_, err = c.KB.CreateAnnouncement(r.Context(), p.Agent.ID, in)
		} else if d.Form.ID, err = pathNumber(r, "id", "kb.announcement_not_found"); err == nil {
			_, err = c.KB.UpdateAnnouncement(r.Context(), d.Form.ID, in)
		}
	}
	if err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.renderAnnouncements(w, r, p, status, d) })
		return
	}
	http.Redirect(w, r, "/console/announcements?notice=saved", http.StatusSeeOther)
}

// endAnnouncement takes an announcement down now.
func (c *Console) endAnnouncement(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := pathNumber(r, "id", "kb.announcement_not_found")
	if err == nil {
		_, err = c.KB.EndAnnouncement(r.Context(), id)
	}
	if err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.renderAnnouncements(w, r, p, status, &announcementsData{}) })
		return
	}
	http.Redirect(w, r, "/console/announcements?notice=ended", http.StatusSeeOther)
}
