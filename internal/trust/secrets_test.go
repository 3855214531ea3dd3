package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestWordListIsTheStandardOne(t *testing.T) {
	sum := sha256.Sum256([]byte(bip39English))
	// SHA-256 of bip-0039/english.txt as published with the standard.
	if got := hex.EncodeToString(sum[:]); got != "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda" {
		t.Fatalf("word list hash %s", got)
	}
	if len(bip39) != 2048 {
		t.Fatalf("%d words", len(bip39))
	}
}

func TestScan(t *testing.T) {
	const (
		wif     = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
		wifComp = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
		xprv    = "xprv9s21ZrQH143K3XsBixuKbykV3aFPpTGKdDWxMTW3k2ycGK5L8jYyCJD27fY5dYEGksLCgCASL3jgA9XcoJWm9R74szgukEedYLCAm9zRDRT"
		hex64   = "0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d"
	)
	for _, tc := range []struct {
		name string
		body string
		sc   ScanContext
		want []SecretKind
		kept string // must survive redaction
	}{
		{"12-word phrase", "my words are abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about thanks", ScanContext{}, []SecretKind{SeedPhrase}, "thanks"},
		{"numbered capitalised phrase", "1. Legal 2. Winner 3. Thank 4. Year 5. Wave 6. Sausage 7. Worth 8. Useful 9. Legal 10. Winner 11. Thank 12. Yellow", ScanContext{}, []SecretKind{SeedPhrase}, ""},
		{"24 words over lines", strings.Repeat("zoo\n", 23) + "wrong", ScanContext{}, []SecretKind{SeedPhrase}, ""},
		{"11 words is not a phrase", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", ScanContext{}, nil, ""},
		{"ordinary prose", "Please cancel my order, I made a mistake and want to sell the coin at market price before the news", ScanContext{}, nil, ""},
		{"Chinese prose", "我的提现一直在审核中，已经两个小时了，请帮忙看看", ScanContext{}, nil, ""},
		{"WIF key", "here is my key " + wif + " thanks", ScanContext{}, []SecretKind{PrivateKey}, "thanks"},
		{"compressed WIF", wifComp, ScanContext{}, []SecretKind{PrivateKey}, ""},
		{"WIF with a bad checksum", "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK", ScanContext{}, nil, ""},
		{"xprv", "backup: " + xprv, ScanContext{}, []SecretKind{PrivateKey}, "backup"},
		{"hex key named as such", "private key: 0x" + hex64, ScanContext{}, []SecretKind{PrivateKey}, ""},
		{"hex key in Chinese", "这是我的私钥 " + hex64, ScanContext{}, []SecretKind{PrivateKey}, ""},
		{"a TxID is not a key", "my withdrawal txid is 0x" + hex64 + " still pending", ScanContext{}, nil, ""},
		{"a bitcoin address is not a key", "sent to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", ScanContext{}, nil, ""},
		{"lone code", "482913", ScanContext{}, []SecretKind{TwoFactorCode}, ""},
		{"lone code with a space", " 482 913 ", ScanContext{}, []SecretKind{TwoFactorCode}, ""},
		{"code: prefix", "code: 482913", ScanContext{}, []SecretKind{TwoFactorCode}, "code"},
		{"2FA in a sentence", "my google authenticator says 482913 is that right", ScanContext{}, []SecretKind{TwoFactorCode}, "authenticator"},
		{"验证码", "验证码是482913", ScanContext{}, []SecretKind{TwoFactorCode}, "验证码"},
		{"lone code while our code is pending", "482913", ScanContext{CodeExpected: true}, nil, ""},
		{"2FA named while our code is pending", "my google authenticator shows 482913", ScanContext{CodeExpected: true}, []SecretKind{TwoFactorCode}, "authenticator"},
		{"order id in a sentence", "order 482913 failed", ScanContext{}, nil, ""},
		{"amount", "I sent 250000 USDT", ScanContext{}, nil, ""},
		{"seven digits alone", "4829131", ScanContext{}, nil, ""},
		{"UID", "my uid is U10000001", ScanContext{}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Scan(tc.body, tc.sc)
			var got []SecretKind
			for _, f := range fs {
				got = append(got, f.Kind)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Fatalf("Scan(%q) = %v, want %v", tc.body, got, tc.want)
			}
			// Clean, which lets a message skip screening in the shared
			// transaction, must never pass a message holding a secret.
			if clean := (&Screen{}).Clean(tc.body); tc.sc == (ScanContext{}) && clean != (len(tc.want) == 0) {
				t.Errorf("Clean(%q) = %v with findings %v", tc.body, clean, tc.want)
			}
			red := Redact(tc.body, fs)
			for _, secret := range []string{"abandon abandon", "Sausage", wif, wifComp, xprv, hex64, "482913", "482 913", "zoo\nzoo"} {
				if len(fs) > 0 && strings.Contains(tc.body, secret) && strings.Contains(red, secret) {
					t.Errorf("redacted body still holds %q: %q", secret, red)
				}
			}
			if tc.kept != "" && !strings.Contains(red, tc.kept) {
				t.Errorf("redaction removed the rest of the message: %q", red)
			}
			if len(fs) > 0 && !strings.Contains(red, "[redacted ") {
				t.Errorf("no marker in %q", red)
			}
		})
	}
}

func TestLoneCode(t *testing.T) {
	for in, want := range map[string]string{"123456": "123456", "123 456": "123456", "code: 123-456": "123456", "my code is 654321.": "654321", "验证码是 654321": "654321"} {
		if got, ok := LoneCode(in); !ok || got != want {
			t.Errorf("LoneCode(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"order 123456", "1234567", "12345", ""} {
		if _, ok := LoneCode(in); ok {
			t.Errorf("LoneCode(%q) matched", in)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add("abandon abandon abandon 123456 private key " + strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, s string) {
		fs := Scan(s, ScanContext{})
		for _, x := range fs {
			if x.Start < 0 || x.End > len(s) || x.Start >= x.End {
				t.Fatalf("bad range %+v for %q", x, s)
			}
		}
		_ = Redact(s, fs)
	})
}
