package kb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Topics an announcement can be about; the bot answers a question on the
// topic with the announcement while it is active. "" is a general notice.
var Topics = []string{"", "deposit", "withdrawal", "trading", "kyc", "account_security", "2fa", "p2p", "futures", "fees"}

// Announcement is a maintenance window or notice shown in the widget and
// on the help center between its start and end.
type Announcement struct {
	ID        int64             `json:"id"`
	Topic     string            `json:"topic"`
	Titles    map[string]string `json:"titles"`
	Bodies    map[string]string `json:"bodies"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	TimeZone  string            `json:"time_zone"`
	CreatedBy int64             `json:"created_by,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Title is the announcement's title in lang, or the English one.
func (a Announcement) Title(lang string) string {
	if t := a.Titles[lang]; t != "" {
		return t
	}
	return a.Titles["en"]
}

// Body is the announcement's text in lang, or the English one.
func (a Announcement) Body(lang string) string {
	if t := a.Bodies[lang]; t != "" {
		return t
	}
	return a.Bodies["en"]
}

// ActiveAt reports whether the announcement shows at t.
func (a Announcement) ActiveAt(t time.Time) bool {
	return !t.Before(a.StartsAt) && t.Before(a.EndsAt)
}

// AnnouncementInput is a new or changed announcement.
type AnnouncementInput struct {
	Topic    string            `json:"topic"`
	Titles   map[string]string `json:"titles"`
	Bodies   map[string]string `json:"bodies"`
	StartsAt time.Time         `json:"starts_at"`
	EndsAt   time.Time         `json:"ends_at"`
	// TimeZone is the IANA zone the times were given in; "" is UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

func (in *AnnouncementInput) validate() error {
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := LoadZone(in.TimeZone); err != nil {
		return err
	}
	if !slices.Contains(Topics, in.Topic) {
		return apperr.Field("topic", "kb.topic_invalid", "must be empty or one of %s", strings.Join(Topics[1:], ", "))
	}
	for _, m := range []map[string]string{in.Titles, in.Bodies} {
		for lang, v := range m {
			if err := checkLang("titles", lang); err != nil {
				return err
			}
			m[lang] = strings.TrimSpace(v)
		}
	}
	switch {
	case in.Titles["en"] == "" || utf8.RuneCountInString(in.Titles["en"]) > 200 || utf8.RuneCountInString(in.Titles["zh"]) > 200:
		return apperr.Field("titles", "kb.title_invalid", "an English title of 1-200 characters is required")
	case in.Bodies["en"] == "" || utf8.RuneCountInString(in.Bodies["en"]) > 2000 || utf8.RuneCountInString(in.Bodies["zh"]) > 2000:
		return apperr.Field("bodies", "kb.body_invalid", "an English text of 1-2000 characters is required")
	case in.StartsAt.IsZero() || in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt):
		return apperr.Field("ends_at", "kb.window_invalid", "starts_at and ends_at are required and the end must follow the start")
	}
	return nil
}

const announcementColumns = `id, topic, title_en, body_en, title_zh, body_zh, starts_at, ends_at, time_zone, created_by, created_at, updated_at`

func scanAnnouncement(row interface{ Scan(...any) error }) (Announcement, error) {
	var a Announcement
	var ten, ben, tzh, bzh string
	var starts, ends, created, updated int64
	var by sql.NullInt64
	err := row.Scan(&a.ID, &a.Topic, &ten, &ben, &tzh, &bzh, &starts, &ends, &a.TimeZone, &by, &created, &updated)
	a.Titles, a.Bodies = map[string]string{"en": ten}, map[string]string{"en": ben}
	if tzh != "" {
		a.Titles["zh"] = tzh
	}
	if bzh != "" {
		a.Bodies["zh"] = bzh
	}
	a.StartsAt, a.EndsAt, a.CreatedBy, a.CreatedAt, a.UpdatedAt = db.Time(starts), db.Time(ends), by.Int64, db.Time(created), db.Time(updated)
	return a, err
}

// CreateAnnouncement adds an announcement.
func (s *Service) CreateAnnouncement(ctx context.Context, agentID int64, in AnnouncementInput) (Announcement, error) {
	if err := in.validate(); err != nil {
		return Announcement{}, err
	}
	var out Announcement
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		a, err := scanAnnouncement(s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO kb_announcements
			(topic, title_en, body_en, title_zh, body_zh, starts_at, ends_at, time_zone, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING `+announcementColumns,
			in.Topic, in.Titles["en"], in.Bodies["en"], in.Titles["zh"], in.Bodies["zh"], db.Millis(in.StartsAt), db.Millis(in.EndsAt),
			in.TimeZone, db.NullID(agentID), now))
		if err != nil {
			return fmt.Errorf("kb: create announcement: %w", err)
		}
		out = a
		return s.audit.Record(ctx, "kb.announcement_create", "kb_announcement", a.ID, map[string]any{"topic": a.Topic,
			"starts_at": a.StartsAt, "ends_at": a.EndsAt, "time_zone": a.TimeZone})
	})
	return out, err
}

// UpdateAnnouncement replaces an announcement's fields (to end it early,
// set ends_at to now).
func (s *Service) UpdateAnnouncement(ctx context.Context, id int64, in AnnouncementInput) (Announcement, error) {
	if err := in.validate(); err != nil {
		return Announcement{}, err
	}
	var out Announcement
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := scanAnnouncement(s.db.Q(ctx).QueryRowContext(ctx, `UPDATE kb_announcements SET topic = $1, title_en = $2, body_en = $3,
			title_zh = $4, body_zh = $5, starts_at = $6, ends_at = $7, time_zone = $8, updated_at = $9 WHERE id = $10 RETURNING `+announcementColumns,
			in.Topic, in.Titles["en"], in.Bodies["en"], in.Titles["zh"], in.Bodies["zh"], db.Millis(in.StartsAt), db.Millis(in.EndsAt),
			in.TimeZone, db.Millis(s.now()), id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("kb.announcement_not_found", "announcement %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("kb: update announcement: %w", err)
		}
		out = a
		return s.audit.Record(ctx, "kb.announcement_update", "kb_announcement", id, map[string]any{"topic": a.Topic,
			"starts_at": a.StartsAt, "ends_at": a.EndsAt, "time_zone": a.TimeZone})
	})
	return out, err
}

// DeleteAnnouncement removes an announcement.
func (s *Service) DeleteAnnouncement(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_announcements WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("kb: delete announcement: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("kb.announcement_not_found", "announcement %d not found", id)
		}
		return s.audit.Record(ctx, "kb.announcement_delete", "kb_announcement", id, nil)
	})
}

// Announcements lists announcements that have not ended by since (all
// when since is zero), soonest start first.
func (s *Service) Announcements(ctx context.Context, since time.Time) ([]Announcement, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+announcementColumns+` FROM kb_announcements WHERE ends_at > $1
		ORDER BY starts_at, id LIMIT 200`, db.Millis(since))
	if err != nil {
		return nil, fmt.Errorf("kb: announcements: %w", err)
	}
	defer rows.Close()
	out := []Announcement{}
	for rows.Next() {
		a, err := scanAnnouncement(rows)
		if err != nil {
			return nil, fmt.Errorf("kb: announcements: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Current lists the announcements that are showing or still to come.
func (s *Service) Current(ctx context.Context) ([]Announcement, error) {
	return s.Announcements(ctx, s.now())
}

// Active returns the announcements showing now.
func (s *Service) Active(ctx context.Context) ([]Announcement, error) {
	now := s.now()
	list, err := s.Announcements(ctx, now)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, a := range list {
		if a.ActiveAt(now) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Announcement returns one announcement.
func (s *Service) Announcement(ctx context.Context, id int64) (Announcement, error) {
	a, err := scanAnnouncement(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+announcementColumns+` FROM kb_announcements WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Announcement{}, apperr.NotFoundf("kb.announcement_not_found", "announcement %d not found", id)
	}
	if err != nil {
		return Announcement{}, fmt.Errorf("kb: announcement: %w", err)
	}
	return a, nil
}

// EndAnnouncement takes an announcement down now: one showing ends now,
// one still to come is cancelled (its window closes before it opens).
// Ending one that has already ended is a conflict.
func (s *Service) EndAnnouncement(ctx context.Context, id int64) (Announcement, error) {
	var out Announcement
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.Announcement(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if !a.EndsAt.After(now) {
			return apperr.Conflictf("kb.announcement_ended", "announcement %d has already ended", id)
		}
		in := AnnouncementInput{Topic: a.Topic, Titles: a.Titles, Bodies: a.Bodies, StartsAt: a.StartsAt, EndsAt: now, TimeZone: a.TimeZone}
		if !now.After(a.StartsAt) {
			in.StartsAt = now.Add(-time.Millisecond)
		}
		out, err = s.UpdateAnnouncement(ctx, id, in)
		return err
	})
	return out, err
}
