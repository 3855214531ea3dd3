package ticket

import "slices"

// PriorityRules raise a new conversation's priority; they never lower
// what the channel or the agent asked for.
type PriorityRules struct {
	// UrgentCategories become urgent at once: an unauthorised login or
	// withdrawal, a compromised 2FA.
	UrgentCategories []string
	// VIPTier: customers at or above this tier get at least high priority;
	// 0 turns the rule off.
	VIPTier int
}

// DefaultPriorityRules are used when Options.Rules is nil.
var DefaultPriorityRules = PriorityRules{UrgentCategories: []string{"account_security", "2fa"}, VIPTier: 3}

// apply returns the priority a new conversation starts with, and the name
// of the rule that raised it ("" when none did).
func (r PriorityRules) apply(asked Priority, category string, vipTier int) (Priority, string) {
	switch {
	case slices.Contains(r.UrgentCategories, category) && asked < Urgent:
		return Urgent, "category"
	case r.VIPTier > 0 && vipTier >= r.VIPTier && asked < High:
		return High, "vip"
	}
	return asked, ""
}
