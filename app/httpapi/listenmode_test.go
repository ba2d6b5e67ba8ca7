package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// TestScriptDetailWarnsWhenBargeInCannotHappen: a script with
// interruptible lines, whose recognizer cannot stream (utterance mode),
// lists those nodes so the editor can say barge-in will not happen.
func TestScriptDetailWarnsWhenBargeInCannotHappen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mode := httpapi.ListenStream
		e := newEnvWith(t, db, func(d *httpapi.Deps) {
			d.ListenMode = func(uint64, uint64) string { return mode }
		})
		c := e.newTenant("Alpha", "AAAMARK").cookie
		st, text, _ := c.raw("GET", "/api/v1/script-template?name=notification-en", "", nil)
		if st != 200 {
			t.Fatalf("template: %d %s", st, text)
		}
		var sc map[string]any
		_ = json.Unmarshal([]byte(text), &sc)
		sc["name"] = "barge"
		status, created := c.do("POST", "/api/v1/scripts", sc)
		if status != 201 {
			t.Fatalf("create: %d %v", status, created)
		}
		id := itoa(uint64(created["id"].(float64)))
		if _, body := c.do("GET", "/api/v1/scripts/"+id, nil); body["listen_mode"] != "stream" || len(body["barge_in_unavailable"].([]any)) != 0 {
			t.Fatalf("streaming: %v %v", body["listen_mode"], body["barge_in_unavailable"])
		}
		mode = httpapi.ListenUtterance
		_, body := c.do("GET", "/api/v1/scripts/"+id, nil)
		if body["listen_mode"] != "utterance" || len(body["barge_in_unavailable"].([]any)) == 0 {
			t.Fatalf("utterance mode must list the interruptible nodes: %v %v", body["listen_mode"], body["barge_in_unavailable"])
		}
	})
}
