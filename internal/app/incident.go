package app

import (
	"context"

	"vigil/internal/channel/webchat"
	"vigil/internal/event"
	"vigil/internal/exchange"
	"vigil/internal/kb"
	"vigil/internal/ticket"
	"vigil/internal/web"
)

// incidentNotices are the open incidents as banners for an anonymous
// reader of a page about these words.
func (a *App) incidentNotices(ctx context.Context, page []string) ([]kb.Announcement, error) {
	list, err := a.Incidents.ActiveFor(ctx, a.Incidents.AudienceOf(ctx, "", page))
	if err != nil {
		return nil, err
	}
	return web.IncidentNotices(list), nil
}

// notices are the widget's banners: the open incidents that concern the
// viewer (described by the exchange when they signed in), then
// announcements.
func (a *App) notices(ctx context.Context, v webchat.Viewer) ([]kb.Announcement, error) {
	uid := ""
	if v.CustomerID != 0 {
		c, err := a.Customers.ByID(ctx, v.CustomerID)
		if err != nil {
			return nil, err
		}
		uid = c.UID
	}
	list, err := a.Incidents.ActiveFor(ctx, a.Incidents.AudienceOf(ctx, uid, v.Page))
	if err != nil {
		return nil, err
	}
	active, err := a.KB.Active(ctx)
	if err != nil {
		return nil, err
	}
	return append(web.IncidentNotices(list), active...), nil
}

// LinkIncidents links every new conversation whose first customer message
// matches an open incident, on any channel. Every instance hears the
// event; linking is idempotent, so the first one wins and the rest no-op.
func (a *App) LinkIncidents(ctx context.Context) {
	sub := a.Bus.Subscribe("incident-links", 1024)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			m, ok := ev.(event.MessageCreated)
			if !ok || m.Seq != 1 || m.AuthorKind != string(ticket.ByCustomer) || m.Internal {
				continue
			}
			if _, err := a.Incidents.AutoLink(ctx, m.ConversationID, m.Body); err != nil && ctx.Err() == nil {
				a.Log.Warn("incident link failed", "component", "incident", "conversation", m.ConversationID, "err", err)
			}
		}
	}
}

// outreachOf is the connector's outreach calls, when it has them.
func outreachOf(c exchange.Connector) exchange.Outreach {
	if o, ok := c.(exchange.Outreach); ok {
		return o
	}
	return nil
}
