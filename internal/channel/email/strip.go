package email

import (
	"regexp"
	"strings"
)

// Lines that start the quoted earlier message in the clients customers
// use: Gmail and Apple Mail ("On … wrote:", "在 … 写道："), Outlook
// ("-----Original Message-----", the underscore rule, "From: … Sent:"),
// QQ Mail and Foxmail ("------------------ 原始邮件 ------------------").
var quoteStart = []*regexp.Regexp{
	regexp.MustCompile(`^On .{4,300}wrote:\s*$`),
	regexp.MustCompile(`^.{0,200}(写道|寫道)\s*[:：]\s*$`),
	regexp.MustCompile(`^-{3,}\s*(Original Message|Forwarded message|原始邮件|原始郵件|转发的邮件)\s*-{3,}\s*$`),
	regexp.MustCompile(`^_{20,}\s*$`),
	regexp.MustCompile(`^(From|发件人|寄件者)\s*[:：].+$`),
	regexp.MustCompile(`^Le .{4,300}a écrit\s*:\s*$`),
	regexp.MustCompile(`^Am .{4,300}schrieb .{1,200}:\s*$`),
}

// Lines that start a signature or a client's boilerplate.
var signatureStart = []*regexp.Regexp{
	regexp.MustCompile(`^-- ?$`),
	regexp.MustCompile(`^(Sent from|Get Outlook for|Sent with) .{2,80}$`),
	regexp.MustCompile(`^(发自我的|从我的|來自我的).{1,30}$`),
}

// headerLine is a second line of an Outlook quote header.
var headerLine = regexp.MustCompile(`^(Sent|Date|To|Subject|发送时间|日期|收件人|主题)\s*[:：]`)

// StripQuotes returns the new part of a reply: it cuts at the first line
// that starts a quoted earlier message or a signature, and drops lines
// quoted with ">". The full text is kept elsewhere; if stripping would
// leave nothing, the text is returned whole.
func StripQuotes(text string) string {
	lines := strings.Split(text, "\n")
	var out []string
cut:
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") {
			continue
		}
		for _, re := range quoteStart {
			if !re.MatchString(t) {
				continue
			}
			// "From: x" alone is ordinary text; as a quote header it is
			// followed by Sent:/Date:/To: within a few lines.
			if strings.HasPrefix(t, "From") || strings.HasPrefix(t, "发件人") || strings.HasPrefix(t, "寄件者") {
				if !followedByHeader(lines[i+1:]) {
					continue
				}
			}
			break cut
		}
		// Gmail wraps a long attribution: "On Mon, … Support <" / "x@y> wrote:".
		if i+1 < len(lines) && strings.HasPrefix(t, "On ") && strings.HasSuffix(strings.TrimSpace(lines[i+1]), "wrote:") {
			break
		}
		for _, re := range signatureStart {
			if re.MatchString(t) {
				break cut
			}
		}
		out = append(out, l)
	}
	s := normaliseText(strings.Join(out, "\n"))
	if s == "" {
		return normaliseText(text)
	}
	return s
}

func followedByHeader(next []string) bool {
	for i, l := range next {
		if i == 4 {
			break
		}
		if headerLine.MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}
