package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/internal/fstrace"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func fsPost(t *testing.T, e *env, path, secret, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	if secret != "" {
		req.SetBasicAuth("freeswitch", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func recordedRequestBody(t *testing.T, file string, n int) []byte {
	t.Helper()
	reqs, err := fstrace.ReadFile("../callctl/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.N == n {
			hr, err := r.HTTP()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(hr.Body)
			return b
		}
	}
	t.Fatalf("%s has no request %d", file, n)
	return nil
}

func TestFreeSWITCHCDRPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		body := recordedRequestBody(t, "cdr-post.txt", 2)
		const form = "application/x-www-form-urlencoded"
		if st, _ := fsPost(t, e, "/api/v1/fs/cdr", "", form, body); st != http.StatusUnauthorized {
			t.Fatalf("no secret: %d", st)
		}
		if st, _ := fsPost(t, e, "/api/v1/fs/cdr", "wrong", form, body); st != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d", st)
		}
		for i, want := range []bool{true, false} {
			st, b := fsPost(t, e, "/api/v1/fs/cdr", "fs-secret", form, body)
			var ack struct {
				UUID    string `json:"uuid"`
				Created bool   `json:"created"`
			}
			_ = json.Unmarshal(b, &ack)
			if st != 200 || ack.Created != want || ack.UUID != "89b260be-61b4-4c47-ac38-e8c04aca32e1" {
				t.Fatalf("post %d: %d %s", i, st, b)
			}
		}
		st, b := fsPost(t, e, "/api/v1/fs/cdr", "fs-secret", form, []byte("cdr=%3Cnot-xml"))
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "cdr") {
			t.Fatalf("garbage CDR: %d %s", st, b)
		}
		var n int64
		db.With(store.AsPlatform(context.Background())).Model(&store.CDR{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d CDR rows, want 1", n)
		}
	})
}

func TestFreeSWITCHXMLCurl(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := store.AsPlatform(context.Background())
		tr := store.Trunk{Name: "carrier-a", Host: "sip.carrier.example", Username: "acct", Password: "s3cret", Register: true, Enabled: true}
		if err := db.With(ctx).Create(&tr).Error; err != nil {
			t.Fatal(err)
		}
		off := store.Trunk{Name: "carrier-off", Host: "off.example", Enabled: false}
		db.With(ctx).Create(&off)
		db.With(ctx).Model(&off).Update("enabled", false)

		// The recorded start-up fetch of the external profile.
		body := recordedRequestBody(t, "xml-curl-requests.txt", 5)
		st, doc := fsPost(t, e, "/api/v1/fs/xml_curl", "fs-secret", "application/x-www-form-urlencoded", body)
		if st != 200 || !strings.Contains(string(doc), `<gateway name="waihu_`) || !strings.Contains(string(doc), `value="sip.carrier.example"`) {
			t.Fatalf("sofia.conf: %d\n%s", st, doc)
		}
		if strings.Contains(string(doc), "off.example") {
			t.Fatal("a disabled trunk was rendered as a gateway")
		}
		other := url.Values{"section": {"configuration"}, "key_value": {"xml_cdr.conf"}}.Encode()
		st, doc = fsPost(t, e, "/api/v1/fs/xml_curl", "fs-secret", "application/x-www-form-urlencoded", []byte(other))
		if st != 200 || !strings.Contains(string(doc), `status="not found"`) {
			t.Fatalf("other config: %d %s", st, doc)
		}
	})
}
