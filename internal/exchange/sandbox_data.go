package exchange

import "time"

// sandboxAccounts are the demo customers; their UIDs match the desk's demo
// data. Activity is placed relative to the clock so it always looks recent.
func sandboxAccounts() []*sandboxAccount {
	created := time.Date(2024, 3, 14, 9, 0, 0, 0, time.UTC)
	return []*sandboxAccount{
		{Customer: Customer{UID: "U10000001", Name: "Alice Chen", Email: "alice@example.com", Phone: "+6591234567",
			Country: "SG", Language: "en", KYCLevel: 2, VIPTier: 3, AntiPhishingCode: "BLUE-HERON-42",
			Channels: []Channel{{"device", "iPhone 15 (Vigil Exchange app)"}, {"email", "a***@example.com"}}, CreatedAt: created},
			activity: func(now time.Time) Activity {
				return Activity{
					Withdrawals: []Transfer{
						{ID: "W-88213407", Asset: "USDT", Network: "TRC20", Amount: "2500.00", Address: "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
							TxID: "9f3c1be0a4d7c2e85b61f0d93a7e4c2b18d6f5a0e9c3b7d2a41f8e6c5b0d9a37", Status: "confirming",
							Confirmations: 12, Required: 20, CreatedAt: now.Add(-38 * time.Minute), UpdatedAt: now.Add(-2 * time.Minute)},
						{ID: "W-88190021", Asset: "BTC", Network: "Bitcoin", Amount: "0.0520", Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
							TxID: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Status: "completed",
							Confirmations: 3, Required: 2, CreatedAt: now.Add(-50 * time.Hour), UpdatedAt: now.Add(-49 * time.Hour)},
					},
					Deposits: []Transfer{
						{ID: "D-77120934", Asset: "ETH", Network: "ERC20", Amount: "1.2500", Address: "0x4e83362442b8d1bec281594cea3050c8eb01311c",
							TxID: "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060", Status: "completed",
							Confirmations: 64, Required: 64, CreatedAt: now.Add(-26 * time.Hour), UpdatedAt: now.Add(-25 * time.Hour)},
					},
					Orders: []Order{
						{ID: "O-5521907", Symbol: "BTC/USDT", Side: "sell", Type: "limit", Price: "97250.00", Quantity: "0.0500",
							Filled: "0.0500", Status: "filled", CreatedAt: now.Add(-3 * time.Hour)},
					},
					Logins: []Login{
						{At: now.Add(-41 * time.Minute), IP: "185.220.101.34", Country: "RU", City: "Moscow", Device: "Chrome 131 on Windows", Result: "success", New: true},
						{At: now.Add(-20 * time.Hour), IP: "203.116.24.7", Country: "SG", City: "Singapore", Device: "Vigil Exchange app on iPhone 15", Result: "success"},
						{At: now.Add(-44 * time.Hour), IP: "203.116.24.7", Country: "SG", City: "Singapore", Device: "Safari on macOS", Result: "success"},
					},
				}
			}},
		{Customer: Customer{UID: "U10000002", Name: "王芳", Email: "wangfang@example.cn", Phone: "+8613812345678",
			Country: "CN", Language: "zh", KYCLevel: 2, AntiPhishingCode: "青松明月", CreatedAt: created.AddDate(0, 4, 0),
			Channels: []Channel{{"device", "Xiaomi 14 (Vigil Exchange app)"}, {"email", "w***@example.cn"}}},
			activity: func(now time.Time) Activity {
				return Activity{
					Deposits: []Transfer{
						{ID: "D-77131188", Asset: "USDT", Network: "TRC20", Amount: "800.00", Address: "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
							TxID: "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d", Status: "confirming",
							Confirmations: 4, Required: 20, CreatedAt: now.Add(-9 * time.Minute), UpdatedAt: now.Add(-1 * time.Minute)},
						{ID: "D-77098012", Asset: "USDT", Network: "BEP20", Amount: "300.00", Address: "0x71c7656ec7ab88b098defb751b7401b5f6d8976f",
							TxID: "0x2f1c7e4b9d80a3c6e5f4b2a1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1", Status: "review",
							Confirmations: 15, Required: 15, CreatedAt: now.Add(-30 * time.Hour), UpdatedAt: now.Add(-29 * time.Hour)},
					},
					Withdrawals: []Transfer{},
					Orders:      []Order{},
					Logins: []Login{
						{At: now.Add(-12 * time.Minute), IP: "117.136.12.9", Country: "CN", City: "Shanghai", Device: "Vigil Exchange app on Xiaomi 14", Result: "success"},
					},
				}
			}},
		{Customer: Customer{UID: "U10000003", Name: "Bob Okafor", Email: "bob@example.org", Phone: "+2348031234567",
			Country: "NG", Language: "en", KYCLevel: 3, VIPTier: 7, AntiPhishingCode: "OKAPI-RIVER-7", CreatedAt: created.AddDate(-1, 0, 0),
			Channels: []Channel{{"device", "Pixel 9 (Vigil Exchange app)"}, {"email", "b***@example.org"}, {"sms", "+234 *** *** 4567"}}},
			activity: func(now time.Time) Activity {
				return Activity{
					Withdrawals: []Transfer{
						{ID: "W-88220550", Asset: "SOL", Network: "Solana", Amount: "420.5", Address: "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
							TxID: "", Status: "pending", Confirmations: 0, Required: 1, CreatedAt: now.Add(-7 * time.Minute), UpdatedAt: now.Add(-7 * time.Minute)},
						{ID: "W-88201876", Asset: "USDC", Network: "ERC20", Amount: "15000.00", Address: "0x8ba1f109551bd432803012645ac136ddd64dba72",
							TxID: "", Status: "failed", Confirmations: 0, Required: 64, CreatedAt: now.Add(-5 * time.Hour), UpdatedAt: now.Add(-4 * time.Hour)},
					},
					Deposits: []Transfer{},
					Orders: []Order{
						{ID: "O-5522711", Symbol: "SOL/USDT", Side: "buy", Type: "market", Price: "238.10", Quantity: "420.5",
							Filled: "420.5", Status: "filled", CreatedAt: now.Add(-6 * time.Hour)},
					},
					Logins: []Login{
						{At: now.Add(-15 * time.Minute), IP: "102.89.33.140", Country: "NG", City: "Lagos", Device: "Vigil Exchange app on Pixel 9", Result: "success"},
						{At: now.Add(-3 * time.Hour), IP: "45.134.140.8", Country: "NL", City: "Amsterdam", Device: "Firefox 133 on Linux", Result: "failed", New: true},
					},
				}
			}},
		{Customer: Customer{UID: "U10000004", Name: "张伟", Email: "zhangwei@example.cn", Phone: "+8613998765432",
			Country: "CN", Language: "zh", KYCLevel: 1, VIPTier: 1, AntiPhishingCode: "长城万里", CreatedAt: created.AddDate(0, 8, 0),
			Channels: []Channel{{"email", "z***@example.cn"}}},
			activity: func(now time.Time) Activity {
				return Activity{Deposits: []Transfer{}, Withdrawals: []Transfer{}, Orders: []Order{}, Logins: []Login{
					{At: now.Add(-2 * time.Hour), IP: "36.112.0.55", Country: "CN", City: "Beijing", Device: "Chrome 131 on Windows", Result: "success"},
				}}
			}},
	}
}
