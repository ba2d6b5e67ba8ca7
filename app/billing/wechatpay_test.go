package billing_test

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// wechatSide plays WeChat Pay with locally generated keys: its platform
// key signs answers and notifications, the merchant's APIv3 key encrypts
// notification resources.
type wechatSide struct {
	platform *rsa.PrivateKey
	merchant *rsa.PrivateKey
	apiV3    []byte
	now      time.Time
}

func newWechatSide(t *testing.T) *wechatSide {
	t.Helper()
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &wechatSide{platform: pk, merchant: mk, apiV3: []byte("0123456789abcdef0123456789ABCDEF"), now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (w *wechatSide) adapter() *billing.WechatPay {
	return &billing.WechatPay{MchID: "1900000109", AppID: "wxd678efh567hg6787", SerialNo: "MERCHANTSERIAL", PrivateKey: w.merchant,
		PlatformKeys: map[string]*rsa.PublicKey{"PUB_KEY_ID_0114232134912410000000000000": &w.platform.PublicKey},
		APIv3Key:     w.apiV3, Now: func() time.Time { return w.now }}
}

// sign returns the Wechatpay-* headers of a body signed at ts.
func (w *wechatSide) sign(t *testing.T, body []byte, ts time.Time) http.Header {
	t.Helper()
	nonce := "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
	sec := strconv.FormatInt(ts.Unix(), 10)
	sum := sha256.Sum256([]byte(sec + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, w.platform, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Wechatpay-Timestamp", sec)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("Wechatpay-Serial", "PUB_KEY_ID_0114232134912410000000000000")
	return h
}

// notification builds a TRANSACTION.SUCCESS notification for an order,
// its resource sealed with key.
func (w *wechatSide) notification(t *testing.T, key []byte, orderNo string, fen int64, state string) []byte {
	t.Helper()
	plain, _ := json.Marshal(map[string]any{"appid": "wxd678efh567hg6787", "mchid": "1900000109", "out_trade_no": orderNo,
		"transaction_id": "4200000000202603010000000001", "trade_type": "NATIVE", "trade_state": state,
		"amount": map[string]any{"total": fen, "payer_total": fen, "currency": "CNY", "payer_currency": "CNY"}})
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	nonce, ad := "fdasflkja484", "transaction"
	sealed := gcm.Seal(nil, []byte(nonce), plain, []byte(ad))
	body, _ := json.Marshal(map[string]any{"id": "EV-2018022511223320873", "create_time": "2026-03-01T18:00:00+08:00",
		"resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
		"resource": map[string]any{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(sealed), "associated_data": ad, "nonce": nonce}})
	return body
}

// TestWechatPayNotify: a notification signed by WeChat Pay's key over
// "timestamp\nnonce\nbody\n", with its resource sealed by the APIv3 key,
// verifies and decodes to the order, trade number and amount in fen; a
// changed body, another signer, an unknown serial, a stale timestamp or a
// resource sealed with another key is refused as a bad signature.
func TestWechatPayNotify(t *testing.T) {
	w := newWechatSide(t)
	p := w.adapter()
	body := w.notification(t, w.apiV3, "R202603010001", 12345, "SUCCESS")
	n, err := p.VerifyRawNotify(w.sign(t, body, w.now), body)
	if err != nil {
		t.Fatal(err)
	}
	if n.OrderNo != "R202603010001" || n.TradeNo != "4200000000202603010000000001" || n.AmountFen != 12345 || !n.Paid {
		t.Fatalf("notice %+v", n)
	}
	if n, err := p.VerifyRawNotify(w.sign(t, w.notification(t, w.apiV3, "R1", 5, "NOTPAY"), w.now), w.notification(t, w.apiV3, "R1", 5, "NOTPAY")); err == nil && n.Paid {
		t.Fatal("an unpaid notification was read as paid")
	}
	bad := map[string]func() (http.Header, []byte){
		"changed body": func() (http.Header, []byte) {
			return w.sign(t, body, w.now), []byte(strings.Replace(string(body), "支付成功", "支付成功!", 1))
		},
		"other signer": func() (http.Header, []byte) {
			other := newWechatSide(t)
			return other.sign(t, body, w.now), body
		},
		"unknown serial": func() (http.Header, []byte) {
			h := w.sign(t, body, w.now)
			h.Set("Wechatpay-Serial", "SOMEONE_ELSE")
			return h, body
		},
		"stale timestamp": func() (http.Header, []byte) { return w.sign(t, body, w.now.Add(-10*time.Minute)), body },
		"other APIv3 key": func() (http.Header, []byte) {
			b := w.notification(t, []byte("ffffffffffffffffffffffffffffffff"), "R202603010001", 12345, "SUCCESS")
			return w.sign(t, b, w.now), b
		},
		"no signature": func() (http.Header, []byte) { return http.Header{}, body },
	}
	for name, mk := range bad {
		h, b := mk()
		if _, err := p.VerifyRawNotify(h, b); !errors.Is(err, billing.ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

// TestWechatPayCheckout places a Native order against a local server that
// checks the WECHATPAY2-SHA256-RSA2048 authorization with the merchant's
// public key and answers signed with the platform key; the adapter returns
// the code_url, and refuses an answer whose signature does not verify.
func TestWechatPayCheckout(t *testing.T) {
	w := newWechatSide(t)
	forge := false
	authRe := regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="([^"]+)",nonce_str="([^"]+)",signature="([^"]+)",timestamp="([^"]+)",serial_no="([^"]+)"$`)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := authRe.FindStringSubmatch(r.Header.Get("Authorization"))
		if r.URL.Path != "/v3/pay/transactions/native" || m == nil || m[1] != "1900000109" || m[5] != "MERCHANTSERIAL" {
			http.Error(rw, `{"code":"SIGN_ERROR","message":"bad authorization"}`, 401)
			return
		}
		sig, _ := base64.StdEncoding.DecodeString(m[3])
		sum := sha256.Sum256([]byte("POST\n/v3/pay/transactions/native\n" + m[4] + "\n" + m[2] + "\n" + string(body) + "\n"))
		if rsa.VerifyPKCS1v15(&w.merchant.PublicKey, crypto.SHA256, sum[:], sig) != nil {
			http.Error(rw, `{"code":"SIGN_ERROR","message":"signature"}`, 401)
			return
		}
		var req struct {
			OutTradeNo string `json:"out_trade_no"`
			NotifyURL  string `json:"notify_url"`
			Amount     struct {
				Total int64 `json:"total"`
			} `json:"amount"`
		}
		if json.Unmarshal(body, &req) != nil || req.OutTradeNo != "R202603010002" || req.Amount.Total != 50000 || req.NotifyURL != "https://waihu.example/api/v1/billing/notify/wechatpay" {
			http.Error(rw, `{"code":"PARAM_ERROR","message":"params"}`, 400)
			return
		}
		out := []byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}`)
		signer := w
		if forge {
			signer = newWechatSide(t)
		}
		for k, v := range signer.sign(t, out, w.now) {
			rw.Header()[k] = v
		}
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write(out)
	}))
	defer srv.Close()
	p := w.adapter()
	p.BaseURL = srv.URL
	o := &store.RechargeOrder{No: "R202603010002", AmountFen: 50000}
	got, err := p.Checkout(o, "https://waihu.example/api/v1/billing/notify/wechatpay")
	if err != nil || got != "weixin://wxpay/bizpayurl?pr=p4lpSuKzz" {
		t.Fatalf("checkout %q %v", got, err)
	}
	forge = true
	if _, err := p.Checkout(o, "https://waihu.example/api/v1/billing/notify/wechatpay"); !errors.Is(err, billing.ErrBadSignature) {
		t.Fatalf("a forged answer: %v", err)
	}
}

// TestWechatPayNotifyCreditsOnce: a verified notification pays the order
// once (WeChat Pay resends until it reads the ack); a forged one credits
// nothing; the books verify.
func TestWechatPayNotifyCreditsOnce(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		w := newWechatSide(t)
		w.now = f.clock.Now()
		f.opt.Providers = map[string]billing.Provider{"wechatpay": w.adapter()}
		f.restart()
		tn := f.tenant(nil)
		o, err := f.svc.CreateRecharge(store.WithTenant(f.ctx, tn.ID), billing.NewRecharge{AmountFen: 88800, Method: "wechatpay"})
		if err != nil {
			t.Fatal(err)
		}
		forged := w.notification(t, w.apiV3, o.No, 88800, "SUCCESS")
		if _, err := f.svc.HandleNotifyRequest(f.ctx, "wechatpay", newWechatSide(t).sign(t, forged, w.now), forged); !errors.Is(err, billing.ErrBadSignature) {
			t.Fatalf("forged notification: %v", err)
		}
		body := w.notification(t, w.apiV3, o.No, 88800, "SUCCESS")
		for range 3 {
			ack, err := f.svc.HandleNotifyRequest(f.ctx, "wechatpay", w.sign(t, body, w.now), body)
			if err != nil || !strings.Contains(ack, "SUCCESS") {
				t.Fatalf("notify: %q %v", ack, err)
			}
		}
		if b := f.balance(tn); b.BalanceFen != 88800 {
			t.Fatalf("balance %d after three deliveries of one 888.00 payment", b.BalanceFen)
		}
		f.verify()
	})
}
