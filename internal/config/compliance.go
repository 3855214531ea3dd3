package config

import (
	"fmt"
	"strings"
	"time"

	"vigil/internal/sla"
)

// Compliance configures complaint clocks and retention.
type Compliance struct {
	// ComplaintAck (VIGIL_COMPLAINT_ACK, default 2bd) and ComplaintFinal
	// (VIGIL_COMPLAINT_FINAL, default 8w) are the periods to acknowledge a
	// complaint and to send the final response; business days count in
	// ComplaintCalendar: its zone (VIGIL_COMPLAINT_TZ, default UTC) and
	// its public holidays (VIGIL_COMPLAINT_HOLIDAYS, dates separated by
	// commas).
	ComplaintAck      sla.Period
	ComplaintFinal    sla.Period
	ComplaintCalendar sla.Calendar
	// Retain* (VIGIL_RETENTION_MESSAGES, _ATTACHMENTS, _RECORDINGS,
	// _AUDIT) keep each kind of data for that long; zero keeps it for
	// ever, the default for all but call recordings (90 days). RetentionInterval (VIGIL_RETENTION_INTERVAL,
	// default 6h) is how often retention runs.
	RetainMessages    time.Duration
	RetainAttachments time.Duration
	RetainRecordings  time.Duration
	RetainAudit       time.Duration
	RetentionInterval time.Duration
}

func defaultCompliance() Compliance {
	return Compliance{ComplaintAck: sla.Period{BusinessDays: 2}, ComplaintFinal: sla.Period{Duration: 8 * 7 * 24 * time.Hour},
		ComplaintCalendar: sla.Calendar{Name: "complaints", TZ: "UTC"}, RetentionInterval: 6 * time.Hour,
		RetainRecordings: 90 * 24 * time.Hour}
}

func (c *Compliance) load(getenv func(string) string) []error {
	var errs []error
	period := func(dst *sla.Period, name string) {
		if v := getenv(name); v != "" {
			p, err := sla.ParsePeriod(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = p
		}
	}
	keep := func(dst *time.Duration, name string) {
		v := getenv(name)
		if v == "forever" {
			*dst = 0
		}
		if v == "" || v == "forever" {
			return
		}
		p, err := sla.ParsePeriod(v)
		if err != nil || p.BusinessDays > 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a retention period (e.g. 5y, 90d, forever)", name, v))
			return
		}
		*dst = p.Duration
	}
	period(&c.ComplaintAck, "VIGIL_COMPLAINT_ACK")
	period(&c.ComplaintFinal, "VIGIL_COMPLAINT_FINAL")
	cal := &c.ComplaintCalendar
	if v := getenv("VIGIL_COMPLAINT_TZ"); v != "" {
		if _, err := time.LoadLocation(v); err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_COMPLAINT_TZ: %q is not an IANA time zone", v))
		} else {
			cal.TZ = v
		}
	}
	cal.Holidays = strings.FieldsFunc(getenv("VIGIL_COMPLAINT_HOLIDAYS"), func(r rune) bool { return r == ',' || r == ' ' })
	if err := cal.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("VIGIL_COMPLAINT_HOLIDAYS: %w", err))
	}
	keep(&c.RetainMessages, "VIGIL_RETENTION_MESSAGES")
	keep(&c.RetainAttachments, "VIGIL_RETENTION_ATTACHMENTS")
	keep(&c.RetainRecordings, "VIGIL_RETENTION_RECORDINGS")
	keep(&c.RetainAudit, "VIGIL_RETENTION_AUDIT")
	keep(&c.RetentionInterval, "VIGIL_RETENTION_INTERVAL")
	if c.RetentionInterval < time.Minute {
		errs = append(errs, fmt.Errorf("VIGIL_RETENTION_INTERVAL: must be at least 1m"))
	}
	if c.ComplaintFinal.End(time.Time{}, sla.Calendar{}).Before(c.ComplaintAck.End(time.Time{}, sla.Calendar{})) {
		errs = append(errs, fmt.Errorf("VIGIL_COMPLAINT_FINAL: must not end before VIGIL_COMPLAINT_ACK"))
	}
	return errs
}
