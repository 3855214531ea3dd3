package bot

import (
	"strings"
	"unicode"
)

// The rules below run before the model: they are what the bot must never
// get wrong, so they are plain word lists a reviewer can read, in English
// and Chinese.

// asksForHuman reports a request to talk to a person.
func asksForHuman(text string) bool {
	return containsAny(text, humanPhrases) || exactly(text, "agent", "human", "人工", "客服", "转人工")
}

var humanPhrases = []string{"human", "real person", "live agent", "talk to an agent", "speak to an agent", "talk to someone",
	"speak to someone", "customer service", "representative", "operator", "support agent", "a person",
	"人工", "真人", "客服人员", "人工客服", "转人工", "找客服"}

// aboutSecurity reports an account-security matter: a takeover, theft or
// an unexplained login. These go to a human at once, whatever the model
// thinks: a wrong automated answer here costs a customer their funds.
func aboutSecurity(text string) bool { return containsAny(text, securityPhrases) }

var securityPhrases = []string{"hacked", "hack", "stolen", "steal", "compromised", "unauthorized", "unauthorised",
	"someone logged", "someone else", "not me", "wasn't me", "was not me", "phishing", "scam", "scammed", "freeze my account",
	"lock my account", "suspicious login", "unknown login", "unknown device", "drained", "sim swap", "takeover",
	"被盗", "盗号", "被黑", "黑客", "不是我操作", "不是我本人", "异常登录", "陌生设备", "钓鱼", "诈骗", "被骗", "冻结账户", "冻结我的账户", "资产被转走"}

// saysNo reports that the customer's problem is not solved.
func saysNo(text string) bool {
	return exactly(text, "no", "nope", "nah", "n", "not really", "no it didn't", "no it did not", "didn't help", "did not help",
		"not solved", "still not", "不", "不是", "没有", "没", "否", "不行", "没用", "没有解决", "没解决", "还是不行", "不能") ||
		containsAny(text, []string{"didn't help", "did not help", "didn't solve", "did not solve", "not solved", "doesn't help",
			"does not help", "still not working", "still doesn't", "没有解决", "没解决", "还是不行", "没有用", "没用"})
}

// saysYes reports that the answer solved it.
func saysYes(text string) bool {
	return exactly(text, "yes", "y", "yeah", "yep", "yes thanks", "yes thank you", "thanks", "thank you", "solved", "it did",
		"that helped", "great", "ok thanks", "perfect", "是", "是的", "好的", "谢谢", "解决了", "可以了", "好了", "行", "嗯", "对")
}

// normalise lower-cases text and drops punctuation and emoji at the ends.
func normalise(text string) string {
	text = strings.ToLower(strings.TrimSpace(text))
	return strings.TrimFunc(text, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) })
}

func exactly(text string, options ...string) bool {
	t := normalise(text)
	t = strings.Join(strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == '，' || r == '!' || r == '！' || unicode.IsSpace(r) }), " ")
	for _, o := range options {
		if t == o {
			return true
		}
	}
	return false
}

func containsAny(text string, phrases []string) bool {
	t := " " + strings.ToLower(text) + " "
	for _, p := range phrases {
		if isASCII(p) {
			// Whole words only: "hack" must not match "hackathon".
			i := strings.Index(t, p)
			for i >= 0 {
				before, after := rune(t[i-1]), rune(t[min(i+len(p), len(t)-1)])
				if !isWordRune(before) && !isWordRune(after) {
					return true
				}
				next := strings.Index(t[i+1:], p)
				if next < 0 {
					break
				}
				i += 1 + next
			}
			continue
		}
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool { return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 128 {
			return false
		}
	}
	return true
}

// topicWords are the words that tie a question to an announcement topic.
var topicWords = map[string][]string{
	"withdrawal":       {"withdraw", "withdrawal", "withdrawals", "withdrawing", "cash out", "send out", "提现", "提币", "出金", "转出"},
	"deposit":          {"deposit", "deposits", "depositing", "top up", "top-up", "充值", "充币", "入金", "转入"},
	"trading":          {"trade", "trading", "order", "orders", "spot", "交易", "下单", "订单", "现货"},
	"futures":          {"futures", "perpetual", "contract", "leverage", "合约", "杠杆", "永续"},
	"p2p":              {"p2p", "otc", "merchant", "c2c", "场外", "商家"},
	"kyc":              {"kyc", "verification", "verify", "identity", "passport", "认证", "身份", "实名"},
	"fees":             {"fee", "fees", "charge", "charged", "手续费", "费用", "费率"},
	"2fa":              {"2fa", "authenticator", "two-factor", "google auth", "验证器", "谷歌验证", "双重验证"},
	"account_security": {"security", "password", "login", "log in", "安全", "密码", "登录"},
}

// aboutTopic reports whether text is about an announcement's topic.
func aboutTopic(topic, text string) bool {
	words, ok := topicWords[topic]
	return ok && containsAny(text, words)
}
