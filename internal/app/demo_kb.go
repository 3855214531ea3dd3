package app

import (
	"context"
	"time"

	"vigil/internal/kb"
)

// demoCategory and demoArticle are the demo help center. Some example
// questions are adapted from the BANKING77 data set (Casanueva et al.,
// 2020, CC BY 4.0; see docs/dependencies.md).
type demoCategory struct {
	slug, en, zh string
}

type demoText struct {
	title, summary, body string
	questions            []string
}

type demoArticle struct {
	slug, category string
	internal       bool
	en, zh         demoText
}

var demoCategories = []demoCategory{
	{"deposits", "Deposits", "充值"},
	{"withdrawals", "Withdrawals", "提现"},
	{"security", "Account security", "账户安全"},
	{"verification", "Identity verification (KYC)", "身份认证（KYC）"},
	{"fees", "Fees", "手续费"},
	{"account", "Your account", "我的账户"},
}

var demoArticles = []demoArticle{
	{slug: "withdrawal-pending", category: "withdrawals",
		en: demoText{"Why is my withdrawal still pending?", "Most withdrawals are sent within 30 minutes; large amounts, a new address or network congestion can add a security review or confirmation time.",
			"## What \"pending\" means\n\nA withdrawal is **pending** while it waits for our security review or for the blockchain.\n\n1. Open **Assets → History → Withdrawals**.\n2. If a TxID is shown, the coins have left the exchange: look the TxID up in a block explorer to see its confirmations.\n3. If there is no TxID after 2 hours, contact support with the withdrawal ID.\n\nWithdrawals to an address added in the last 24 hours are held for your protection.",
			[]string{"where is my withdrawal", "my withdrawal has not arrived", "withdrawal still pending", "why is my withdrawal taking so long",
				"I withdrew USDT hours ago and it is not in my wallet", "withdrawal stuck processing", "When will my withdrawal finish pending?",
				"I can't figure out why a withdrawal is still pending", "how long do withdrawals take", "withdrawal shows processing"}},
		zh: demoText{"为什么我的提现还在处理中？", "大多数提现在 30 分钟内发出；大额、新地址或网络拥堵时，可能需要安全审核或更长的确认时间。",
			"## “处理中”是什么意思\n\n提现在等待安全审核或区块确认时显示为**处理中**。\n\n1. 打开 **资产 → 历史记录 → 提现**。\n2. 如果已显示交易哈希（TxID），说明币已转出，可在区块浏览器中查看确认数。\n3. 如果 2 小时后仍没有 TxID，请带上提现编号联系客服。\n\n为保护您的资产，向 24 小时内新添加的地址提现会被暂时冻结。",
			[]string{"提现一直没到账", "提现还在处理中", "提币多久到账", "我的提现怎么还没到", "提现卡住了", "提现显示处理中", "提现好几个小时了还没到"}}},
	{slug: "withdrawal-wrong-network", category: "withdrawals",
		en: demoText{"I sent crypto to the wrong network or address", "Transactions on a blockchain cannot be reversed; whether funds can be recovered depends on who controls the receiving address.",
			"If you withdrew to an address on a different network (for example ERC20 instead of TRC20), the coins are at that address on the other network.\n\n- **Your own wallet:** import the same private key into a wallet for that network.\n- **Another exchange:** ask that exchange's support; some can recover for a fee.\n- **Someone else's address:** we cannot reverse the transaction.\n\nAlways check the network and test with a small amount first.",
			[]string{"I sent to the wrong network", "withdrew to the wrong address", "chose the wrong chain for my withdrawal", "can you reverse my withdrawal",
				"sent USDT on ERC20 instead of TRC20", "cancel a withdrawal I already sent"}},
		zh: demoText{"提现选错了网络或地址怎么办？", "区块链上的交易无法撤回；资金能否找回取决于谁控制接收地址。",
			"如果提现时选错了网络（例如用 ERC20 代替 TRC20），币会在另一条网络上的同一地址。\n\n- **自己的钱包：**在支持该网络的钱包中导入同一私钥。\n- **其他交易所：**联系对方客服，部分交易所可付费找回。\n- **他人地址：**我们无法撤回交易。\n\n请务必核对网络，并先小额测试。",
			[]string{"提现选错网络了", "提现地址填错了", "提币选错链了", "能撤回提现吗", "转错网络了怎么找回"}}},
	{slug: "deposit-not-credited", category: "deposits",
		en: demoText{"My deposit has not been credited", "Deposits are credited after the network's required confirmations; check the network, the amount and, for some coins, the memo or tag.",
			"1. Find the transaction in **Assets → History → Deposits**, or look up its TxID in a block explorer.\n2. Check that it has the required confirmations (shown on the deposit page for each coin).\n3. Check that you used a network we support for that coin.\n4. Amounts below the minimum deposit are not credited automatically.\n\nStill missing after the confirmations? Contact support with the TxID.",
			[]string{"deposit not credited", "I sent crypto but do not see it", "my deposit is missing", "deposit not showing in balance",
				"how long do deposits take", "i put money in and it is not showing in my balance", "my deposit is pending", "How long will it take for my deposit to arrive?",
				"deposit has confirmations but no balance"}},
		zh: demoText{"充值未到账怎么办？", "充值需要达到网络要求的确认数才会入账；请检查网络、金额，以及部分币种所需的备注（Memo/Tag）。",
			"1. 在 **资产 → 历史记录 → 充值** 中找到该笔交易，或在区块浏览器中查询交易哈希。\n2. 确认已达到所需确认数（每个币种的充值页面有说明）。\n3. 确认使用的是该币种支持的网络。\n4. 低于最小充值额的金额不会自动入账。\n\n确认数已满仍未到账？请带上交易哈希联系客服。",
			[]string{"充值没到账", "充币一直不到", "我充值了但余额没有变化", "充值多久到账", "充值显示确认中", "充值到账慢"}}},
	{slug: "deposit-missing-memo", category: "deposits",
		en: demoText{"I forgot the memo or tag on my deposit", "Coins such as XRP, XLM, EOS and ATOM need a memo or tag; a deposit without one can be recovered by support.",
			"Some networks use one shared address for everyone and tell deposits apart by the **memo** (also called tag or comment).\n\nIf you left it out or typed it wrong, contact support with the TxID, the coin and the amount. Recovery usually takes 1-3 working days.",
			[]string{"forgot the memo on my deposit", "deposit without tag", "wrong memo XRP deposit", "I didn't put the destination tag", "missing memo"}},
		zh: demoText{"充值忘记填写备注（Memo/Tag）", "XRP、XLM、EOS、ATOM 等币种需要备注；未填写备注的充值可由客服找回。",
			"部分网络所有用户共用一个地址，通过**备注**（Memo/Tag）区分充值。\n\n如果漏填或填错，请带上交易哈希、币种和金额联系客服，通常 1-3 个工作日内处理完毕。",
			[]string{"充值忘记填备注", "充值没写标签", "XRP 备注填错了", "漏填 memo"}}},
	{slug: "reset-2fa", category: "security",
		en: demoText{"Reset two-factor authentication (2FA)", "Lost your authenticator or changed phones? Start a 2FA reset from the sign-in page; after identity checks it takes 1-3 days.",
			"1. On the sign-in page, choose **Security verification unavailable?**\n2. Confirm your email and phone, then take a selfie holding your ID.\n3. We review the request within 1-3 days; withdrawals stay disabled for 24 hours after a reset.\n\nSupport will never ask you for your password or an authentication code.",
			[]string{"lost my authenticator", "reset 2fa", "new phone lost google authenticator", "cannot get 2fa code", "how do I change my authenticator app",
				"my phone was lost, I cannot log in with 2fa", "google authenticator codes don't work", "I lost my phone, what should I do about 2FA?"}},
		zh: demoText{"如何重置双重验证（2FA）？", "丢失验证器或更换了手机？请在登录页面申请重置，通过身份核验后 1-3 天完成。",
			"1. 在登录页面选择 **安全验证不可用？**\n2. 验证邮箱和手机，然后上传手持证件的自拍照。\n3. 我们会在 1-3 天内审核；重置后 24 小时内无法提现。\n\n客服绝不会向您索要密码或验证码。",
			[]string{"谷歌验证器丢了", "重置谷歌验证", "换手机了验证码收不到", "怎么解绑验证器", "二次验证丢失无法登录", "谷歌验证码不对"}}},
	{slug: "freeze-account", category: "security",
		en: demoText{"Freeze your account at once", "If you think someone else has access, freeze your account yourself: it stops trading and withdrawals immediately, even at night.",
			"Go to **Security → Freeze account**, or use the link in any login alert email. A frozen account cannot trade, withdraw or change security settings.\n\nTo unfreeze, contact support: we verify your identity first. Then change your password and reset 2FA.",
			[]string{"how do I freeze my account", "lock my account", "disable my account right now", "someone has my password", "suspicious login alert"}},
		zh: demoText{"立即冻结账户", "如果怀疑他人能访问您的账户，请自行冻结：交易和提现会立即停止，深夜也有效。",
			"前往 **安全 → 冻结账户**，或使用登录提醒邮件中的链接。冻结后无法交易、提现或修改安全设置。\n\n解冻请联系客服，我们会先核验您的身份。之后请修改密码并重置双重验证。",
			[]string{"怎么冻结账户", "锁定我的账号", "有人知道我的密码", "收到异常登录提醒"}}},
	{slug: "forgot-password", category: "security",
		en: demoText{"I forgot my password", "Reset it from the sign-in page with your email and 2FA; withdrawals are paused for 24 hours afterwards for your safety.",
			"Choose **Forgot password** on the sign-in page, enter your email and follow the link we send. You will need your 2FA code. After a reset, withdrawals are disabled for 24 hours.",
			[]string{"forgot my password", "I can't recall my password", "reset password", "I don't know what my password is", "password not working cannot log in"}},
		zh: demoText{"忘记密码怎么办？", "在登录页面通过邮箱和双重验证重置；为了安全，重置后 24 小时内暂停提现。",
			"在登录页面选择 **忘记密码**，输入邮箱并点击我们发送的链接，需要验证双重验证码。重置后 24 小时内无法提现。",
			[]string{"忘记密码了", "密码想不起来", "重置登录密码", "密码错误登不上"}}},
	{slug: "verify-identity", category: "verification",
		en: demoText{"How to verify your identity (KYC)", "Upload a government ID and a selfie under Account → Verification; most checks finish within 15 minutes.",
			"You need:\n\n- a passport, national ID card or driving licence that has not expired;\n- a clear selfie in good light.\n\nGo to **Account → Verification** and follow the steps. Higher withdrawal limits need proof of address too.",
			[]string{"how do I verify my identity", "What do you require for identity verification?", "how to do kyc", "what documents do I need",
				"How can I prove I am me?", "verification steps", "how long does kyc take"}},
		zh: demoText{"如何完成身份认证（KYC）？", "在 账户 → 身份认证 中上传证件和自拍照；大多数审核在 15 分钟内完成。",
			"您需要：\n\n- 有效期内的护照、身份证或驾照；\n- 光线充足的清晰自拍照。\n\n前往 **账户 → 身份认证** 按步骤操作。更高的提现额度还需要地址证明。",
			[]string{"怎么实名认证", "KYC 需要什么证件", "身份认证怎么做", "实名认证要多久"}}},
	{slug: "verification-rejected", category: "verification",
		en: demoText{"My identity verification was rejected", "Most rejections are a blurred or cropped photo, an expired document or a name that does not match; you can try again at once.",
			"The rejection email says why. Common reasons:\n\n- the photo is blurred, dark or cut off;\n- the document has expired;\n- the name differs from the one on your account.\n\nFix the cause and submit again under **Account → Verification**.",
			[]string{"kyc rejected", "my verification failed", "why was my identity not accepted", "I am having some difficulty verifying my id", "verification declined"}},
		zh: demoText{"身份认证被拒绝了", "大多数被拒原因是照片模糊或不完整、证件过期或姓名不一致；可立即重新提交。",
			"拒绝邮件会说明原因。常见原因：\n\n- 照片模糊、过暗或被裁切；\n- 证件已过期；\n- 姓名与账户不一致。\n\n修正后在 **账户 → 身份认证** 重新提交。",
			[]string{"实名认证被拒", "KYC 审核失败", "身份认证没通过", "认证被驳回"}}},
	{slug: "trading-fees", category: "fees",
		en: demoText{"Trading fees explained", "Spot trades cost 0.10% for makers and takers; holding the exchange token or a higher VIP level lowers the rate.",
			"| Level | Maker | Taker |\n|---|---|---|\n| Regular | 0.10% | 0.10% |\n| VIP 1 | 0.09% | 0.10% |\n| VIP 3 | 0.06% | 0.08% |\n\nFees are taken from the asset you receive.",
			[]string{"what are the trading fees", "how much is the fee", "maker taker fee", "why was I charged a fee on my trade", "fee schedule", "spot trading fee"}},
		zh: demoText{"交易手续费说明", "现货交易 Maker 和 Taker 费率均为 0.10%；持有平台币或更高 VIP 等级可降低费率。",
			"| 等级 | Maker | Taker |\n|---|---|---|\n| 普通 | 0.10% | 0.10% |\n| VIP 1 | 0.09% | 0.10% |\n| VIP 3 | 0.06% | 0.08% |\n\n手续费从您获得的资产中扣除。",
			[]string{"交易手续费多少", "现货手续费", "maker taker 费率", "为什么扣了手续费"}}},
	{slug: "withdrawal-fees", category: "fees",
		en: demoText{"Withdrawal fees and minimums", "Each coin and network has a fixed withdrawal fee that covers the blockchain cost; it is shown before you confirm.",
			"The fee depends on the network, not the amount: USDT on TRC20 costs 1 USDT, on ERC20 about 5 USDT. The withdrawal page shows the fee and the minimum before you confirm.",
			[]string{"withdrawal fee", "how much is the withdrawal fee", "how much does it cost to withdraw", "why is the withdrawal fee so high", "minimum withdrawal amount",
				"what fee do you charge to withdraw BTC", "network fee for withdrawals", "USDT withdrawal fee on TRC20",
				"There is a fee for a withdrawal, please explain that to me", "what is the ETH withdrawal fee"}},
		zh: demoText{"提现手续费和最小提现额", "每个币种和网络有固定的提现手续费，用于支付链上费用；确认前会显示。",
			"手续费取决于网络而非金额：TRC20 的 USDT 为 1 USDT，ERC20 约 5 USDT。提现页面会在确认前显示手续费和最小提现额。",
			[]string{"提现手续费", "提币要多少手续费", "提现手续费为什么这么高", "最小提现额是多少"}}},
	{slug: "close-account", category: "account",
		en: demoText{"Close your account", "Withdraw all assets first, then request closure under Account → Settings; closure is final after 30 days.",
			"1. Cancel open orders and withdraw every asset.\n2. Go to **Account → Settings → Close account**.\n3. You can change your mind within 30 days by contacting support.",
			[]string{"how do I delete my account", "close my account", "How do I deactivate my account?", "remove my account", "I want to stop using the exchange"}},
		zh: demoText{"注销账户", "请先提出所有资产，然后在 账户 → 设置 中申请注销；30 天后注销生效且不可恢复。",
			"1. 撤销挂单并提出全部资产。\n2. 前往 **账户 → 设置 → 注销账户**。\n3. 30 天内可联系客服撤销申请。",
			[]string{"怎么注销账户", "删除我的账号", "不想用了怎么销户"}}},
	{slug: "agent-withdrawal-escalation", category: "withdrawals", internal: true,
		en: demoText{"Internal: escalating stuck withdrawals", "When to hand a withdrawal to the wallet team, and what to collect first.",
			"Escalate to **Wallet Operations** when a withdrawal has no TxID after 2 hours, or the chain shows it failed.\n\nCollect: withdrawal ID, asset, network, amount, destination address. Never promise a time the wallet team has not confirmed.",
			nil},
		zh: demoText{"内部：提现卡单升级流程", "何时将提现转交钱包团队，以及需要先收集哪些信息。",
			"提现超过 2 小时仍无交易哈希，或链上显示失败时，升级至 **钱包运营** 团队。\n\n需收集：提现编号、币种、网络、金额、目标地址。不要承诺钱包团队未确认的时间。", nil}},
}

