package config

import (
	"flag"
	"strings"
	"testing"
)

func TestDiscord(t *testing.T) {
	c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(map[string]string{
		"VIGIL_DISCORD_TOKEN": "bot-token", "VIGIL_DISCORD_CHANNEL_ID": "1200000000000000001"}))
	if err != nil || !c.Discord.Enabled() || c.Discord.ChannelID != "1200000000000000001" || c.Discord.API != "https://discord.com/api/v10" {
		t.Fatalf("discord: %+v, %v", c.Discord, err)
	}
	_, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(map[string]string{
		"VIGIL_DISCORD_TOKEN": "bot-token", "VIGIL_DISCORD_CHANNEL_ID": "#support", "VIGIL_DISCORD_API_URL": "ftp://x"}))
	if err == nil || !strings.Contains(err.Error(), "VIGIL_DISCORD_CHANNEL_ID") || !strings.Contains(err.Error(), "VIGIL_DISCORD_API_URL") {
		t.Fatalf("bad discord settings: %v", err)
	}
	if c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(nil)); err != nil || c.Discord.Enabled() {
		t.Fatalf("discord on without a token: %+v, %v", c.Discord, err)
	}
}
