package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The SMS channel needs its token, a sending number and a public URL for
// its signed webhooks; the token can come from a file and never shows in
// an error.
func TestSMSSettings(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"VIGIL_SMS_ACCOUNT_SID": "AC1", "VIGIL_SMS_FROM": "+85230001234", "VIGIL_PUBLIC_URL": "https://desk.example"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tt := range []struct {
		env     map[string]string
		wantErr string
	}{
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN_FILE": tokenFile})},
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN": "t", "VIGIL_SMS_FROM": "", "VIGIL_SMS_MESSAGING_SERVICE_SID": "MG1"})},
		{env: with(nil), wantErr: "VIGIL_SMS_AUTH_TOKEN"},
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN": "t", "VIGIL_SMS_FROM": "85230001234"}), wantErr: "VIGIL_SMS_FROM"},
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN": "t", "VIGIL_PUBLIC_URL": ""}), wantErr: "VIGIL_PUBLIC_URL"},
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN": "t", "VIGIL_OUTREACH_RATES": "sms=600, email=6000"})},
		{env: with(map[string]string{"VIGIL_SMS_AUTH_TOKEN": "t", "VIGIL_OUTREACH_RATES": "sms=fast"}), wantErr: "VIGIL_OUTREACH_RATES"},
	} {
		c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(tt.env))
		if tt.wantErr == "" && (err != nil || !c.SMS.Enabled() || c.SMS.API != "https://api.twilio.com") {
			t.Errorf("%v: %v, %+v", tt.env, err, c.SMS.API)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%v: err = %v, want %s", tt.env, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the token shows in an error: %v", err)
		}
	}
	c, _ := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(with(map[string]string{"VIGIL_SMS_AUTH_TOKEN_FILE": tokenFile,
		"VIGIL_OUTREACH_RATES": "sms=600, email=6000"})))
	if c.SMS.AuthToken != "s3cret-token" || c.OutreachRates["sms"] != 600 || c.OutreachRates["email"] != 6000 {
		t.Errorf("token %q, rates %v", c.SMS.AuthToken, c.OutreachRates)
	}
}
