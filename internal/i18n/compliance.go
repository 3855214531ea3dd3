package i18n

// complianceCatalogue holds the strings of complaints, legal holds,
// data-subject requests and retention; init merges them into the
// catalogue.
var complianceCatalogue = map[string]map[string]string{
	"en": {
		"complaint.template.customer": "customer",
		"complaint.template.ack": "Dear %s,\n\nThank you for telling us about this. We have recorded it as a complaint (reference %s) " +
			"and a member of our team is looking into it. We will send you our final response by %s at the latest, " +
			"and we will keep you updated in this conversation meanwhile.\n\nKind regards",
		"complaint.template.final": "Dear %s,\n\nThis is our final response to your complaint (reference %s).\n\n" +
			"What happened: \n\nWhat we found: \n\nWhat we have done to put it right: \n\n" +
			"If you are not satisfied with this response, you may refer your complaint to the financial ombudsman " +
			"or the competent authority in your country, free of charge, within six months of the date of this response. " +
			"We can tell you how to contact them.\n\nKind regards,\n%s",

		"complaint.summary_too_long":     "The complaint summary is too long.",
		"complaint.by_invalid":           "A complaint is raised by an agent or by the customer.",
		"complaint.not_found":            "This conversation is not a complaint.",
		"complaint.answered":             "The final response to this complaint has already been sent.",
		"complaint.state_filter_invalid": "Choose open or all.",
		"hold.reason_invalid":            "Say why the customer is under legal hold (1 to 500 characters).",
		"hold.not_found":                 "This customer is not under legal hold.",
		"hold.active":                    "This customer is under legal hold; their data cannot be erased until the hold is lifted.",
		"erase.confirm":                  "Repeat the customer's id in confirm to erase their data.",
		"audit.prune_unsigned":           "Pruning the audit log needs VIGIL_SECRET_KEY to sign its checkpoint.",

		"console.complaint.title":        "Complaint",
		"console.complaint.mark":         "Mark as complaint",
		"console.complaint.summary":      "What is the complaint about?",
		"console.complaint.raised":       "Raised %s by the %s",
		"complaint.note.raised":          "Marked as a complaint by the %s. Acknowledge by %s; final response due by %s.",
		"complaint.note.ack_reminder":    "Complaint reminder: acknowledge the customer by %s.",
		"complaint.note.ack_breach":      "Complaint overdue: the acknowledgement was due %s.",
		"complaint.note.final_reminder":  "Complaint reminder: the final response is due by %s.",
		"complaint.note.final_breach":    "Complaint overdue: the final response was due %s.",
		"complaint.note.unassigned":      "Nobody is assigned; supervisors, please assign it.",
		"console.complaint.by.agent":     "agent",
		"console.complaint.by.customer":  "customer",
		"console.complaint.ack_due":      "Acknowledge by",
		"console.complaint.final_due":    "Final response due by",
		"console.complaint.acknowledged": "Acknowledged",
		"console.complaint.answered":     "Final response sent",
		"console.complaint.overdue":      "Overdue",
		"console.complaint.use_ack":      "Use the acknowledgement template",
		"console.complaint.final":        "Send final response",
		"console.complaint.final_help":   "This is sent to the customer and stops the complaint's clocks.",
		"console.view.complaints":        "Complaints",
		"console.message_removed":        "Content removed under the retention policy or at the customer's request.",
		"widget.complaint.action":        "Make this a complaint",
		"widget.complaint.confirm":       "Tell us briefly what went wrong. We will record this as a formal complaint.",
		"widget.complaint.done":          "Recorded as a complaint. We will acknowledge it by %s and send our final response by %s.",
		"widget.complaint.already":       "This conversation is already a complaint.",
	},
	"zh": {
		"complaint.template.customer": "客户",
		"complaint.template.ack": "尊敬的%s：\n\n感谢您告知我们此事。我们已将其登记为投诉（编号 %s），团队成员正在处理。" +
			"我们最迟将于 %s 前给您最终答复，其间会在本会话中向您通报进展。\n\n此致",
		"complaint.template.final": "尊敬的%s：\n\n这是我们对您的投诉（编号 %s）的最终答复。\n\n" +
			"事情经过：\n\n我们的调查结果：\n\n我们采取的补救措施：\n\n" +
			"如您对本答复不满意，可在本答复日期起六个月内，免费将投诉提交至您所在国家或地区的金融申诉专员或主管机构。" +
			"我们可以告诉您联系方式。\n\n此致\n%s",

		"complaint.summary_too_long":     "投诉摘要过长。",
		"complaint.by_invalid":           "投诉须由客服或客户提出。",
		"complaint.not_found":            "该会话不是投诉。",
		"complaint.answered":             "该投诉的最终答复已经发送。",
		"complaint.state_filter_invalid": "请选择 open 或 all。",
		"hold.reason_invalid":            "请说明法律保全的原因（1 至 500 个字符）。",
		"hold.not_found":                 "该客户未处于法律保全状态。",
		"hold.active":                    "该客户处于法律保全状态；解除保全前不能删除其数据。",
		"erase.confirm":                  "请在 confirm 中重复客户编号以删除其数据。",
		"audit.prune_unsigned":           "清理审计日志需要设置 VIGIL_SECRET_KEY 以签署检查点。",

		"console.complaint.title":        "投诉",
		"console.complaint.mark":         "标记为投诉",
		"console.complaint.summary":      "投诉内容是什么？",
		"console.complaint.raised":       "由%[2]s于 %[1]s 提出",
		"complaint.note.raised":          "已由%s标记为投诉。请在 %s 前确认受理；最终答复须在 %s 前发出。",
		"complaint.note.ack_reminder":    "投诉提醒：请在 %s 前向客户确认受理。",
		"complaint.note.ack_breach":      "投诉已超时：确认受理的期限是 %s。",
		"complaint.note.final_reminder":  "投诉提醒：最终答复须在 %s 前发出。",
		"complaint.note.final_breach":    "投诉已超时：最终答复的期限是 %s。",
		"complaint.note.unassigned":      "尚未分配处理人，请主管分配。",
		"console.complaint.by.agent":     "客服",
		"console.complaint.by.customer":  "客户",
		"console.complaint.ack_due":      "确认期限",
		"console.complaint.final_due":    "最终答复期限",
		"console.complaint.acknowledged": "已确认",
		"console.complaint.answered":     "已发送最终答复",
		"console.complaint.overdue":      "已逾期",
		"console.complaint.use_ack":      "使用确认模板",
		"console.complaint.final":        "发送最终答复",
		"console.complaint.final_help":   "将发送给客户并停止投诉计时。",
		"console.view.complaints":        "投诉",
		"console.message_removed":        "内容已按保留政策或应客户要求删除。",
		"widget.complaint.action":        "将此会话作为投诉",
		"widget.complaint.confirm":       "请简要告诉我们出了什么问题。我们会将其登记为正式投诉。",
		"widget.complaint.done":          "已登记为投诉。我们将于 %s 前确认，并于 %s 前给您最终答复。",
		"widget.complaint.already":       "该会话已经是投诉。",
	},
}

func init() {
	for lang, msgs := range complianceCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
