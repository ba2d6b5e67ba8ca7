package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// newBilling builds the billing service from the environment:
//
//	WAIHU_LOW_BALANCE_FEN       default low-balance alert threshold (fen; 0 = off; default 10000)
//	WAIHU_STATEMENT_DAY, WAIHU_STATEMENT_HOUR  when monthly statements go out (default the 1st, 02:00 China time)
//	WAIHU_SMTP_ADDR, WAIHU_SMTP_FROM, WAIHU_SMTP_USER, WAIHU_SMTP_PASSWORD   alert e-mail relay
//	WAIHU_ALIPAY_APP_ID, WAIHU_ALIPAY_PRIVATE_KEY, WAIHU_ALIPAY_PUBLIC_KEY, WAIHU_ALIPAY_GATEWAY
//	                            Alipay online recharge (keys PEM or base64, as the Alipay console shows them)
//	WAIHU_WECHATPAY_MCH_ID, WAIHU_WECHATPAY_APP_ID, WAIHU_WECHATPAY_SERIAL_NO, WAIHU_WECHATPAY_PRIVATE_KEY,
//	WAIHU_WECHATPAY_PLATFORM_SERIAL, WAIHU_WECHATPAY_PLATFORM_KEY, WAIHU_WECHATPAY_APIV3_KEY
//	                            WeChat Pay API v3 Native recharge (merchant API key and serial, WeChat Pay's
//	                            public key and its serial / PUB_KEY_ID, the 32-byte APIv3 key)
func newBilling(db *store.DB, accounts *tenant.Service, log *slog.Logger) (*billing.Service, error) {
	opt := billing.Options{LowBalanceFen: 10000, Providers: map[string]billing.Provider{}}
	if v := os.Getenv("WAIHU_LOW_BALANCE_FEN"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("WAIHU_LOW_BALANCE_FEN=%q: not a non-negative amount in fen", v)
		}
		opt.LowBalanceFen = n
	}
	if v := os.Getenv("WAIHU_STATEMENT_DAY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 28 {
			return nil, fmt.Errorf("WAIHU_STATEMENT_DAY=%q: not a day of the month from 1 to 28", v)
		}
		opt.StatementDay = n
	}
	if v := os.Getenv("WAIHU_STATEMENT_HOUR"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 23 {
			return nil, fmt.Errorf("WAIHU_STATEMENT_HOUR=%q: not an hour from 0 to 23", v)
		}
		opt.StatementHour = &n
	}
	if addr := os.Getenv("WAIHU_SMTP_ADDR"); addr != "" {
		opt.Mailer = &billing.SMTPMailer{Addr: addr, From: os.Getenv("WAIHU_SMTP_FROM"), Username: os.Getenv("WAIHU_SMTP_USER"), Password: os.Getenv("WAIHU_SMTP_PASSWORD")}
	}
	if app := os.Getenv("WAIHU_ALIPAY_APP_ID"); app != "" {
		priv, pub, err := billing.ParseRSAKeys(os.Getenv("WAIHU_ALIPAY_PRIVATE_KEY"), os.Getenv("WAIHU_ALIPAY_PUBLIC_KEY"))
		if err != nil {
			return nil, fmt.Errorf("alipay keys: %w", err)
		}
		opt.Providers["alipay"] = &billing.Alipay{AppID: app, Gateway: os.Getenv("WAIHU_ALIPAY_GATEWAY"), PrivateKey: priv, AlipayKey: pub}
	}
	if mch := os.Getenv("WAIHU_WECHATPAY_MCH_ID"); mch != "" {
		priv, pub, err := billing.ParseRSAKeys(os.Getenv("WAIHU_WECHATPAY_PRIVATE_KEY"), os.Getenv("WAIHU_WECHATPAY_PLATFORM_KEY"))
		if err != nil {
			return nil, fmt.Errorf("wechatpay keys: %w", err)
		}
		v3 := []byte(os.Getenv("WAIHU_WECHATPAY_APIV3_KEY"))
		if len(v3) != 32 {
			return nil, fmt.Errorf("WAIHU_WECHATPAY_APIV3_KEY: must be the 32-character APIv3 key")
		}
		opt.Providers["wechatpay"] = &billing.WechatPay{MchID: mch, AppID: os.Getenv("WAIHU_WECHATPAY_APP_ID"), SerialNo: os.Getenv("WAIHU_WECHATPAY_SERIAL_NO"),
			PrivateKey: priv, PlatformKeys: map[string]*rsa.PublicKey{os.Getenv("WAIHU_WECHATPAY_PLATFORM_SERIAL"): pub}, APIv3Key: v3}
	}
	return billing.New(db, accounts, log, opt), nil
}

// billingUsage hands call control's per-call usage to billing (in the
// transaction that finishes the call, before billing's finish hook).
func billingUsage(bill *billing.Service) callctl.UsageHook {
	return func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u callctl.Usage) error {
		return bill.RecordUsage(ctx, tx, a, billing.Usage{ASRSec: u.ASRSec, TTSChars: u.TTSChars, LLMTokens: u.LLMTokens})
	}
}
