package i18n

// channelCatalogue holds the strings of the email and messaging channels:
// notes written into threads and the parts of outgoing mail customers read.
var channelCatalogue = map[string]map[string]string{
	"en": {
		"channel.attachments_dropped": "[Attachments not kept (file type not accepted): %s]",
		"channel.no_text":             "no text",
		"channel.sender_unverified":   "The sender of this email could not be verified: it carries no valid DKIM signature from the sender's domain, and anyone can forge a From address. Confirm the customer's identity before you reveal or change anything.",
		"console.delivery_pending":    "sending…",
		"console.original_email":      "Original email (with quotes and headers)",
		"telegram.linked":             "Your Telegram account is now linked to your exchange account. Write here and our support team will answer.",
		"telegram.link_invalid":       "This link is not valid or has expired. Open a new one from the exchange app.",
		"telegram.link_conflict":      "This link cannot be used: it was used already, or this Telegram account belongs to another exchange account. Contact support to fix it.",
		"console.delivery_failed":     "not delivered",
		"email.default_subject":       "Your support request",
		"email.anti_phishing":         "Your anti-phishing code: %s",
		"email.anti_phishing_missing": "Set an anti-phishing code in your account security settings: every genuine email from us will then show it.",
		"email.verify":                "How to verify this message: genuine emails from us come from @%s, show your anti-phishing code, and never ask for your password, 2FA codes or seed phrase. Check any address, link or account at %s before you act on it.",
		"email.reference":             "Reference: [#%d]. Reply to this email to continue the conversation.",
		"email.continue_chat":         "You left the chat before this reply arrived. Continue the conversation in the chat:",
	},
	"zh": {
		"channel.attachments_dropped": "[未保留的附件（不接受的文件类型）：%s]",
		"channel.no_text":             "无正文",
		"channel.sender_unverified":   "无法验证此邮件的发件人：邮件没有来自发件人域名的有效 DKIM 签名，而发件人地址可以被任何人伪造。在透露或更改任何信息之前，请先核实客户身份。",
		"console.delivery_pending":    "发送中…",
		"console.original_email":      "原始邮件（含引用和邮件头）",
		"telegram.linked":             "您的 Telegram 账号已与交易所账户关联。在这里留言，客服会回复您。",
		"telegram.link_invalid":       "此链接无效或已过期。请在交易所 App 中重新打开。",
		"telegram.link_conflict":      "此链接无法使用：它已被使用过，或此 Telegram 账号属于另一个交易所账户。请联系客服处理。",
		"console.delivery_failed":     "未送达",
		"email.default_subject":       "您的支持请求",
		"email.anti_phishing":         "您的防钓鱼码：%s",
		"email.anti_phishing_missing": "请在账户安全设置中设置防钓鱼码：此后我们发出的每封真实邮件都会显示它。",
		"email.verify":                "如何验证此邮件：我们的真实邮件来自 @%s，显示您的防钓鱼码，且绝不会索要您的密码、双重验证码或助记词。行动之前，请在 %s 核实任何地址、链接或账户。",
		"email.reference":             "编号：[#%d]。直接回复此邮件即可继续对话。",
		"email.continue_chat":         "此回复送达时您已离开聊天。请在聊天中继续对话：",
	},
}

func init() {
	for lang, msgs := range channelCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