// loadDemoKB publishes the demo help center and two announcements: a
// general phishing notice showing now and a maintenance window later.
func (a *App) loadDemoKB(ctx context.Context) error {
	cats := map[string]int64{}
	for i, c := range demoCategories {
		cat, err := a.KB.CreateCategory(ctx, kb.CategoryInput{Slug: c.slug, Position: i, Names: map[string]string{"en": c.en, "zh": c.zh}})
		if err != nil {
			return err
		}
		cats[c.slug] = cat.ID
	}
	for i, d := range demoArticles {
		art, err := a.KB.CreateArticle(ctx, kb.ArticleInput{Slug: d.slug, CategoryID: cats[d.category], Internal: d.internal, Position: i})
		if err != nil {
			return err
		}
		for lang, t := range map[string]demoText{"en": d.en, "zh": d.zh} {
			if t.title == "" {
				continue
			}
			in := kb.VersionInput{Title: t.title, Summary: t.summary, Body: t.body, Questions: t.questions}
			if _, err := a.KB.SaveDraft(ctx, 0, art.ID, lang, in); err != nil {
				return err
			}
			if _, err := a.KB.Publish(ctx, art.ID, lang); err != nil {
				return err
			}
		}
	}
	now := a.Now().UTC().Truncate(time.Hour)
	for _, in := range []kb.AnnouncementInput{
		{Titles: map[string]string{"en": "Beware of impersonators", "zh": "谨防假冒客服"},
			Bodies: map[string]string{"en": "Support will never ask for your password, 2FA codes or private keys, and never calls you first.",
				"zh": "客服绝不会索要您的密码、验证码或私钥，也不会主动给您打电话。"},
			StartsAt: now.Add(-time.Hour), EndsAt: now.Add(30 * 24 * time.Hour)},
		{Topic: "withdrawal", Titles: map[string]string{"en": "Scheduled wallet maintenance: BTC withdrawals paused", "zh": "钱包例行维护：暂停 BTC 提现"},
			Bodies: map[string]string{"en": "BTC withdrawals pause for about two hours during wallet maintenance. Deposits and trading are not affected; your funds are safe.",
				"zh": "钱包维护期间暂停 BTC 提现约两小时，充值和交易不受影响，资金安全。"},
			StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour)},
	} {
		if _, err := a.KB.CreateAnnouncement(ctx, 0, in); err != nil {
			return err
		}
	}
	return nil
}
