package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestScriptsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Alpha", "AAAMARK")
		c := a.cookie
		status, tl := c.do("GET", "/api/v1/script-templates", nil)
		if status != 200 || len(tl["items"].([]any)) != 10 || len(tl["general_intents"].([]any)) != 20 {
			t.Fatalf("templates: %d %v", status, tl)
		}
		// Import: export a template and post it back under a new name.
		st, text, _ := c.raw("GET", "/api/v1/script-template?name=notification-en", "", nil)
		if st != 200 {
			t.Fatalf("template: %d %s", st, text)
		}
		var sc map[string]any
		_ = json.Unmarshal([]byte(text), &sc)
		sc["name"] = "imported"
		status, created := c.do("POST", "/api/v1/scripts", sc)
		if status != 201 || len(created["issues"].([]any)) != 0 {
			t.Fatalf("import: %d %v", status, created)
		}
		id := itoa(uint64(created["id"].(float64)))
		// Break the draft: publish refuses and names the node.
		draft := created["draft"].(map[string]any)
		nodes := draft["nodes"].([]any)
		nodes[2].(map[string]any)["branches"].([]any)[0].(map[string]any)["next"] = "gone"
		if status, body := c.do("PUT", "/api/v1/scripts/"+id, draft); status != 200 || len(body["issues"].([]any)) == 0 {
			t.Fatalf("update: %d %v", status, body)
		}
		status, body := c.do("POST", "/api/v1/scripts/"+id+"/publish", map[string]any{"note": "x"})
		if status != 422 || !strings.Contains(body["error"].(map[string]any)["fields"].(map[string]any)["node notice"].(string), "gone") {
			t.Fatalf("publish broken: %d %v", status, body)
		}
		nodes[2].(map[string]any)["branches"].([]any)[0].(map[string]any)["next"] = "confirmed"
		c.do("PUT", "/api/v1/scripts/"+id, draft)
		if status, body := c.do("POST", "/api/v1/scripts/"+id+"/check", nil); status != 200 || len(body["tests"].([]any)) != 9 {
			t.Fatalf("check: %d %v", status, body)
		}
		status, ver := c.do("POST", "/api/v1/scripts/"+id+"/publish", map[string]any{"note": "first"})
		if status != 201 || ver["version"].(float64) != 1 {
			t.Fatalf("publish: %d %v", status, ver)
		}
		if status, vs := c.do("GET", "/api/v1/scripts/"+id+"/versions", nil); status != 200 || len(vs["items"].([]any)) != 1 {
			t.Fatalf("versions: %d %v", status, vs)
		}
		if status, v := c.do("GET", "/api/v1/script-versions/"+itoa(uint64(ver["id"].(float64))), nil); status != 200 || v["body"].(map[string]any)["name"] != "imported" {
			t.Fatalf("version: %d %v", status, v)
		}
		// Chat against the published version.
		status, reply := c.do("POST", "/api/v1/scripts/"+id+"/chat", map[string]any{"version": 1, "vars": map[string]string{"name": "Li", "event": "the meeting", "time": "3pm"}, "history": []string{"yes speaking"}, "line": "yes sure"})
		if status != 200 {
			t.Fatalf("chat: %d %v", status, reply)
		}
		res := reply["result"].(map[string]any)
		if res["grade"] != "A" || res["ended"] != true {
			t.Fatalf("chat result %v", res)
		}
		acts := reply["actions"].([]any)
		if acts[len(acts)-1].(map[string]any)["type"] != "hangup" {
			t.Fatalf("chat actions %v", acts)
		}
		if status, m := c.do("POST", "/api/v1/scripts/"+id+"/classify", map[string]any{"text": "不需要"}); status != 200 || m["intent"] != "not_interested" {
			t.Fatalf("classify: %d %v", status, m)
		}
		st, text, hdr := c.raw("GET", "/api/v1/scripts/"+id+"/export?version=1", "", nil)
		if st != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") || !strings.Contains(text, `"start": "open"`) {
			t.Fatalf("export: %d %s", st, hdr)
		}
		if status, _ := c.do("DELETE", "/api/v1/scripts/"+id, nil); status != 409 {
			t.Fatalf("delete published: %d", status)
		}
		if status, _ := c.do("GET", "/api/v1/scripts", nil); status != 200 {
			t.Fatalf("list: %d", status)
		}
	})
}
