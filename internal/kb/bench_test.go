package kb_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/kb"
)

// benchWords and benchHan are the vocabulary of the synthetic help center:
// exchange words, so posting lists are as long as in a real one.
var benchWords = strings.Fields(`withdrawal deposit network confirmation address memo tag wallet account security verification
	identity document passport selfie trading order limit market futures margin leverage liquidation fee maker taker
	spot p2p merchant payment bank card transfer fiat stablecoin usdt bitcoin ethereum tron solana chain blockchain
	pending delayed failed rejected frozen unlock password email phone authenticator reset device login session
	api key subaccount referral rebate reward campaign voucher tax statement history export report balance asset
	convert swap staking earn savings loan collateral interest funding rate index price mark contract delivery`)

var benchHan = []string{"提现", "充值", "网络", "确认", "地址", "备注", "钱包", "账户", "安全", "认证", "身份", "护照", "交易",
	"订单", "合约", "杠杆", "强平", "手续费", "现货", "商家", "银行卡", "转账", "法币", "稳定币", "比特币", "以太坊", "处理中",
	"延迟", "失败", "冻结", "解冻", "密码", "邮箱", "手机", "验证器", "重置", "设备", "登录", "返佣", "奖励", "余额", "资产"}

// benchIndex builds an index of n articles, half English and half Chinese.
func benchIndex(n int) *kb.Index {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(words []string, k int, sep string) string {
		out := make([]string, k)
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return strings.Join(out, sep)
	}
	docs := make([]kb.Doc, 0, n)
	for i := range n {
		d := kb.Doc{ArticleID: int64(i + 1), Slug: fmt.Sprintf("article-%d", i)}
		if i%2 == 0 {
			d.Language = "en"
			d.Title, d.Summary, d.Body = pick(benchWords, 6, " "), pick(benchWords, 15, " "), pick(benchWords, 250, " ")
			d.Questions = []string{pick(benchWords, 6, " "), pick(benchWords, 6, " ")}
		} else {
			d.Language = "zh"
			d.Title, d.Summary, d.Body = pick(benchHan, 5, ""), pick(benchHan, 12, ""), pick(benchHan, 200, "")
			d.Questions = []string{pick(benchHan, 5, ""), pick(benchHan, 5, "")}
		}
		docs = append(docs, d)
	}
	return kb.Build(docs)
}

var benchQueries = []string{"withdrawal pending", "deposit not credited network", "withdrawl delayed", "authenticatr reset",
	"提现处理中", "充值没有到账", "账户冻结怎么解冻", "手续费", "futures liquidation margin", "passport selfie verification failed"}

// BenchmarkSearch10k measures one query against 10,000 articles and
// reports the 99th percentile as well as the mean.
func BenchmarkSearch10k(b *testing.B) {
	ix := benchIndex(10_000)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		q := benchQueries[i%len(benchQueries)]
		start := time.Now()
		hits := ix.Search(q, kb.SearchOptions{Language: "en"})
		lat = append(lat, time.Since(start))
		if len(hits) == 0 {
			b.Fatalf("no hits for %q", q)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkBuild10k measures a full rebuild, which runs after each publish.
func BenchmarkBuild10k(b *testing.B) {
	for range b.N {
		benchIndex(10_000)
	}
}
