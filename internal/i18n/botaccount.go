package i18n

// botAccountCatalogue holds what the bot says about a customer's deposits
// and withdrawals.
var botAccountCatalogue = map[string]map[string]string{
	"en": {
		"console.freeze_now":      "Freeze the account now",
		"bot.freeze_hint":         "If you did not do this yourself, freeze your account now with **Freeze my account** at the top of this chat (shown when you are signed in to the exchange), or from the link in our security email. Freezing works at any hour without waiting for an agent, and stops withdrawals and trading until you and we have checked everything.",
		"help.safety_title":       "Suspicious login or withdrawal?",
		"help.safety_body":        "Freeze your account at once from the chat while signed in to the exchange, or from the link in our security email. It works at any hour, with no agent needed.",
		"help.safety_link":        "Open the chat and freeze",
		"help.safety_verify":      "Check that a link, email or account is really ours",
		"bot.verify_first":        "I can look up your transfers for you. First I need to confirm it is really you: I am sending a one-time code to your registered device.",
		"bot.your_withdrawal":     "Here are your latest withdrawals, as the exchange reports them now:",
		"bot.your_deposit":        "Here are your latest deposits, as the exchange reports them now:",
		"bot.no_withdrawal":       "I cannot see any recent withdrawals on your account. If you expected one, reply **no** and a human agent will look into it.",
		"bot.no_deposit":          "I cannot see any recent deposits on your account. Deposits appear once the network has seen the transaction; if yours should be there, reply **no** and a human agent will look into it.",
		"bot.transfer_pending":    "pending",
		"bot.transfer_confirming": "waiting for network confirmations",
		"bot.transfer_completed":  "completed",
		"bot.transfer_failed":     "failed",
		"bot.transfer_cancelled":  "cancelled",
		"bot.transfer_review":     "under review by the risk team",
	},
	"zh": {
		"console.freeze_now":      "立即冻结账户",
		"bot.freeze_hint":         "如果不是您本人操作，请立即点击本对话顶部的 **冻结我的账户**（登录交易所后显示），或使用安全邮件中的链接。冻结随时可用，无需等待客服，会暂停提现和交易，直到您与我们核实完毕。",
		"help.safety_title":       "发现可疑登录或提现？",
		"help.safety_body":        "登录交易所后，可在在线客服中立即冻结账户，或使用安全邮件中的链接。随时可用，无需等待客服。",
		"help.safety_link":        "打开在线客服并冻结",
		"help.safety_verify":      "核实链接、邮箱或账号是否为官方",
		"bot.verify_first":        "我可以为您查询转账记录。首先需要确认是您本人：我正在向您绑定的设备发送一次性验证码。",
		"bot.your_withdrawal":     "以下是交易所当前显示的您最近的提现：",
		"bot.your_deposit":        "以下是交易所当前显示的您最近的充值：",
		"bot.no_withdrawal":       "您的账户近期没有提现记录。如果您认为应该有，请回复 **否**，人工客服会为您核查。",
		"bot.no_deposit":          "您的账户近期没有充值记录。充值在网络确认交易后才会显示；如果您认为应该到账，请回复 **否**，人工客服会为您核查。",
		"bot.transfer_pending":    "处理中",
		"bot.transfer_confirming": "等待网络确认",
		"bot.transfer_completed":  "已完成",
		"bot.transfer_failed":     "失败",
		"bot.transfer_cancelled":  "已取消",
		"bot.transfer_review":     "风控审核中",
	},
}

func init() {
	for lang, msgs := range botAccountCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
