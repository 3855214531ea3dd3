package i18n

// settingsCatalogue holds the strings of the channel settings page.
var settingsCatalogue = map[string]map[string]string{
	"en": {
		"settings.nav":                         "Channels",
		"settings.title":                       "Channel settings",
		"settings.intro":                       "Addresses and credentials of the email, Telegram and Discord channels. Secrets are stored encrypted and never shown again in full. A variable set in the environment wins over what is saved here.",
		"settings.admins_only":                 "Only administrators can manage channel settings.",
		"settings.saved":                       "Saved.",
		"settings.restart_required":            "Restart required: Vigil reads channel settings when it starts, so the changes take effect after the next restart.",
		"settings.save":                        "Save",
		"settings.remove":                      "Remove the stored value",
		"settings.from_environment":            "Set by the environment variable %s; change it there.",
		"settings.env_fallback":                "Empty: not set (or taken from %s when that is set).",
		"settings.secret_kept":                 "Stored (%s). Leave blank to keep it; type a new value to replace it.",
		"settings.secret_unset":                "Not set. Typed values are stored encrypted.",
		"settings.unreadable":                  "The stored value cannot be decrypted with the current secret key. Enter it again.",
		"settings.group.email":                 "Email",
		"settings.group.telegram":              "Telegram",
		"settings.group.discord":               "Discord",
		"settings.key.email.address":           "Support address",
		"settings.key.email.name":              "Sender name",
		"settings.key.email.relay":             "Outgoing relay (host:port)",
		"settings.key.email.security":          "Relay security (starttls, tls or none)",
		"settings.key.email.username":          "Relay user name",
		"settings.key.email.password":          "Relay password",
		"settings.key.telegram.token":          "Bot token",
		"settings.key.telegram.webhook_secret": "Webhook secret token",
		"settings.key.discord.token":           "Bot token",
		"settings.key.discord.channel_id":      "Support channel id",
	},
	"zh": {
		"settings.nav":                         "渠道",
		"settings.title":                       "渠道设置",
		"settings.intro":                       "邮件、Telegram 和 Discord 渠道的地址与凭据。密钥类信息加密保存，之后不会再完整显示。环境变量中已设置的值优先于此处保存的值。",
		"settings.admins_only":                 "只有管理员可以管理渠道设置。",
		"settings.saved":                       "已保存。",
		"settings.restart_required":            "需要重启：Vigil 在启动时读取渠道设置，更改将在下次重启后生效。",
		"settings.save":                        "保存",
		"settings.remove":                      "删除已保存的值",
		"settings.from_environment":            "由环境变量 %s 设置；请在那里修改。",
		"settings.env_fallback":                "留空：未设置（若设置了 %s 则使用其值）。",
		"settings.secret_kept":                 "已保存（%s）。留空则保持不变；输入新值即可替换。",
		"settings.secret_unset":                "未设置。输入的值将加密保存。",
		"settings.unreadable":                  "当前密钥无法解密已保存的值，请重新输入。",
		"settings.group.email":                 "邮件",
		"settings.group.telegram":              "Telegram",
		"settings.group.discord":               "Discord",
		"settings.key.email.address":           "客服邮箱地址",
		"settings.key.email.name":              "发件人名称",
		"settings.key.email.relay":             "发信中继（主机:端口）",
		"settings.key.email.security":          "中继加密方式（starttls、tls 或 none）",
		"settings.key.email.username":          "中继用户名",
		"settings.key.email.password":          "中继密码",
		"settings.key.telegram.token":          "机器人令牌",
		"settings.key.telegram.webhook_secret": "Webhook 密钥令牌",
		"settings.key.discord.token":           "机器人令牌",
		"settings.key.discord.channel_id":      "客服频道 ID",
	},
}

func init() {
	for lang, msgs := range settingsCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
