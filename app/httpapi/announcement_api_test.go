package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/demo"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/recordings"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func announcementForm(t *testing.T, fields map[string]string, wav []byte) (string, []byte) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if wav != nil {
		fw, _ := mw.CreateFormFile("file", "ann.wav")
		_, _ = fw.Write(wav)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

func TestAnnouncementReferencesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, err := e.accounts.CreateStaff(context.Background(), tenant.NewStaff{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"}); err != nil {
			t.Fatal(err)
		}
		admin := e.loginStaff("root@op.test", "secret123")
		wav, err := demo.AnnouncementWAV("power_off.wav")
		if err != nil {
			t.Fatal(err)
		}
		// Bad input names the field and stores nothing.
		for name, c := range map[string]struct {
			fields map[string]string
			wav    []byte
			field  string
		}{
			"no file":     {map[string]string{"name": "a", "outcome": "powered_off"}, nil, "file"},
			"bad outcome": {map[string]string{"name": "a", "outcome": "maybe"}, wav, "outcome"},
			"not wav":     {map[string]string{"name": "a", "outcome": "busy"}, []byte("RIFF....WAVEjunk"), "file"},
		} {
			ct, body := announcementForm(t, c.fields, c.wav)
			status, text, _ := admin.raw("POST", "/api/v1/admin/announcements", ct, body)
			if status != 422 && status != 400 || !strings.Contains(text, `"`+c.field+`"`) {
				t.Errorf("%s: %d %s", name, status, text)
			}
		}
		ct, body := announcementForm(t, map[string]string{"name": "关机", "carrier": "cmcc", "outcome": "powered_off"}, wav)
		status, text, _ := admin.raw("POST", "/api/v1/admin/announcements", ct, body)
		if status != 201 {
			t.Fatalf("upload: %d %s", status, text)
		}
		var created struct {
			ID         uint64 `json:"id"`
			DurationMs int    `json:"duration_ms"`
			Landmarks  int    `json:"landmarks"`
		}
		_ = json.Unmarshal([]byte(text), &created)
		if created.ID == 0 || created.DurationMs < 3000 || created.Landmarks < 100 {
			t.Fatalf("created %+v", created)
		}
		status, list := admin.do("GET", "/api/v1/admin/announcements", nil)
		if items, _ := list["items"].([]any); status != 200 || len(items) != 1 {
			t.Fatalf("list: %d %v", status, list)
		}
		// A captured clip checks against the references of its carrier.
		for carrier, want := range map[string]bool{"cmcc": true, "unicom": false} {
			ct, body := announcementForm(t, map[string]string{"carrier": carrier}, wav)
			status, text, _ := admin.raw("POST", "/api/v1/admin/announcements/match", ct, body)
			var m struct {
				Matched   bool `json:"matched"`
				Reference *struct {
					ID uint64 `json:"id"`
				} `json:"reference"`
			}
			_ = json.Unmarshal([]byte(text), &m)
			if status != 200 || m.Matched != want || (want && (m.Reference == nil || m.Reference.ID != created.ID)) {
				t.Errorf("match for %s: %d %s", carrier, status, text)
			}
		}
		id := itoa(created.ID)
		status, audio, hdr := admin.raw("GET", "/api/v1/admin/announcements/"+id+"/audio", "", nil)
		if status != 200 || !strings.HasPrefix(audio, "RIFF") || hdr.Get("Content-Type") != "audio/wav" {
			t.Fatalf("audio: %d %q", status, hdr.Get("Content-Type"))
		}
		// Tenants cannot reach the operator's routes.
		a := e.newTenant("Alpha", "AAAMARK")
		if status, _, _ := a.cookie.raw("GET", "/api/v1/admin/announcements", "", nil); status != 401 && status != 403 {
			t.Errorf("tenant listed references: %d", status)
		}
		if status, _, _ := admin.raw("DELETE", "/api/v1/admin/announcements/"+id, "", nil); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		if status, _, _ := admin.raw("DELETE", "/api/v1/admin/announcements/"+id, "", nil); status != 404 {
			t.Fatalf("delete again: %d", status)
		}
	})
}

// A recording uploaded to S3 plays through a short-lived presigned URL;
// one still on local disk only is served from there (404 when absent).
func TestUploadedRecordingRedirectsToPresignedURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s3, err := recordings.NewS3(recordings.S3Config{Endpoint: "https://s3.example.test", Bucket: "recs", Region: "cn-north-1", AccessKey: "AK", SecretKey: "SK", PathStyle: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnvWith(t, db, func(d *httpapi.Deps) {
			d.Recordings = recordings.New(db, recordings.Options{S3: s3, URLTTL: 2 * time.Minute})
		})
		a := e.newTenant("Alpha", "AAAMARK")
		// Look at the redirect instead of following it off to the internet.
		noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		a.cookie.hc.CheckRedirect = noFollow
		path := "/api/v1/results/" + itoa(a.resources["call"]) + "/recording"
		if status, _, _ := a.cookie.raw("GET", path, "", nil); status != 404 {
			t.Fatalf("no recording: %d", status)
		}
		key := "recordings/1/20260101/x.wav"
		if err := db.With(store.AsPlatform(context.Background())).Model(&store.CallAttempt{}).Where("id = ?", a.resources["call"]).Update("record_key", key).Error; err != nil {
			t.Fatal(err)
		}
		status, _, hdr := a.cookie.raw("GET", path, "", nil)
		loc := hdr.Get("Location")
		if status != 302 || !strings.HasPrefix(loc, "https://s3.example.test/recs/"+key+"?") || !strings.Contains(loc, "X-Amz-Expires=120") || !strings.Contains(loc, "X-Amz-Signature=") {
			t.Fatalf("uploaded recording: %d %q", status, loc)
		}
		// Another tenant cannot get the URL.
		b := e.newTenant("Beta", "BBBMARK")
		b.cookie.hc.CheckRedirect = noFollow
		if status, _, hdr := b.cookie.raw("GET", path, "", nil); status != 404 || hdr.Get("Location") != "" {
			t.Fatalf("other tenant: %d %q", status, hdr.Get("Location"))
		}
	})
}
