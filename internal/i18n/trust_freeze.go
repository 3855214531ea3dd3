package i18n

// freezeCatalogue holds the strings of the self-service account freeze.
var freezeCatalogue = map[string]map[string]string{
	"en": {
		"trust.freeze_subject":            "Account freeze (self-service)",
		"trust.freeze_request.not_me":     "Freeze my account: I did not log in.",
		"trust.freeze_request.withdrawal": "Freeze my account: someone withdrew or tried to withdraw.",
		"trust.freeze_request.other":      "Freeze my account.",
		"trust.freeze_done":               "Your account is frozen: withdrawals, trading and new sign-ins are blocked. What happens next: a security specialist reviews this conversation with priority, day or night. We will never call you and never ask for your password, 2FA code or recovery phrase. To unfreeze, you verify your identity here and a second staff member approves; for your safety there is a waiting period.",
		"trust.freeze_pending":            "We could not reach the exchange to freeze your account automatically. This conversation is at the top of the security queue and a specialist will freeze it by hand. Meanwhile, change your password and do not share any codes.",
		"trust.unfrozen":                  "Your account has been unfrozen after identity verification and a second staff member's approval.",
		"trust.freeze_source":             "Unknown freeze source.",
		"trust.freeze_reason":             "Choose a reason.",
		"trust.freeze_not_found":          "No such freeze.",
		"trust.freeze_state":              "The freeze is not in a state that allows this step.",
		"trust.two_person":                "Someone other than the person who asked must approve the unfreeze.",
		"trust.cooldown":                  "The unfreeze waiting period is not over yet.",
		"trust.identity_required":         "Sign in to the exchange first, so we know whose account to freeze.",
		"trust.link_invalid":              "This freeze link is not valid or has expired. Open the chat from the exchange to freeze your account.",
		"widget.freeze":                   "Freeze my account",
		"widget.freeze_hint":              "Suspicious login or withdrawal? Freeze now: it works at any hour, no agent needed.",
		"widget.freeze_reason":            "What happened?",
		"widget.freeze_reason.not_me":     "I did not log in",
		"widget.freeze_reason.withdrawal": "Someone withdrew",
		"widget.freeze_reason.other":      "Something else",
		"widget.freeze_confirm":           "Freeze now",
		"widget.freeze_cancel":            "Cancel",
		"widget.freeze_done":              "Account frozen",
		"widget.never_ask":                "We will never ask for your password, 2FA code or recovery phrase, and never call you unless you asked.",
		"freeze.title":                    "Freeze your account",
		"freeze.explain":                  "Freezing blocks withdrawals, trading and new sign-ins on account %s until you verify your identity with us.",
		"freeze.button":                   "Freeze my account now",
		"freeze.done_title":               "Your account is frozen",
	},
	"zh": {
		"trust.freeze_subject":            "账户冻结（自助）",
		"trust.freeze_request.not_me":     "冻结我的账户：我没有登录过。",
		"trust.freeze_request.withdrawal": "冻结我的账户：有人提现或试图提现。",
		"trust.freeze_request.other":      "冻结我的账户。",
		"trust.freeze_done":               "您的账户已冻结：提现、交易和新登录均已阻止。接下来：安全专员会优先处理本对话，全天候。我们绝不会给您打电话，也绝不会索要密码、2FA 验证码或助记词。解冻时，您需要在此验证身份，并由另一位工作人员批准；为了您的安全，解冻有等待期。",
		"trust.freeze_pending":            "我们暂时无法连接交易所自动冻结您的账户。本对话已置于安全队列最前，专员会手动冻结。在此期间，请修改密码，不要向任何人提供验证码。",
		"trust.unfrozen":                  "经过身份验证和另一位工作人员批准，您的账户已解冻。",
		"trust.freeze_source":             "未知的冻结来源。",
		"trust.freeze_reason":             "请选择原因。",
		"trust.freeze_not_found":          "没有该冻结记录。",
		"trust.freeze_state":              "当前冻结状态不允许此操作。",
		"trust.two_person":                "解冻必须由申请人以外的人批准。",
		"trust.cooldown":                  "解冻等待期尚未结束。",
		"trust.identity_required":         "请先登录交易所，以便我们知道要冻结哪个账户。",
		"trust.link_invalid":              "该冻结链接无效或已过期。请从交易所打开在线客服来冻结账户。",
		"widget.freeze":                   "冻结我的账户",
		"widget.freeze_hint":              "发现可疑登录或提现？立即冻结：任何时间都可以，无需等待客服。",
		"widget.freeze_reason":            "发生了什么？",
		"widget.freeze_reason.not_me":     "我没有登录过",
		"widget.freeze_reason.withdrawal": "有人提现了",
		"widget.freeze_reason.other":      "其他情况",
		"widget.freeze_confirm":           "立即冻结",
		"widget.freeze_cancel":            "取消",
		"widget.freeze_done":              "账户已冻结",
		"widget.never_ask":                "我们绝不会索要您的密码、2FA 验证码或助记词，除非您要求，也绝不会给您打电话。",
		"freeze.title":                    "冻结您的账户",
		"freeze.explain":                  "冻结后，账户 %s 的提现、交易和新登录将被阻止，直到您向我们验证身份。",
		"freeze.button":                   "立即冻结我的账户",
		"freeze.done_title":               "您的账户已冻结",
	},
}

func init() {
	for lang, msgs := range freezeCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}
