package billing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waihu/waihu/app/store"
)

// Provider is an online payment provider. Checkout gives the tenant's
// browser somewhere to pay; the provider then calls waihu back with a signed
// notification, which VerifyNotify checks and decodes. Nothing is credited
// on the browser's word: only a verified notification confirms an order.
type Provider interface {
	Name() string
	// Checkout returns the URL the tenant's browser opens to pay the order.
	Checkout(o *store.RechargeOrder, notifyURL string) (string, error)
	// VerifyNotify checks a callback's signature and returns what it says.
	VerifyNotify(form url.Values) (*PaymentNotice, error)
	// Ack is the body the provider expects when the notice was processed.
	Ack() string
}

// PaymentNotice is a verified provider callback.
type PaymentNotice struct {
	OrderNo   string
	TradeNo   string
	AmountFen int64
	Paid      bool
}

// ErrBadSignature rejects a callback that was not signed by the provider.
var ErrBadSignature = errors.New("payment notice: bad signature")

// Alipay is the Alipay (支付宝) computer-website payment adapter
// (alipay.trade.page.pay) with RSA2 signatures: requests are signed with the
// merchant's private key, asynchronous notifications are verified with
// Alipay's public key. The string to sign is every parameter except sign and
// sign_type (and empty ones), sorted by name, joined as k=v with &, signed
// SHA256withRSA, base64 encoded.
type Alipay struct {
	AppID      string
	Gateway    string // https://openapi.alipay.com/gateway.do
	PrivateKey *rsa.PrivateKey
	AlipayKey  *rsa.PublicKey
	Now        func() time.Time
}

// ParseRSAKeys reads a PKCS#8 or PKCS#1 private key and a PKIX public key,
// PEM or bare base64 as Alipay's console shows them.
func ParseRSAKeys(private, public string) (*rsa.PrivateKey, *rsa.PublicKey, error) {
	der := func(s string) ([]byte, error) {
		if b, _ := pem.Decode([]byte(s)); b != nil {
			return b.Bytes, nil
		}
		return base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	}
	pb, err := der(private)
	if err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	var priv *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(pb); err == nil {
		var ok bool
		if priv, ok = k.(*rsa.PrivateKey); !ok {
			return nil, nil, errors.New("private key: not RSA")
		}
	} else if priv, err = x509.ParsePKCS1PrivateKey(pb); err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	ub, err := der(public)
	if err != nil {
		return nil, nil, fmt.Errorf("public key: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(ub)
	if err != nil {
		return nil, nil, fmt.Errorf("public key: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, nil, errors.New("public key: not RSA")
	}
	return priv, pub, nil
}

// Name is "alipay".
func (p *Alipay) Name() string { return "alipay" }

// Ack is what Alipay must read to stop resending the notification.
func (p *Alipay) Ack() string { return "success" }

// SigningString builds Alipay's string to sign from parameters.
func SigningString(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		if k == "sign" || k == "sign_type" || v.Get(k) == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + v.Get(k)
	}
	return strings.Join(parts, "&")
}

// Sign signs parameters with key (RSA2).
func Sign(key *rsa.PrivateKey, v url.Values) (string, error) {
	sum := sha256.Sum256([]byte(SigningString(v)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Checkout builds the signed alipay.trade.page.pay URL.
func (p *Alipay) Checkout(o *store.RechargeOrder, notifyURL string) (string, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	biz, _ := json.Marshal(map[string]string{"out_trade_no": o.No, "total_amount": FormatYuan(o.AmountFen),
		"subject": "waihu recharge " + o.No, "product_code": "FAST_INSTANT_TRADE_PAY"})
	v := url.Values{}
	v.Set("app_id", p.AppID)
	v.Set("method", "alipay.trade.page.pay")
	v.Set("format", "JSON")
	v.Set("charset", "utf-8")
	v.Set("sign_type", "RSA2")
	v.Set("timestamp", now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"))
	v.Set("version", "1.0")
	v.Set("notify_url", notifyURL)
	v.Set("biz_content", string(biz))
	sig, err := Sign(p.PrivateKey, v)
	if err != nil {
		return "", fmt.Errorf("alipay sign: %w", err)
	}
	v.Set("sign", sig)
	gw := p.Gateway
	if gw == "" {
		gw = "https://openapi.alipay.com/gateway.do"
	}
	return gw + "?" + v.Encode(), nil
}

// VerifyNotify checks an asynchronous notification (a form POST).
func (p *Alipay) VerifyNotify(form url.Values) (*PaymentNotice, error) {
	if form.Get("sign_type") != "RSA2" {
		return nil, fmt.Errorf("%w: sign_type %q", ErrBadSignature, form.Get("sign_type"))
	}
	sig, err := base64.StdEncoding.DecodeString(form.Get("sign"))
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: sign is not base64", ErrBadSignature)
	}
	sum := sha256.Sum256([]byte(SigningString(form)))
	if err := rsa.VerifyPKCS1v15(p.AlipayKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, ErrBadSignature
	}
	if form.Get("app_id") != p.AppID {
		return nil, fmt.Errorf("%w: app_id %q is not ours", ErrBadSignature, form.Get("app_id"))
	}
	amt, err := ParseYuan(form.Get("total_amount"))
	if err != nil {
		return nil, fmt.Errorf("alipay notice total_amount: %w", err)
	}
	st := form.Get("trade_status")
	return &PaymentNotice{OrderNo: form.Get("out_trade_no"), TradeNo: form.Get("trade_no"), AmountFen: amt,
		Paid: st == "TRADE_SUCCESS" || st == "TRADE_FINISHED"}, nil
}

// ParseYuan reads "88.8" or "88.80" yuan as fen exactly (no floats).
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole, "+-") {
		return 0, fmt.Errorf("amount %q is not yuan with at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1e12 {
		return 0, fmt.Errorf("amount %q is not yuan with at most two decimals", s)
	}
	f := int64(0)
	if frac != "" {
		frac += strings.Repeat("0", 2-len(frac))
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || strings.ContainsAny(frac, "+-") {
			return 0, fmt.Errorf("amount %q is not yuan with at most two decimals", s)
		}
	}
	return w*100 + f, nil
}
