package i18n

// verifyCatalogue holds the strings of the official-channel verifier.
var verifyCatalogue = map[string]map[string]string{
	"en": {
		"verify.title":                     "Is this channel official?",
		"verify.intro":                     "Paste a link, email address, phone number, Telegram / X / Discord / WeChat handle or a staff ID you were contacted by.",
		"verify.label":                     "Link, email, phone, handle or staff ID",
		"verify.check":                     "Check",
		"verify.verdict.official":          "Official",
		"verify.verdict.not_official":      "Not official",
		"verify.verdict.formerly_official": "Formerly official: no longer used",
		"verify.official_text":             "%s is an official channel.",
		"verify.not_official_text":         "%s is not one of our channels. Do not send it money, codes or your recovery phrase.",
		"verify.lookalike_text":            "It imitates our official %s. This is a common phishing trick.",
		"verify.former_text":               "%s used to be ours but is retired; anyone using it now is not us.",
		"verify.report":                    "Report impersonation",
		"verify.report_email":              "Your email (optional, to hear back)",
		"verify.report_details":            "What happened? (optional)",
		"verify.report_done":               "Thank you. Our security team has the report (case #%d).",
		"verify.report_subject":            "Impersonation report",
		"verify.report_body":               "Impersonation report: %s (verifier said: %s)",
		"verify.never_ask":                 "We will never ask for your password, 2FA code or recovery phrase, and never call you unless you asked.",
		"verify.too_long":                  "That is too long to be a channel (at most 512 characters).",
		"verify.encoding":                  "The text is not valid UTF-8.",
		"verify.empty":                     "Enter a link, email, phone number, handle or staff ID.",
		"verify.unreadable":                "That is not a link, domain, email, phone number or handle.",
		"verify.kind_invalid":              "Unknown kind of channel.",
		"verify.kind_mismatch":             "The value does not match the kind of channel.",
		"verify.note_too_long":             "The note is too long.",
		"verify.duplicate":                 "That channel is already registered.",
		"verify.not_found":                 "No such official channel.",
		"verify.rate_limited":              "Too many checks from your address; wait a minute.",
		"verify.details_too_long":          "The details are too long.",
		"widget.staff_id":                  "Staff ID %s: check it at /verify",
	},
	"zh": {
		"verify.title":                     "这个渠道是官方的吗？",
		"verify.intro":                     "粘贴联系您的链接、邮箱、电话号码、Telegram / X / Discord / 微信账号或员工编号。",
		"verify.label":                     "链接、邮箱、电话、账号或员工编号",
		"verify.check":                     "查询",
		"verify.verdict.official":          "官方",
		"verify.verdict.not_official":      "非官方",
		"verify.verdict.formerly_official": "曾为官方：已停用",
		"verify.official_text":             "%s 是官方渠道。",
		"verify.not_official_text":         "%s 不是我们的渠道。请勿向其转账、提供验证码或助记词。",
		"verify.lookalike_text":            "它在模仿我们的官方渠道 %s，这是常见的钓鱼手段。",
		"verify.former_text":               "%s 曾是我们的渠道，现已停用；现在使用它的人不是我们。",
		"verify.report":                    "举报冒充",
		"verify.report_email":              "您的邮箱（可选，用于回复）",
		"verify.report_details":            "发生了什么？（可选）",
		"verify.report_done":               "谢谢。安全团队已收到举报（工单 #%d）。",
		"verify.report_subject":            "冒充举报",
		"verify.report_body":               "冒充举报：%s（查询结果：%s）",
		"verify.never_ask":                 "我们绝不会索要您的密码、2FA 验证码或助记词，除非您要求，也绝不会给您打电话。",
		"verify.too_long":                  "内容过长，不可能是渠道（最多 512 个字符）。",
		"verify.encoding":                  "文本不是有效的 UTF-8。",
		"verify.empty":                     "请输入链接、邮箱、电话号码、账号或员工编号。",
		"verify.unreadable":                "这不是链接、域名、邮箱、电话号码或账号。",
		"verify.kind_invalid":              "未知的渠道类型。",
		"verify.kind_mismatch":             "该值与渠道类型不符。",
		"verify.note_too_long":             "备注过长。",
		"verify.duplicate":                 "该渠道已登记。",
		"verify.not_found":                 "没有该官方渠道。",
		"verify.rate_limited":              "您的查询过于频繁，请稍后再试。",
		"verify.details_too_long":          "描述过长。",
		"widget.staff_id":                  "员工编号 %s：可在 /verify 查询",
	},
}

func init() {
	for lang, msgs := range verifyCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
