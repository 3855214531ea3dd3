package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Discord configures the Discord bot. It is off until Token is set.
type Discord struct {
	Token string // VIGIL_DISCORD_TOKEN(_FILE): the bot token from the developer portal
	// ChannelID (VIGIL_DISCORD_CHANNEL_ID) is the support channel whose
	// posts become threads; empty: direct messages only.
	ChannelID string
	API       string // VIGIL_DISCORD_API_URL: the REST base URL
}

// Enabled reports whether the Discord channel is configured.
func (d *Discord) Enabled() bool { return d.Token != "" }

func (d *Discord) load(getenv func(string) string) []error {
	var errs []error
	d.Token = getenv("VIGIL_DISCORD_TOKEN")
	if path := getenv("VIGIL_DISCORD_TOKEN_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_DISCORD_TOKEN_FILE: %w", err))
		}
		d.Token = strings.TrimSpace(string(b))
	}
	d.ChannelID = getenv("VIGIL_DISCORD_CHANNEL_ID")
	d.API = getenv("VIGIL_DISCORD_API_URL")
	if d.API == "" {
		d.API = "https://discord.com/api/v10"
	}
	return errs
}

var snowflake = regexp.MustCompile(`^[0-9]{5,25}$`)

func (d *Discord) validate() []error {
	if !d.Enabled() {
		return nil
	}
	var errs []error
	if d.ChannelID != "" && !snowflake.MatchString(d.ChannelID) {
		errs = append(errs, fmt.Errorf("VIGIL_DISCORD_CHANNEL_ID: %q is not a Discord channel id", d.ChannelID))
	}
	if u, err := url.Parse(d.API); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("VIGIL_DISCORD_API_URL: %q is not an http(s) URL", d.API))
	}
	return errs
}
