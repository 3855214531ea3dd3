package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestComplianceSettings(t *testing.T) {
	c, err := Load(nil, nil, env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Compliance.ComplaintAck.BusinessDays != 2 || c.Compliance.ComplaintFinal.Duration != 56*24*time.Hour ||
		c.Compliance.RetainMessages != 0 || c.Compliance.RetainRecordings != 90*24*time.Hour || c.Compliance.RetentionInterval != 6*time.Hour {
		t.Fatalf("defaults: %+v", c.Compliance)
	}
	c, err = Load(nil, nil, env(map[string]string{"VIGIL_COMPLAINT_ACK": "3bd", "VIGIL_COMPLAINT_FINAL": "15bd",
		"VIGIL_COMPLAINT_TZ": "Europe/London", "VIGIL_COMPLAINT_HOLIDAYS": "2026-12-25,2026-12-28", "VIGIL_RETENTION_MESSAGES": "5y", "VIGIL_RETENTION_ATTACHMENTS": "90d",
		"VIGIL_RETENTION_AUDIT": "7y", "VIGIL_RETENTION_RECORDINGS": "forever", "VIGIL_SECRET_KEY": "0123456789abcdef0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	cc := c.Compliance
	if cc.ComplaintAck.BusinessDays != 3 || cc.ComplaintFinal.BusinessDays != 15 || cc.ComplaintCalendar.TZ != "Europe/London" ||
		!slices.Equal(cc.ComplaintCalendar.Holidays, []string{"2026-12-25", "2026-12-28"}) ||
		cc.RetainMessages != 5*365*24*time.Hour || cc.RetainAttachments != 90*24*time.Hour || cc.RetainAudit != 7*365*24*time.Hour || cc.RetainRecordings != 0 {
		t.Fatalf("set: %+v", cc)
	}
	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"VIGIL_COMPLAINT_ACK": "soon"}, "VIGIL_COMPLAINT_ACK"},
		{map[string]string{"VIGIL_RETENTION_MESSAGES": "2bd"}, "VIGIL_RETENTION_MESSAGES"},
		{map[string]string{"VIGIL_COMPLAINT_TZ": "Mars/Base"}, "VIGIL_COMPLAINT_TZ"},
		{map[string]string{"VIGIL_COMPLAINT_HOLIDAYS": "2026-12-25,Boxing Day"}, "VIGIL_COMPLAINT_HOLIDAYS"},
		{map[string]string{"VIGIL_COMPLAINT_ACK": "10w", "VIGIL_COMPLAINT_FINAL": "8w"}, "VIGIL_COMPLAINT_FINAL"},
		{map[string]string{"VIGIL_RETENTION_AUDIT": "7y"}, "VIGIL_SECRET_KEY"},
	} {
		if _, err := Load(nil, nil, env(bad.env)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error naming %s", bad.env, err, bad.want)
		}
	}
}
