package trust

import (
	"crypto/sha256"
	_ "embed"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// SecretKind names what a message seemed to contain.
type SecretKind string

const (
	SeedPhrase    SecretKind = "seed_phrase"
	PrivateKey    SecretKind = "private_key"
	TwoFactorCode SecretKind = "2fa_code"
)

// Finding is one secret found in a message, as a byte range of the body.
type Finding struct {
	Kind       SecretKind
	Start, End int
}

// The BIP-39 English word list (public domain, from the BIP-39 standard;
// a test checks its published SHA-256).
//
//go:embed bip39-english.txt
var bip39English string

var bip39 = func() map[string]bool {
	m := make(map[string]bool, 2048)
	for _, w := range strings.Fields(bip39English) {
		m[w] = true
	}
	return m
}()

// SeedWords is how many list words in a row make a seed phrase: the
// shortest BIP-39 phrase. Ordinary prose almost never strings twelve list
// words together, because the list leaves out "the", "a", "is", "to", "I".
const SeedWords = 12

// ScanContext is what the scanner knows about the conversation.
type ScanContext struct {
	// CodeExpected is true while the desk's own one-time code is pending
	// for this conversation: a lone six-digit reply is then that code, not
	// an authenticator code.
	CodeExpected bool
}

var (
	sixRE      = regexp.MustCompile(`(?:^|[^0-9])([0-9]{3}[ -]?[0-9]{3})(?:[^0-9]|$)`)
	loneCodeRE = regexp.MustCompile(`(?i)^\s*(?:(?:my\s+)?(?:code|2fa|otp)(?:\s+is)?\s*[:：]?\s*|(?:验证码|代码)(?:是)?\s*[:：]?\s*)?([0-9]{3}[ -]?[0-9]{3})\s*[.!。]?\s*$`)
)

// Scan finds what looks like a seed phrase, a private key or a 2FA code.
// It is deliberately conservative, because hiding a customer's ordinary
// message is costly too:
//   - seed phrase: 12 or more BIP-39 words in a row (numbering such as
//     "1." or "2)" between them is allowed, any case);
//   - private key: a WIF key or an extended private key (xprv/yprv/zprv/
//     tprv) whose Base58Check checksum is valid; a 64-hex-digit string only
//     when the message also says "private key" (or 私钥/密钥), because TxIDs
//     are 64 hex digits too;
//   - 2FA code: a message that is only a six-digit number ("123456",
//     "123 456", "code: 123456", "验证码是 123456") while the desk is not
//     waiting for its own one-time code, or a six-digit number in a
//     message that names 2FA, an authenticator, an SMS or verification code
//     (验证码). Order ids and amounts in a sentence are left alone.
func Scan(body string, sc ScanContext) []Finding {
	var out []Finding
	out = append(out, seedPhrases(body)...)
	out = append(out, privateKeys(body)...)
	out = append(out, twoFactorCodes(body, sc)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return merge(out)
}

func seedPhrases(body string) []Finding {
	var out []Finding
	runStart, runEnd, n := -1, -1, 0
	flush := func() {
		if n >= SeedWords {
			out = append(out, Finding{Kind: SeedPhrase, Start: runStart, End: runEnd})
		}
		runStart, runEnd, n = -1, -1, 0
	}
	for _, loc := range words(body) {
		w := body[loc[0]:loc[1]]
		if w[0] >= '0' && w[0] <= '9' {
			if len(w) > 2 {
				flush()
			}
			continue // short numbers are numbering: "1. abandon 2. ability"
		}
		if !bip39[strings.ToLower(w)] {
			flush()
			continue
		}
		if runStart < 0 {
			runStart = loc[0]
		}
		runEnd = loc[1]
		n++
	}
	flush()
	return out
}

// words returns the byte ranges of runs of letters and of runs of digits.
func words(s string) [][2]int {
	var out [][2]int
	start, kind := -1, 0 // kind 1: letters, 2: digits
	for i, r := range s {
		k := 0
		switch {
		case r >= '0' && r <= '9':
			k = 2
		case unicode.IsLetter(r):
			k = 1
		}
		if k != kind && start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

func privateKeys(body string) []Finding {
	var out []Finding
	named := -1 // whether the message names a private key; found lazily
	for _, t := range alnumRuns(body) {
		w := body[t[0]:t[1]]
		switch n := len(w); {
		case (n == 51 || n == 52) && strings.ContainsRune("5KLc9", rune(w[0])):
			if b, ok := base58Check(w); ok && (b[0] == 0x80 || b[0] == 0xef) && (len(b) == 33 || len(b) == 34) {
				out = append(out, Finding{Kind: PrivateKey, Start: t[0], End: t[1]})
			}
		case n >= 104 && n <= 116 && strings.HasSuffix(w[:4], "prv") && strings.ContainsRune("xyzt", rune(w[0])):
			if b, ok := base58Check(w); ok && len(b) == 78 {
				out = append(out, Finding{Kind: PrivateKey, Start: t[0], End: t[1]})
			}
		case n == 64 || (n == 66 && (w[:2] == "0x" || w[:2] == "0X")):
			if !isHex(w[n-64:]) {
				continue
			}
			if named < 0 {
				named = 0
				if namesKey(body) {
					named = 1
				}
			}
			if named == 1 {
				out = append(out, Finding{Kind: PrivateKey, Start: t[0], End: t[1]})
			}
		}
	}
	return out
}

// alnumRuns returns the byte ranges of maximal runs of ASCII letters and
// digits; keys are always such a run.
func alnumRuns(s string) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= len(s); i++ {
		alnum := i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			if i-start >= 50 {
				out = append(out, [2]int{start, i})
			}
			start = -1
		}
	}
	return out
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func twoFactorCodes(body string, sc ScanContext) []Finding {
	if m := loneCodeRE.FindStringSubmatchIndex(body); m != nil {
		if sc.CodeExpected {
			return nil // the answer to the desk's own code, handled by the screen
		}
		return []Finding{{Kind: TwoFactorCode, Start: m[2], End: m[3]}}
	}
	if !names2FA(body) {
		return nil
	}
	var out []Finding
	for _, m := range sixRE.FindAllStringSubmatchIndex(body, -1) {
		out = append(out, Finding{Kind: TwoFactorCode, Start: m[2], End: m[3]})
	}
	return out
}

// Plain substring and word checks: Go's regexp engine is slow on long
// case-insensitive alternations, and this runs on every message.
var (
	keyPhrases = []string{"private key", "privatekey", "private_key", "private-key", "privkey", "priv key", "secret key", "keystore", "私钥", "密钥"}
	tfaPhrases = []string{"authenticator", "google auth", "sms code", "verification code", "security code", "谷歌验证", "身份验证器", "验证码", "动态码", "安全码"}
	tfaWords   = []string{"2fa", "otp", "totp"}
)

func namesKey(body string) bool { return containsAny(strings.ToLower(body), keyPhrases) }

func names2FA(body string) bool {
	lower := strings.ToLower(body)
	if containsAny(lower, tfaPhrases) {
		return true
	}
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		for _, t := range tfaWords {
			if w == t {
				return true
			}
		}
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// LoneCode returns the six digits when the whole message is a code, so a
// pending one-time code can be checked against it.
func LoneCode(body string) (string, bool) {
	m := loneCodeRE.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return strings.NewReplacer(" ", "", "-", "").Replace(m[1]), true
}

func merge(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if n := len(out); n > 0 && f.Start < out[n-1].End {
			if f.End > out[n-1].End {
				out[n-1].End = f.End
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// Redact replaces each finding with a marker naming its kind, so the
// secret never reaches the database and the thread still reads sensibly.
func Redact(body string, fs []Finding) string {
	var b strings.Builder
	last := 0
	for _, f := range fs {
		b.WriteString(body[last:f.Start])
		b.WriteString("[redacted " + strings.ReplaceAll(string(f.Kind), "_", " ") + "]")
		last = f.End
	}
	b.WriteString(body[last:])
	return b.String()
}

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Check decodes s and checks its four-byte double-SHA-256 checksum.
func base58Check(s string) ([]byte, bool) {
	n := new(big.Int)
	for _, r := range s {
		i := strings.IndexRune(b58, r)
		if i < 0 {
			return nil, false
		}
		n.Mul(n, big.NewInt(58))
		n.Add(n, big.NewInt(int64(i)))
	}
	raw := n.Bytes()
	for _, r := range s {
		if r != '1' {
			break
		}
		raw = append([]byte{0}, raw...)
	}
	if len(raw) < 5 {
		return nil, false
	}
	payload, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	h := sha256.Sum256(payload)
	h = sha256.Sum256(h[:])
	if string(h[:4]) != string(sum) {
		return nil, false
	}
	return payload, true
}
