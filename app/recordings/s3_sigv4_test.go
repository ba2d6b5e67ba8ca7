package recordings

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The signing examples of the S3 SigV4 documentation ("Signature
// Calculations for the Authorization Header: Transferring Payload in a
// Single Chunk", example GET Object; "Authenticating Requests: Using
// Query Parameters", example presigned URL), with their published
// signatures: an independent check of the signer.
var awsExample = S3Config{Endpoint: "https://s3.amazonaws.com", Bucket: "examplebucket", Region: "us-east-1",
	AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

func exampleClient(t *testing.T) *S3 {
	c, err := NewS3(awsExample, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) }
	return c
}

func TestSigV4MatchesAWSGetObjectExample(t *testing.T) {
	c := exampleClient(t)
	req, _ := http.NewRequest(http.MethodGet, c.objectURL("test.txt").String(), nil)
	req.Header.Set("Range", "bytes=0-9")
	c.sign(req, nil, c.now())
	if req.URL.Host != "examplebucket.s3.amazonaws.com" {
		t.Fatalf("host %s", req.URL.Host)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization\n got %s\nwant %s", got, want)
	}
}

func TestPresignMatchesAWSExample(t *testing.T) {
	c := exampleClient(t)
	u := c.Presign("test.txt", 86400*time.Second)
	if !strings.HasPrefix(u, "https://examplebucket.s3.amazonaws.com/test.txt?") {
		t.Fatalf("url %s", u)
	}
	if !strings.Contains(u, "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404") {
		t.Fatalf("presigned URL %s lacks the documented signature", u)
	}
}

func TestObjectURLStyles(t *testing.T) {
	cfg := awsExample
	cfg.Endpoint, cfg.PathStyle = "http://127.0.0.1:9000/base", true
	c, _ := NewS3(cfg, nil)
	if got := c.objectURL("rec/1/a b+c.wav").String(); got != "http://127.0.0.1:9000/base/examplebucket/rec/1/a%20b%2Bc.wav" {
		t.Fatalf("path style: %s", got)
	}
}
