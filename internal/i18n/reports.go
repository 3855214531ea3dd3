package i18n

// reportCatalogue holds the strings of satisfaction surveys and reports.
var reportCatalogue = map[string]map[string]string{
	"en": {
		"csat.author":           "Vigil",
		"csat.ask":              "This conversation is solved. How did we do? Rate us from 1 to 5 and tell us why: %s",
		"csat.title":            "Rate our support",
		"csat.question":         "How satisfied are you with the help you received?",
		"csat.rating_5":         "5 - Very satisfied",
		"csat.rating_4":         "4 - Satisfied",
		"csat.rating_3":         "3 - Neither",
		"csat.rating_2":         "2 - Dissatisfied",
		"csat.rating_1":         "1 - Very dissatisfied",
		"csat.comment":          "Anything you want to tell us? (optional)",
		"csat.submit":           "Send rating",
		"csat.thanks":           "Thank you. Your rating has been saved.",
		"csat.limited":          "Too many requests. Please wait a minute and try again.",
		"csat.not_found":        "There is no survey for this conversation.",
		"csat.link_invalid":     "This rating link is not valid.",
		"csat.expired":          "This rating link has expired.",
		"csat.answered":         "This conversation has already been rated. Thank you.",
		"csat.rating_invalid":   "Choose a rating from 1 to 5.",
		"csat.comment_too_long": "The comment must be at most 2000 characters.",
		"report.tz_invalid":     "Unknown time zone.",
		"report.date_invalid":   "Use a date like 2026-03-14.",
		"report.range_invalid":  "The end date must not be before the start date.",
		"report.range_too_long": "A report covers at most 366 days.",
		"report.by_invalid":     "Choose channel, language, team, agent, category or VIP tier.",
		"report.night_invalid":  "The night window is two different hours from 0 to 24, like 0-6.",
	},
	"zh": {
		"csat.author":           "Vigil",
		"csat.ask":              "此会话已解决。我们的服务如何？请打 1 到 5 分并告诉我们原因：%s",
		"csat.title":            "评价我们的服务",
		"csat.question":         "您对获得的帮助满意吗？",
		"csat.rating_5":         "5 - 非常满意",
		"csat.rating_4":         "4 - 满意",
		"csat.rating_3":         "3 - 一般",
		"csat.rating_2":         "2 - 不满意",
		"csat.rating_1":         "1 - 非常不满意",
		"csat.comment":          "还有什么想告诉我们的吗？（可选）",
		"csat.submit":           "提交评价",
		"csat.thanks":           "谢谢！您的评价已保存。",
		"csat.limited":          "请求过多，请稍等一分钟再试。",
		"csat.not_found":        "此会话没有满意度调查。",
		"csat.link_invalid":     "此评价链接无效。",
		"csat.expired":          "此评价链接已过期。",
		"csat.answered":         "此会话已评价过，谢谢。",
		"csat.rating_invalid":   "请选择 1 到 5 分。",
		"csat.comment_too_long": "评论最多 2000 个字符。",
		"report.tz_invalid":     "未知时区。",
		"report.date_invalid":   "请使用 2026-03-14 这样的日期。",
		"report.range_invalid":  "结束日期不能早于开始日期。",
		"report.range_too_long": "一份报表最多覆盖 366 天。",
		"report.by_invalid":     "请选择渠道、语言、团队、客服、类别或 VIP 等级。",
		"report.night_invalid":  "夜班时段是 0 到 24 之间两个不同的小时，例如 0-6。",
	},
}

func init() {
	for lang, msgs := range reportCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
