package bot

import "testing"

func TestTransferQuestion(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"Where is my withdrawal?", Withdrawals},
		{"my BTC withdrawal has been pending for an hour", Withdrawals},
		{"I deposited USDT but it has not arrived", Deposits},
		{"提现还没到账", Withdrawals},
		{"充值多久到账？", Deposits},
		{"what is the withdrawal fee for ETH", ""}, // a fee question, for the help center
		{"how do I deposit with a card", ""},
		{"where can I change my password", ""},
	} {
		if got := transferQuestion(tt.text); got != tt.want {
			t.Errorf("transferQuestion(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
