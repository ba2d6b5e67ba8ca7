package billing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waihu/waihu/app/store"
)

// RawNotifier is a provider whose callbacks are not signed forms but a raw
// body signed in the headers (WeChat Pay API v3). HandleNotifyRequest uses
// it instead of VerifyNotify when the provider implements it.
type RawNotifier interface {
	VerifyRawNotify(h http.Header, body []byte) (*PaymentNotice, error)
}

// WechatPay is the WeChat Pay (微信支付) API v3 Native payment adapter:
// Checkout asks WeChat Pay for a code_url (the QR code the payer scans) with
// a request signed by the merchant's API key (WECHATPAY2-SHA256-RSA2048);
// payment notifications are verified with WeChat Pay's platform key
// (SHA256withRSA over "timestamp\nnonce\nbody\n", from the Wechatpay-*
// headers) and their resource decrypted with the APIv3 key
// (AEAD_AES_256_GCM: nonce and associated data from the notification,
// ciphertext with its 16-byte tag, base64).
type WechatPay struct {
	MchID string
	AppID string
	// SerialNo is the serial number of the merchant API certificate whose
	// PrivateKey signs requests.
	SerialNo   string
	PrivateKey *rsa.PrivateKey
	// PlatformKeys are WeChat Pay's keys by Wechatpay-Serial (platform
	// certificate serial, or the "PUB_KEY_ID_…" of a WeChat Pay public key).
	PlatformKeys map[string]*rsa.PublicKey
	// APIv3Key is the 32-byte key set in the merchant platform.
	APIv3Key   []byte
	BaseURL    string // https://api.mch.weixin.qq.com
	HTTPClient *http.Client
	Now        func() time.Time
	// MaxSkew refuses notifications whose timestamp is further from now
	// (replays of an old, validly signed notification). Default 5 min.
	MaxSkew time.Duration
}

// Name is "wechatpay".
func (p *WechatPay) Name() string { return "wechatpay" }

// Ack is the v3 success answer (HTTP 200 with this body).
func (p *WechatPay) Ack() string { return `{"code":"SUCCESS","message":"成功"}` }

func (p *WechatPay) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// VerifyNotify refuses forms: v3 notifications are JSON signed in headers.
func (p *WechatPay) VerifyNotify(url.Values) (*PaymentNotice, error) {
	return nil, fmt.Errorf("%w: WeChat Pay v3 notifications carry their signature in headers", ErrBadSignature)
}

// verifySigned checks WeChat Pay's signature over a response or
// notification body.
func (p *WechatPay) verifySigned(h http.Header, body []byte) error {
	ts, nonce, serial := h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Serial")
	key, ok := p.PlatformKeys[serial]
	if !ok || key == nil {
		return fmt.Errorf("%w: unknown Wechatpay-Serial %q", ErrBadSignature, serial)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || nonce == "" {
		return fmt.Errorf("%w: Wechatpay-Timestamp / Wechatpay-Nonce missing", ErrBadSignature)
	}
	skew := p.MaxSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	if d := p.now().Sub(time.Unix(sec, 0)); d > skew || d < -skew {
		return fmt.Errorf("%w: timestamp %s is %s from now", ErrBadSignature, ts, d.Round(time.Second))
	}
	sig, err := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: Wechatpay-Signature is not base64", ErrBadSignature)
	}
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return ErrBadSignature
	}
	return nil
}

