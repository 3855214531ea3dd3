package web

import (
	"net/http"
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
	Notice string
}

type announcementRow struct {
	ID                int64
	Title, Topic      string
	Starts, Ends      string
	State, StateLabel string
	HasZH             bool
}

// announcementForm holds the form as typed; times are UTC, in the form a
// datetime-local input sends.
type announcementForm struct {
	ID               int64
	Topic            string
	TitleEN, TitleZH string
	BodyEN, BodyZH   string
	Starts, Ends     string
}

const localMinute = "2006-01-02T15:04"

// EndedShown is how long an ended announcement stays on the page.
const EndedShown = 7 * 24 * time.Hour

func (c *Console) announcementsPage(w http.ResponseWriter, r *http.Request, p *page) {
	now := c.Now().UTC().Truncate(time.Minute)
	d := &announcementsData{Notice: kbNotice(r, p), Form: announcementForm{Starts: now.Format(localMinute), Ends: now.Add(2 * time.Hour).Format(localMinute)}}
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
		d.Form = announcementForm{ID: a.ID, Topic: a.Topic, TitleEN: a.Titles["en"], TitleZH: a.Titles["zh"], BodyEN: a.Bodies["en"],
			BodyZH: a.Bodies["zh"], Starts: a.StartsAt.UTC().Format(localMinute), Ends: a.EndsAt.UTC().Format(localMinute)}
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
	for _, a := range list {
		row := announcementRow{ID: a.ID, Title: a.Title(p.Lang), Topic: topicLabel(p, a.Topic), Starts: a.StartsAt.UTC().Format("2006-01-02 15:04 UTC"),
			Ends: a.EndsAt.UTC().Format("2006-01-02 15:04 UTC"), HasZH: a.Titles["zh"] != "" && a.Bodies["zh"] != ""}
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
	c.render(w, "announcements", status, p)
}

func topicLabel(p *page, topic string) string {
	if topic == "" {
		return p.T("announcements.topic_general")
	}
	return p.T("category." + topic)
}

func announcementFormOf(r *http.Request) announcementForm {
	return announcementForm{Topic: r.PostFormValue("topic"), TitleEN: r.PostFormValue("title_en"), TitleZH: r.PostFormValue("title_zh"),
		BodyEN: r.PostFormValue("body_en"), BodyZH: r.PostFormValue("body_zh"), Starts: r.PostFormValue("starts_at"), Ends: r.PostFormValue("ends_at")}
}

// input reads the form's UTC times; a time that does not parse is the
// editor's mistake, reported on its field.
func (f announcementForm) input() (kb.AnnouncementInput, error) {
	in := kb.AnnouncementInput{Topic: f.Topic, Titles: map[string]string{"en": f.TitleEN, "zh": f.TitleZH},
		Bodies: map[string]string{"en": f.BodyEN, "zh": f.BodyZH}}
	var err error
	if in.StartsAt, err = time.ParseInLocation(localMinute, strings.TrimSpace(f.Starts), time.UTC); err != nil {
		return in, apperr.Field("starts_at", "kb.time_invalid", "give the start as a date and time (UTC)")
	}
	if in.EndsAt, err = time.ParseInLocation(localMinute, strings.TrimSpace(f.Ends), time.UTC); err != nil {
		return in, apperr.Field("ends_at", "kb.time_invalid", "give the end as a date and time (UTC)")
	}
	return in, nil
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
