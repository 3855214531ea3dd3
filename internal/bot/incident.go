package bot

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// answerIncident replies with the open incident's public message and its
// latest update, points to the status page, and links the conversation to
// the incident so that resolving it reaches this customer too.
func (b *Bot) answerIncident(ctx context.Context, conv ticket.Conversation, d Decision, say func(string, bool) error) error {
	i := d.Incident
	var sb strings.Builder
	fmt.Fprintf(&sb, "**%s**\n\n%s", i.Title(d.Language), i.Message(d.Language))
	if n := len(i.Updates); n > 1 {
		u := i.Updates[n-1]
		fmt.Fprintf(&sb, "\n\n%s: %s", i18n.T(d.Language, "incident.status."+u.Status), u.Body(d.Language))
	}
	fmt.Fprintf(&sb, "\n\n%s (/status/%s/)\n\n%s", i18n.T(d.Language, "bot.incident_follow"), d.Language, i18n.T(d.Language, "bot.did_it_help"))
	if err := say(sb.String(), false); err != nil {
		return err
	}
	_, err := b.o.Incidents.Link(ctx, i.ID, conv.ID, 0)
	return err
}
