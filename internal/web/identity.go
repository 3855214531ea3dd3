package web

import (
	"context"
	"time"

	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// identityPanel is the sidebar's "Identity" section: how sure the desk is
// of the customer, and why fields are masked.
type identityPanel struct {
	Shown       bool
	Level       string
	LevelClass  string
	How         string // method and when
	CodePending string
	Masked      bool
	MaskReason  string
	Revealed    string // "revealed to you until …"
	CanSendCode bool   // the customer has an exchange account and a connector exists
	Checks      []option
}

func (c *Console) identityPanelFor(ctx context.Context, convID, agentID int64, cu customer.Customer, lang string) (identityPanel, trust.Masking, error) {
	if c.Trust == nil {
		return identityPanel{}, trust.Masking{}, nil
	}
	st, err := c.Trust.Level(ctx, convID)
	if err != nil {
		return identityPanel{}, trust.Masking{}, err
	}
	m, err := c.Trust.Masking(ctx, convID, agentID)
	if err != nil {
		return identityPanel{}, trust.Masking{}, err
	}
	level := i18n.T(lang, "trust.level."+st.Level.String())
	p := identityPanel{Shown: true, Level: level, LevelClass: "level-" + st.Level.String(), Masked: m.Masked,
		CanSendCode: cu.UID != "" && c.Exchange != nil}
	if st.At != nil {
		p.How = i18n.T(lang, "console.verified_by", i18n.T(lang, "trust.method."+st.Method), st.At.Local().Format("2006-01-02 15:04"))
	}
	if st.CodePending != nil {
		p.CodePending = i18n.T(lang, "console.code_pending", st.CodePending.Destination, st.CodePending.Attempts)
	}
	if m.Masked {
		p.MaskReason = i18n.T(lang, m.Reason, level)
	}
	if m.RevealedUntil != nil {
		p.Revealed = i18n.T(lang, "console.revealed_until", m.RevealedUntil.Local().Format(time.TimeOnly))
	}
	for _, name := range trust.Checks {
		p.Checks = append(p.Checks, option{Value: name, Label: i18n.T(lang, "console.check."+name)})
	}
	return p, m, nil
}

// freezeRow is one account freeze in the sidebar with the step the
// viewer may take next.
type freezeRow struct {
	ID         int64
	State      string
	At         string
	CanRequest bool   // frozen and the customer verified
	Blocked    string // why the request is disabled
	CanApprove bool   // a supervisor who did not ask
	Waiting    string // what the freeze waits for
	CanFinish  bool
	Active     bool // the account is (being) frozen
}

func (c *Console) freezeRows(ctx context.Context, p *page, conv ticket.Conversation, verified bool) ([]freezeRow, error) {
	if c.Trust == nil {
		return nil, nil
	}
	fs, err := c.Trust.Freezes(ctx, conv.CustomerID)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	var out []freezeRow
	for _, f := range fs {
		row := freezeRow{ID: f.ID, State: p.T("console.freeze_state." + f.State), At: f.FrozenAt.Local().Format("2006-01-02 15:04"),
			Active: f.State != "unfrozen"}
		approver := p.Principal.Can(auth.PermUnfreezeApprove)
		switch f.State {
		case "frozen":
			row.CanRequest = verified
			if !verified {
				row.Blocked = p.T("console.unfreeze_needs_verified")
			}
		case "unfreeze_requested":
			row.CanApprove = approver && f.UnfreezeBy != p.Principal.AgentID
			if !row.CanApprove {
				row.Waiting = p.T("console.unfreeze_waiting_approval")
			}
		case "unfreeze_approved":
			row.CanFinish = approver && f.EligibleAt != nil && !now.Before(*f.EligibleAt)
			if !row.CanFinish && f.EligibleAt != nil {
				row.Waiting = p.T("console.unfreeze_cooldown", f.EligibleAt.Local().Format("2006-01-02 15:04"))
			}
		}
		out = append(out, row)
	}
	return out, nil
}