// wechatNotification is the v3 notification envelope.
type wechatNotification struct {
	ID           string `json:"id"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Resource     struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
		OriginalType   string `json:"original_type"`
	} `json:"resource"`
}

// wechatTransaction is the decrypted resource of a payment notification.
type wechatTransaction struct {
	AppID         string `json:"appid"`
	MchID         string `json:"mchid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeState    string `json:"trade_state"`
	Amount        struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// VerifyRawNotify verifies and decrypts a payment notification.
func (p *WechatPay) VerifyRawNotify(h http.Header, body []byte) (*PaymentNotice, error) {
	if err := p.verifySigned(h, body); err != nil {
		return nil, err
	}
	var n wechatNotification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("wechatpay notification: %w", err)
	}
	if n.Resource.Algorithm != "AEAD_AES_256_GCM" {
		return nil, fmt.Errorf("wechatpay notification: algorithm %q", n.Resource.Algorithm)
	}
	plain, err := DecryptWechatResource(p.APIv3Key, n.Resource.Nonce, n.Resource.AssociatedData, n.Resource.Ciphertext)
	if err != nil {
		// Signed by WeChat Pay but not readable with our key: a key set wrong
		// in the merchant platform, not a forgery; still nothing to credit.
		return nil, fmt.Errorf("%w: resource does not decrypt with the APIv3 key", ErrBadSignature)
	}
	var t wechatTransaction
	if err := json.Unmarshal(plain, &t); err != nil {
		return nil, fmt.Errorf("wechatpay transaction: %w", err)
	}
	if t.MchID != p.MchID || (p.AppID != "" && t.AppID != p.AppID) {
		return nil, fmt.Errorf("%w: mchid %q / appid %q are not ours", ErrBadSignature, t.MchID, t.AppID)
	}
	if t.Amount.Currency != "" && t.Amount.Currency != "CNY" {
		return nil, fmt.Errorf("wechatpay transaction: currency %q", t.Amount.Currency)
	}
	return &PaymentNotice{OrderNo: t.OutTradeNo, TradeNo: t.TransactionID, AmountFen: t.Amount.Total,
		Paid: n.EventType == "TRANSACTION.SUCCESS" && t.TradeState == "SUCCESS"}, nil
}

// DecryptWechatResource opens an AEAD_AES_256_GCM resource with the APIv3
// key: ciphertext is base64 of the sealed data followed by the 16-byte tag.
func DecryptWechatResource(apiV3Key []byte, nonce, associatedData, ciphertext string) ([]byte, error) {
	if len(apiV3Key) != 32 {
		return nil, errors.New("wechatpay: the APIv3 key must be 32 bytes")
	}
	raw, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("wechatpay resource: %w", err)
	}
	block, err := aes.NewCipher(apiV3Key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, []byte(nonce), raw, []byte(associatedData))
}

// Authorization builds the WECHATPAY2-SHA256-RSA2048 header of a request:
// the merchant key signs "METHOD\nURL path?query\ntimestamp\nnonce\nbody\n".
func (p *WechatPay) Authorization(method, pathQuery string, body []byte) (string, error) {
	nb := make([]byte, 16)
	if _, err := rand.Read(nb); err != nil {
		return "", err
	}
	nonce := strings.ToUpper(hex.EncodeToString(nb))
	ts := strconv.FormatInt(p.now().Unix(), 10)
	sum := sha256.Sum256([]byte(method + "\n" + pathQuery + "\n" + ts + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.PrivateKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		p.MchID, nonce, base64.StdEncoding.EncodeToString(sig), ts, p.SerialNo), nil
}

// Checkout places a Native order and returns its code_url (weixin://…),
// which the console shows as a QR code for the payer's WeChat to scan. The
// answer's signature is verified like a notification's.
func (p *WechatPay) Checkout(o *store.RechargeOrder, notifyURL string) (string, error) {
	body, _ := json.Marshal(map[string]any{"appid": p.AppID, "mchid": p.MchID, "description": "waihu recharge " + o.No,
		"out_trade_no": o.No, "notify_url": notifyURL, "amount": map[string]any{"total": o.AmountFen, "currency": "CNY"}})
	const path = "/v3/pay/transactions/native"
	auth, err := p.Authorization(http.MethodPost, path, body)
	if err != nil {
		return "", fmt.Errorf("wechatpay sign: %w", err)
	}
	base := strings.TrimRight(p.BaseURL, "/")
	if base == "" {
		base = "https://api.mch.weixin.qq.com"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := p.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("wechatpay native order: %w", err)
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("wechatpay native order: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(rb, &e)
		return "", fmt.Errorf("wechatpay native order: HTTP %d %s %s", res.StatusCode, e.Code, e.Message)
	}
	if err := p.verifySigned(res.Header, rb); err != nil {
		return "", fmt.Errorf("wechatpay native order answer: %w", err)
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := json.Unmarshal(rb, &out); err != nil || !strings.HasPrefix(out.CodeURL, "weixin://") {
		return "", fmt.Errorf("wechatpay native order: no code_url in %q", rb)
	}
	return out.CodeURL, nil
}
