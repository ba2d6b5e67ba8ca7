package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// TestCampaignAPIFlow drives the campaign API as a tenant's own system
// would, with an API key: upload a GBK list, map and import it, create and
// start a campaign, append contacts while it runs, read statistics, export.
func TestCampaignAPIFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		f := e.newTenant("Gamma", "GGGMARK")
		c := f.apiKey
		sample, err := os.ReadFile("../demo/sample_list_gbk.csv")
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("name", "客户名单")
		fw, _ := mw.CreateFormFile("file", "名单.csv")
		_, _ = fw.Write(sample)
		_ = mw.Close()
		status, text, _ := c.raw("POST", "/api/v1/lists/upload", mw.FormDataContentType(), body.Bytes())
		if status != 201 {
			t.Fatalf("upload: %d %s", status, text)
		}
		var preview struct {
			ImportID  uint64         `json:"import_id"`
			ListID    uint64         `json:"list_id"`
			Encoding  string         `json:"encoding"`
			Headers   []string       `json:"headers"`
			Suggested map[string]any `json:"suggested"`
		}
		_ = json.Unmarshal([]byte(text), &preview)
		if preview.Encoding != "gb18030" || preview.Headers[1] != "手机号" {
			t.Fatalf("preview %s", text)
		}
		if status, body := c.do("POST", itoaPath("/api/v1/imports/", preview.ImportID, "/start"), preview.Suggested); status != 202 {
			t.Fatalf("start import: %d %v", status, body)
		}
		// The job runner is not part of this test: run the import job's body.
		ctx := store.WithTenant(context.Background(), f.tenant.ID)
		if err := e.campaigns.RunImport(ctx, preview.ImportID); err != nil {
			t.Fatal(err)
		}
		status, imp := c.do("GET", itoaPath("/api/v1/imports/", preview.ImportID, ""), nil)
		if status != 200 || imp["state"] != "done" || imp["imported"].(float64) != 21 || imp["duplicates"].(float64) != 1 {
			t.Fatalf("import %d %v", status, imp)
		}
		status, text, _ = c.raw("GET", itoaPath("/api/v1/imports/", preview.ImportID, "/errors"), "", nil)
		if status != 200 || !strings.Contains(text, "duplicate") || !strings.Contains(text, "invalid_phone") {
			t.Fatalf("errors file %d %q", status, text)
		}
		status, camp := c.do("POST", "/api/v1/campaigns", map[string]any{"name": "API任务", "list_id": preview.ListID, "script_version_id": f.resources["script_version"],
			"max_concurrent": 3, "start_at": "2026-13-01", "rules": map[string]any{"windows": []any{map[string]any{"from": "09:00", "to": "08:00"}}, "weekdays": []int{1}}})
		if status != 422 || camp["error"].(map[string]any)["fields"].(map[string]any)["start_at"] == nil {
			t.Fatalf("bad schedule accepted: %d %v", status, camp)
		}
		// The fixture's script (collections template) reads ${amount} and
		// ${due_date}, which this list has no column for: refused, naming
		// both columns and the script version (in the caller's language).
		status, camp = c.do("POST", "/api/v1/campaigns", map[string]any{"name": "API任务", "list_id": preview.ListID, "script_version_id": f.resources["script_version"], "max_concurrent": 3})
		if status != 422 {
			t.Fatalf("script needing missing columns accepted: %d %v", status, camp)
		}
		reason, _ := camp["error"].(map[string]any)["fields"].(map[string]any)["script_version_id"].(string)
		wantVer := "（ID " + itoa(f.resources["script_version"]) + "）"
		if !strings.Contains(reason, "amount, due_date") || !strings.Contains(reason, `"scriptGGGMARK" 第 1 版`) || !strings.Contains(reason, wantVer) ||
			!strings.Contains(reason, `名单 "客户名单"`) {
			t.Fatalf("reason %q", reason)
		}
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/campaigns", strings.NewReader(`{"name":"API任务","list_id":`+itoa(preview.ListID)+
			`,"script_version_id":`+itoa(f.resources["script_version"])+`}`))
		req.Header.Set("Authorization", "Bearer "+c.bearer)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "en")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var enBody map[string]map[string]map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&enBody)
		resp.Body.Close()
		if got := enBody["error"]["fields"]["script_version_id"]; resp.StatusCode != 422 ||
			got != `script "scriptGGGMARK" version 1 (id `+itoa(f.resources["script_version"])+`) uses columns the list "客户名单" lacks: amount, due_date` {
			t.Fatalf("en reason %d %q", resp.StatusCode, got)
		}
		// The telemarketing template reads ${name} only, which the list's
		// name column fills.
		status, sc := f.cookie.do("POST", "/api/v1/scripts/from-template", map[string]any{"template": "telemarketing", "name": "电销" + f.marker})
		if status != 201 {
			t.Fatalf("script from template: %d %v", status, sc)
		}
		status, ver := f.cookie.do("POST", itoaPath("/api/v1/scripts/", uint64(sc["id"].(float64)), "/publish"), map[string]any{"note": "v1"})
		if status != 201 {
			t.Fatalf("publish: %d %v", status, ver)
		}
		// The wizard's pre-check gives the same answer as create, before
		// anything is stored: the fitting version lists what it reads.
		if status, out := c.do("POST", "/api/v1/campaigns/script-fit", map[string]any{"list_id": preview.ListID, "script_version_id": f.resources["script_version"]}); status != 422 ||
			!strings.Contains(out["error"].(map[string]any)["fields"].(map[string]any)["script_version_id"].(string), "amount, due_date") {
			t.Fatalf("script-fit of a version needing missing columns: %d %v", status, out)
		}
		if status, out := c.do("POST", "/api/v1/campaigns/script-fit", map[string]any{"list_id": preview.ListID, "script_version_id": ver["id"]}); status != 200 ||
			fmt.Sprint(out["columns"]) != "[name]" {
			t.Fatalf("script-fit of the telemarketing version: %d %v", status, out)
		}
		if status, out := c.do("POST", "/api/v1/campaigns/script-fit", map[string]any{"list_id": 999999, "script_version_id": ver["id"]}); status != 422 ||
			out["error"].(map[string]any)["fields"].(map[string]any)["list_id"] == nil {
			t.Fatalf("script-fit with an unknown list: %d %v", status, out)
		}
		status, camp = c.do("POST", "/api/v1/campaigns", map[string]any{"name": "API任务", "list_id": preview.ListID, "script_version_id": ver["id"], "max_concurrent": 3})
		if status != 201 {
			t.Fatalf("create campaign: %d %v", status, camp)
		}
		id := uint64(camp["id"].(float64))
		// A draft whose script version no longer fits (here swapped behind
		// the API's back, as a draft older than this check would be) does
		// not start, and nothing is enrolled.
		ctx = store.WithTenant(context.Background(), f.tenant.ID)
		if err := db.With(ctx).Model(&store.Campaign{}).Where("id = ?", id).Update("script_version_id", f.resources["script_version"]).Error; err != nil {
			t.Fatal(err)
		}
		if status, out := c.do("POST", itoaPath("/api/v1/campaigns/", id, "/start"), nil); status != 422 ||
			!strings.Contains(out["error"].(map[string]any)["fields"].(map[string]any)["script_version_id"].(string), "amount, due_date") {
			t.Fatalf("start with a script needing missing columns: %d %v", status, out)
		}
		if status, out := c.do("GET", itoaPath("/api/v1/campaigns/", id, ""), nil); status != 200 || out["state"] != "draft" || out["total"].(float64) != 0 {
			t.Fatalf("after refused start: %d %v", status, out)
		}
		db.With(ctx).Model(&store.Campaign{}).Where("id = ?", id).Update("script_version_id", ver["id"])
		if status, out := c.do("POST", itoaPath("/api/v1/campaigns/", id, "/start"), nil); status != 200 || out["state"] != "running" {
			t.Fatalf("start: %d %v", status, out)
		}
		status, added := c.do("POST", itoaPath("/api/v1/campaigns/", id, "/contacts"), map[string]any{"contacts": []any{
			map[string]any{"phone": "13700001111", "name": "新客户", "vars": map[string]string{"城市": "杭州"}},
			map[string]any{"phone": "not a phone"},
		}})
		if status != 200 || added["added"].(float64) != 1 || len(added["rejected"].([]any)) != 1 {
			t.Fatalf("append: %d %v", status, added)
		}
		status, stats := c.do("GET", itoaPath("/api/v1/campaigns/", id, "/stats"), nil)
		if status != 200 || stats["total"].(float64) != 22 || stats["pending"].(float64) != 22 {
			t.Fatalf("stats: %d %v", status, stats)
		}
		// The live view's stream starts with the current statistics.
		req, _ = http.NewRequest("GET", e.http.URL+itoaPath("/api/v1/campaigns/", id, "/events"), nil)
		req.Header.Set("Authorization", "Bearer "+c.bearer)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		first, err := bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		if err != nil || resp.Header.Get("Content-Type") != "text/event-stream" || first != "event: stats\n" {
			t.Fatalf("events: %q %v %s", first, err, resp.Header.Get("Content-Type"))
		}
		if status, out := c.do("POST", itoaPath("/api/v1/campaigns/", id, "/pause"), nil); status != 200 || out["state"] != "paused" {
			t.Fatalf("pause: %d %v", status, out)
		}
		if status, out := c.do("POST", itoaPath("/api/v1/campaigns/", id, "/start"), nil); status != 409 {
			t.Fatalf("start a paused campaign: %d %v", status, out)
		}
		status, text, hdr := c.raw("GET", itoaPath("/api/v1/results/export?format=xlsx&campaign_id=", id, ""), "", nil)
		if status != 200 || !strings.HasPrefix(text, "PK") || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", status, hdr)
		}
		status, text, hdr = c.raw("GET", itoaPath("/api/v1/results/export?format=csv&recordings=true&campaign_id=", id, ""), "", nil)
		if status != 200 || !strings.HasPrefix(text, "PK") || hdr.Get("Content-Type") != "application/zip" ||
			!strings.HasSuffix(hdr.Get("Content-Disposition"), `.zip"`) {
			t.Fatalf("zip export: %d %s", status, hdr)
		}
		if status, out := c.do("GET", itoaPath("/api/v1/results/export?format=csv&recordings=maybe&campaign_id=", id, ""), nil); status != 422 ||
			out["error"].(map[string]any)["fields"].(map[string]any)["recordings"] == nil {
			t.Fatalf("recordings=maybe: %d %v", status, out)
		}
	})
}

func itoaPath(prefix string, id uint64, suffix string) string { return prefix + itoa(id) + suffix }
