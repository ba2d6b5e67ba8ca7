package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// newBilling builds the billing service from the environment:
//
//	WAIHU_LOW_BALANCE_FEN       default low-balance alert threshold (fen; 0 = off; default 10000)
//	WAIHU_SMTP_ADDR, WAIHU_SMTP_FROM, WAIHU_SMTP_USER, WAIHU_SMTP_PASSWORD   alert e-mail relay
//	WAIHU_ALIPAY_APP_ID, WAIHU_ALIPAY_PRIVATE_KEY, WAIHU_ALIPAY_PUBLIC_KEY, WAIHU_ALIPAY_GATEWAY
//	                            Alipay online recharge (keys PEM or base64, as the Alipay console shows them)
func newBilling(db *store.DB, accounts *tenant.Service, log *slog.Logger) (*billing.Service, error) {
	opt := billing.Options{LowBalanceFen: 10000, Providers: map[string]billing.Provider{}}
	if v := os.Getenv("WAIHU_LOW_BALANCE_FEN"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("WAIHU_LOW_BALANCE_FEN=%q: not a non-negative amount in fen", v)
		}
		opt.LowBalanceFen = n
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
	return billing.New(db, accounts, log, opt), nil
}
