package aliyun

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// TokenSource yields a valid NLS access token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a token obtained elsewhere.
type StaticToken string

// Token returns the token.
func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }

// CreateToken calls the documented POP RPC action CreateToken (version
// 2019-02-28) on nls-meta with an AccessKey, signed with HMAC-SHA1, and
// caches the token until shortly before its ExpireTime.
type CreateToken struct {
	AccessKeyID     string
	AccessKeySecret string
	Endpoint        string // default https://nls-meta.cn-shanghai.aliyuncs.com/
	RegionID        string // default cn-shanghai
	Client          *http.Client
	Now             func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// percentEncode is the POP encoding: RFC 3986 unreserved kept, space as %20.
func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// SignRPC returns the POP RPC signature of params for method.
func SignRPC(method, secret string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = percentEncode(k) + "=" + percentEncode(params[k])
	}
	sts := method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Token returns a cached or fresh token.
func (c *CreateToken) Token(ctx context.Context) (string, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && now().Before(c.expires.Add(-5*time.Minute)) {
		return c.token, nil
	}
	ep := c.Endpoint
	if ep == "" {
		ep = "https://nls-meta.cn-shanghai.aliyuncs.com/"
	}
	region := c.RegionID
	if region == "" {
		region = "cn-shanghai"
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	p := map[string]string{
		"AccessKeyId": c.AccessKeyID, "Action": "CreateToken", "Format": "JSON", "RegionId": region,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": hex.EncodeToString(nonce), "SignatureVersion": "1.0",
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2019-02-28",
	}
	p["Signature"] = SignRPC("GET", c.AccessKeySecret, p)
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("aliyun create token: %w", err)
	}
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("aliyun create token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var out struct {
		Token struct {
			ID         string `json:"Id"`
			ExpireTime int64  `json:"ExpireTime"`
		} `json:"Token"`
		Code    string `json:"Code"`
		Message string `json:"Message"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("aliyun create token: HTTP %d: bad body: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out.Token.ID == "" {
		return "", fmt.Errorf("aliyun create token: HTTP %d %s %s", resp.StatusCode, out.Code, out.Message)
	}
	c.token, c.expires = out.Token.ID, time.Unix(out.Token.ExpireTime, 0)
	return c.token, nil
}
