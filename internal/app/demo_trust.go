package app

import (
	"context"

	"vigil/internal/trust"
)

// demoTrust registers the demo exchange's official channels, one of them
// retired, so the verifier has something to say.
func (a *App) demoTrust(ctx context.Context) error {
	for _, c := range []struct{ kind, value, note string }{
		{trust.KindDomain, "vigil.example", "Website and app"},
		{trust.KindEmail, "support@vigil.example", "Support replies"},
		{trust.KindEmail, "security@vigil.example", "Security alerts"},
		{trust.KindPhone, "+65 6000 0000", "Callback line: we only call when you booked a callback"},
		{trust.KindTelegram, "https://t.me/VigilExchange", "Announcements channel"},
		{trust.KindTelegram, "@VigilSupportOld", "Old support group"},
		{trust.KindX, "https://x.com/VigilExchange", ""},
		{trust.KindDiscord, "https://discord.gg/VigilEx", ""},
		{trust.KindWeChat, "VigilExchangeCN", "微信公众号"},
	} {
		o, err := a.Trust.AddOfficial(ctx, c.kind, c.value, c.note)
		if err != nil {
			return err
		}
		if c.value == "@VigilSupportOld" {
			if _, err := a.Trust.RetireOfficial(ctx, o.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
