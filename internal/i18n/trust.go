package i18n

// trustCatalogue holds the strings of the exchange connector, identity
// checks, account freeze and the official-channel verifier.
var trustCatalogue = map[string]map[string]string{
	"en": {
		"exchange.title":             "Exchange account",
		"exchange.sandbox":           "Sandbox",
		"exchange.sandbox_hint":      "Demo data from the built-in sandbox exchange, not a real account.",
		"exchange.withdrawals":       "Recent withdrawals",
		"exchange.deposits":          "Recent deposits",
		"exchange.logins":            "Recent logins",
		"exchange.confirmations":     "Confirmations (seen/required)",
		"exchange.address":           "Address",
		"exchange.login_new":         "new device or country",
		"exchange.login.success":     "signed in",
		"exchange.login.failed":      "failed",
		"exchange.login.blocked":     "blocked",
		"exchange.status.pending":    "Pending",
		"exchange.status.confirming": "Confirming",
		"exchange.status.completed":  "Completed",
		"exchange.status.failed":     "Failed",
		"exchange.status.cancelled":  "Cancelled",
		"exchange.status.review":     "Under review",
		"exchange.unavailable":       "The exchange is not answering right now.",
		"exchange.circuit_open":      "The exchange is not answering; trying again shortly.",
		"exchange.rejected":          "The exchange refused the desk's signature; ask an administrator to check the connector secret.",
		"exchange.not_found":         "The exchange has no account with this UID.",
		"exchange.bad_response":      "The exchange sent an answer the desk cannot read.",
		"exchange.conflict":          "The exchange refused the change.",
		"exchange.invalid":           "The exchange refused the request.",
	},
	"zh": {
		"exchange.title":             "交易所账户",
		"exchange.sandbox":           "沙盒",
		"exchange.sandbox_hint":      "来自内置沙盒交易所的演示数据，不是真实账户。",
		"exchange.withdrawals":       "最近提现",
		"exchange.deposits":          "最近充值",
		"exchange.logins":            "最近登录",
		"exchange.confirmations":     "确认数（已确认/所需）",
		"exchange.address":           "地址",
		"exchange.login_new":         "新设备或新国家",
		"exchange.login.success":     "登录成功",
		"exchange.login.failed":      "失败",
		"exchange.login.blocked":     "已拦截",
		"exchange.status.pending":    "待处理",
		"exchange.status.confirming": "确认中",
		"exchange.status.completed":  "已完成",
		"exchange.status.failed":     "失败",
		"exchange.status.cancelled":  "已取消",
		"exchange.status.review":     "审核中",
		"exchange.unavailable":       "交易所暂时没有响应。",
		"exchange.circuit_open":      "交易所没有响应，稍后将自动重试。",
		"exchange.rejected":          "交易所拒绝了客服系统的签名，请管理员检查连接器密钥。",
		"exchange.not_found":         "交易所没有该 UID 的账户。",
		"exchange.bad_response":      "交易所返回了无法读取的应答。",
		"exchange.conflict":          "交易所拒绝了该变更。",
		"exchange.invalid":           "交易所拒绝了该请求。",
	},
}

func init() {
	for lang, msgs := range trustCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
