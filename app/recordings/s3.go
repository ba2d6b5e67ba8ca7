// Package recordings moves answered calls' recordings to S3-compatible
// storage when it is configured: a job per recording (the jobs outbox,
// retried with backoff, idempotent by the call's UUID) uploads the local
// file, verifies the stored object, records its key on the call and
// optionally deletes the local copy. The results page then plays the
// recording through a short-lived presigned URL.
//
// The S3 client is our own small one over net/http with AWS Signature
// Version 4 (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-
// requests.html): PUT, HEAD and DELETE object, and presigned GET. It speaks
// to any S3-compatible service (AWS S3, MinIO, Aliyun OSS and Tencent COS
// in their S3-compatible modes) with virtual-hosted or path-style URLs.
package recordings

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// S3Config is what the client needs (app/config's S3).
type S3Config struct {
	Endpoint  string // https://s3.us-east-1.amazonaws.com; empty: AWS of Region
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	PathStyle bool
}

// S3 is a minimal S3 client.
type S3 struct {
	cfg    S3Config
	base   *url.URL
	client *http.Client
	// now is the signing clock (tests pin it).
	now func() time.Time
}

// NewS3 validates the configuration.
func NewS3(cfg S3Config, client *http.Client) (*S3, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://s3." + cfg.Region + ".amazonaws.com"
	}
	if cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("s3: bucket, access key and secret key are required")
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	return &S3{cfg: cfg, base: u, client: client, now: time.Now}, nil
}

// objectURL is the object's URL: https://bucket.host/key (virtual-hosted)
// or https://host/bucket/key (path style).
func (c *S3) objectURL(key string) *url.URL {
	u := *c.base
	raw, plain := "/"+uriEncode(key, false), "/"+key
	if c.cfg.PathStyle {
		raw, plain = "/"+uriEncode(c.cfg.Bucket, false)+raw, "/"+c.cfg.Bucket+plain
	} else {
		u.Host = c.cfg.Bucket + "." + u.Host
	}
	base := strings.TrimRight(c.base.Path, "/")
	u.Path, u.RawPath = base+plain, base+raw
	return &u
}

// ObjectInfo is what HEAD reports.
type ObjectInfo struct {
	Size int64
	ETag string
}

// ErrNotFound: the object does not exist.
var ErrNotFound = errors.New("s3: object not found")

// Put uploads body as key and returns the ETag. Content-MD5 makes the
// service refuse a body damaged in transit.
func (c *S3) Put(ctx context.Context, key string, body []byte, contentType string) (string, error) {
	sum := md5.Sum(body)
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	resp, err := c.do(ctx, http.MethodPut, key, h, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", s3Error("PUT", key, resp)
	}
	return strings.Trim(resp.Header.Get("ETag"), `"`), nil
}

// Head returns the object's size and ETag.
func (c *S3) Head(ctx context.Context, key string) (ObjectInfo, error) {
	resp, err := c.do(ctx, http.MethodHead, key, http.Header{}, nil)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return ObjectInfo{}, ErrNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return ObjectInfo{}, s3Error("HEAD", key, resp)
	}
	n, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return ObjectInfo{Size: n, ETag: strings.Trim(resp.Header.Get("ETag"), `"`)}, nil
}

// Delete removes an object (deleting a missing object succeeds, as in S3).
func (c *S3) Delete(ctx context.Context, key string) error {
	resp, err := c.do(ctx, http.MethodDelete, key, http.Header{}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return s3Error("DELETE", key, resp)
	}
	return nil
}

func s3Error(op, key string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return fmt.Errorf("s3 %s %s: %s: %s", op, key, resp.Status, strings.TrimSpace(string(b)))
}

func (c *S3) do(ctx context.Context, method, key string, h http.Header, body []byte) (*http.Response, error) {
	u := c.objectURL(key)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body = http.NoBody
	}
	req.ContentLength = int64(len(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	c.sign(req, body, c.now().UTC())
	return c.client.Do(req)
}

const (
	algorithm   = "AWS4-HMAC-SHA256"
	amzDate     = "20060102T150405Z"
	shortDate   = "20060102"
	unsignedPay = "UNSIGNED-PAYLOAD"
)

// sign adds x-amz-date, x-amz-content-sha256 and Authorization.
func (c *S3) sign(req *http.Request, body []byte, t time.Time) {
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Date", t.Format(amzDate))
	req.Header.Set("X-Amz-Content-Sha256", payload)
	signed, canonHeaders := canonicalHeaders(req)
	creq := strings.Join([]string{req.Method, canonicalPath(req.URL), canonicalQuery(req.URL.Query()), canonHeaders, signed, payload}, "\n")
	scope := t.Format(shortDate) + "/" + c.cfg.Region + "/s3/aws4_request"
	sig := c.signature(t, scope, creq)
	req.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", algorithm, c.cfg.AccessKey, scope, signed, sig))
}

// Presign returns a GET URL valid for ttl (query-string authentication;
// only host is signed, so a browser's own headers do not matter).
func (c *S3) Presign(key string, ttl time.Duration) string {
	t := c.now().UTC()
	u := c.objectURL(key)
	scope := t.Format(shortDate) + "/" + c.cfg.Region + "/s3/aws4_request"
	q := url.Values{}
	q.Set("X-Amz-Algorithm", algorithm)
	q.Set("X-Amz-Credential", c.cfg.AccessKey+"/"+scope)
	q.Set("X-Amz-Date", t.Format(amzDate))
	q.Set("X-Amz-Expires", strconv.Itoa(int(ttl/time.Second)))
	q.Set("X-Amz-SignedHeaders", "host")
	creq := strings.Join([]string{http.MethodGet, canonicalPath(u), canonicalQuery(q), "host:" + u.Host + "\n", "host", unsignedPay}, "\n")
	q.Set("X-Amz-Signature", c.signature(t, scope, creq))
	u.RawQuery = canonicalQuery(q)
	return u.String()
}

func (c *S3) signature(t time.Time, scope, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	sts := algorithm + "\n" + t.Format(amzDate) + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	k := hmacSHA256([]byte("AWS4"+c.cfg.SecretKey), t.Format(shortDate))
	k = hmacSHA256(k, c.cfg.Region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// canonicalHeaders signs host and every x-amz-*, content-type and
// content-md5 header, lowercased and sorted, values trimmed.
func canonicalHeaders(req *http.Request) (signed, canon string) {
	vals := map[string]string{"host": req.URL.Host}
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "content-type" || lk == "content-md5" || lk == "range" {
			vals[lk] = strings.Join(strings.Fields(strings.Join(vs, ",")), " ")
		}
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + vals[n] + "\n")
	}
	return strings.Join(names, ";"), b.String()
}

// canonicalPath is the URI-encoded path; S3 does not normalise it and
// encodes each segment once.
func canonicalPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// uriEncode is SigV4's UriEncode: everything but A-Z a-z 0-9 - _ . ~ is
// percent-encoded; '/' too unless it separates a path.
func uriEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '-', ch == '_', ch == '.', ch == '~':
			b.WriteByte(ch)
		case ch == '/' && !encodeSlash:
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}
