package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCallback(t *testing.T) {
	load := func(m map[string]string) (Config, error) {
		return Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(m))
	}
	c, err := load(nil)
	if err != nil || c.Callback.Dials() || c.Callback.MinTier != 3 || c.Callback.NoticeLead != 5*time.Minute {
		t.Fatalf("defaults: %+v, %v", c.Callback, err)
	}
	pw := filepath.Join(t.TempDir(), "sip")
	if err := os.WriteFile(pw, []byte("trunk-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = load(map[string]string{"VIGIL_SIP_TRUNK": "pbx.example:5060", "VIGIL_SIP_TRANSPORT": "TCP", "VIGIL_SIP_FROM": "sip:support@desk.example",
		"VIGIL_SIP_USERNAME": "desk", "VIGIL_SIP_PASSWORD_FILE": pw, "VIGIL_CALLBACK_MIN_TIER": "0"})
	if err != nil || !c.Callback.Dials() || c.Callback.Transport != "tcp" || c.Callback.Password != "trunk-secret" ||
		c.Callback.MinTier != 0 {
		t.Fatalf("trunk: %+v, %v", c.Callback, err)
	}
	_, err = load(map[string]string{"VIGIL_SIP_TRUNK": "pbx.example", "VIGIL_SIP_TRANSPORT": "tls", "VIGIL_SIP_FROM": "support",
		"VIGIL_SIP_USERNAME": "desk", "VIGIL_SIP_RING_TIMEOUT": "1s"})
	for _, name := range []string{"VIGIL_SIP_TRUNK", "VIGIL_SIP_TRANSPORT", "VIGIL_SIP_FROM", "VIGIL_SIP_PASSWORD",
		"VIGIL_SIP_RING_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad trunk settings: %v; want %s named", err, name)
		}
	}
}
