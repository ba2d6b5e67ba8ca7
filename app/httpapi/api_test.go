package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// TestOpenAPIMatchesRoutes keeps the OpenAPI document true: every route Gin
// serves under /api/v1 is described, and every described operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	served := map[string]bool{}
	for _, r := range e.srv.Engine().Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			served[r.Method+" "+toOpenAPI(r.Path)] = true
		}
	}
	status, text, _ := e.anon().raw("GET", "/api/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	for k := range served {
		if !described[k] {
			t.Errorf("served but not in OpenAPI: %s", k)
		}
	}
	for k := range described {
		if !served[k] {
			t.Errorf("in OpenAPI but not served: %s", k)
		}
	}
	// Every $ref points at a defined schema.
	for _, ref := range findRefs(text) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("dangling $ref %s", ref)
		}
	}
}

func toOpenAPI(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func findRefs(doc string) []string {
	var out []string
	for _, part := range strings.Split(doc, `"$ref":"`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}

// TestTenantIsolation walks every tenant-scoped route of the OpenAPI
// description with tenant B's credentials (its owner's session and its API
// key) against tenant A's objects: each answer is 403 or 404 for A's ids and
// carries no tenant-A data anywhere, and A's objects are unchanged.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Alpha", "AAAMARK")
		b := e.newTenant("Beta", "BBBMARK")
		before := snapshot(t, db, a.tenant.ID)
		scoped := 0
		routes := e.srv.Routes()
		// Logging out ends B's session, so it goes last.
		sort.SliceStable(routes, func(i, j int) bool {
			return !strings.HasSuffix(routes[i].Path, "/logout") && strings.HasSuffix(routes[j].Path, "/logout")
		})
		for _, r := range routes {
			if r.Auth != httpapi.AuthTenant {
				continue
			}
			scoped++
			for _, who := range []struct {
				name string
				c    *client
			}{{"session", b.cookie}, {"api key", b.apiKey}} {
				path := fillPath(t, r, a)
				body := validBody(r.Request)
				status, text := send(who.c, r.Method, path, body)
				if strings.Contains(text, a.marker) || strings.Contains(text, a.tenant.ContactEmail) {
					t.Errorf("%s %s as B (%s) leaks tenant A data: %s", r.Method, path, who.name, text)
				}
				if status >= 500 {
					t.Errorf("%s %s as B (%s): %d %s", r.Method, path, who.name, status, text)
				}
				if strings.Contains(r.Path, ":") && status != http.StatusNotFound && status != http.StatusForbidden {
					t.Errorf("%s %s as B (%s) on A's object: got %d, want 404 or 403: %s", r.Method, path, who.name, status, text)
				}
			}
		}
		if scoped < 5 {
			t.Fatalf("only %d tenant-scoped routes found", scoped)
		}
		if after := snapshot(t, db, a.tenant.ID); after != before {
			t.Errorf("tenant A's data changed while tenant B probed it")
		}
		// A still works with its own objects.
		if status, _ := a.cookie.do("GET", "/api/v1/users", nil); status != 200 {
			t.Fatalf("A lists its own users: %d", status)
		}
	})
}

func send(c *client, method, path string, body any) (int, string) {
	var b []byte
	ct := ""
	if body != nil {
		b, _ = json.Marshal(body)
		ct = "application/json"
	}
	status, text, _ := c.raw(method, path, ct, b)
	return status, text
}

// snapshot hashes a tenant's rows in the tables the API can change.
func snapshot(t *testing.T, db *store.DB, tenantID uint64) string {
	ctx := store.WithTenant(context.Background(), tenantID)
	h := sha256.New()
	var users []store.User
	var keys []store.APIKey
	var notes []store.Notification
	var tn store.Tenant
	db.With(ctx).Order("id").Find(&users)
	db.With(ctx).Order("id").Find(&keys)
	db.With(ctx).Order("id").Find(&notes)
	db.With(ctx).First(&tn, tenantID)
	for i := range users {
		users[i].LastLoginAt = nil // logins by the fixture itself are not changes
	}
	for i := range keys {
		keys[i].LastUsedAt = nil
	}
	for _, v := range []any{users, keys, notes, tn} {
		b, _ := json.Marshal(v)
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// validBody builds a plausible JSON body for a request type.
func validBody(req any) any {
	if req == nil {
		return nil
	}
	out := map[string]any{}
	eachField(reflect.TypeOf(req), func(name string, ft reflect.Type) {
		out[name] = sampleValue(name, ft)
	})
	return out
}

func sampleValue(name string, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		switch {
		case strings.Contains(name, "email"):
			return "someone@example.com"
		case strings.Contains(name, "password"):
			return "secret123"
		case strings.Contains(name, "phone"):
			return "13900139000"
		case name == "role":
			return "viewer"
		}
		return "sample"
	case reflect.Bool:
		return false
	case reflect.Map:
		return map[string]any{}
	case reflect.Slice:
		return []any{}
	}
	if t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64 {
		return 1
	}
	return nil
}

func eachField(t reflect.Type, fn func(name string, ft reflect.Type)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fn(name, f.Type)
	}
}

func wrongTypeValue(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return 12345
	case reflect.Bool:
		return "yes"
	case reflect.Map, reflect.Struct:
		return "not an object"
	case reflect.Slice:
		return "not an array"
	}
	return "not a number"
}

// TestBadInputPerEndpoint sends every endpoint that takes a body the kinds of
// bad input a client can produce and checks each gets a 4xx naming the field
// where there is one, never a 500, and never changes stored data.
func TestBadInputPerEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Alpha", "AAAMARK")
		if _, err := e.accounts.CreateStaff(context.Background(), tenant.NewStaff{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"}); err != nil {
			t.Fatal(err)
		}
		admin := e.loginStaff("root@op.test", "secret123")
		a.resources["tenant"] = a.tenant.ID
		var staff []store.Staff
		db.With(store.AsPlatform(context.Background())).Find(&staff)
		a.resources["staff"] = staff[0].ID
		checked := 0
		for _, r := range e.srv.Routes() {
			if r.Request == nil {
				continue
			}
			checked++
			c := e.anon()
			switch r.Auth {
			case httpapi.AuthTenant:
				c = a.cookie
			case httpapi.AuthStaff:
				c = admin
			}
			path := fillPath(t, r, a)
			valid := validBody(r.Request).(map[string]any)
			type badCase struct {
				name        string
				contentType string
				body        []byte
				wantStatus  []int
				wantField   string
			}
			cases := []badCase{
				{"malformed JSON", "application/json", []byte(`{"a":`), []int{400}, ""},
				{"not an object", "application/json", []byte(`[1,2,3]`), []int{400, 422}, ""},
				{"empty body", "application/json", nil, []int{400}, ""},
				{"two values", "application/json", []byte(`{} {}`), []int{400}, ""},
				{"wrong content type", "text/plain", []byte(`{}`), []int{415}, ""},
				{"form post", "application/x-www-form-urlencoded", []byte(`a=b`), []int{415}, ""},
				{"oversized", "application/json", []byte(`{"x":"` + strings.Repeat("a", 70<<10) + `"}`), []int{413}, ""},
				{"unknown field", "application/json", mustJSON(with(valid, "surprise_field", 1)), []int{422}, "surprise_field"},
				{"binary garbage", "application/json", []byte{0xff, 0xfe, 0x00, 0x01, '{'}, []int{400}, ""},
			}
			eachField(reflect.TypeOf(r.Request), func(name string, ft reflect.Type) {
				cases = append(cases, badCase{"wrong type for " + name, "application/json", mustJSON(with(valid, name, wrongTypeValue(ft))), []int{422}, name})
				if sampleIsString(ft) {
					cases = append(cases,
						badCase{"overlong " + name, "application/json", mustJSON(with(valid, name, strings.Repeat("长", 5000))), nil, ""},
						badCase{"sql in " + name, "application/json", mustJSON(with(valid, name, `x'); DROP TABLE users; --`)), nil, ""},
						badCase{"control chars in " + name, "application/json", mustJSON(with(valid, name, "a\r\nb\x00c")), nil, ""},
					)
				}
			})
			for _, bc := range cases {
				before := dbFingerprint(t, db)
				status, text, _ := c.raw(r.Method, path, bc.contentType, bc.body)
				where := fmt.Sprintf("%s %s: %s", r.Method, r.Path, bc.name)
				if status >= 500 {
					t.Errorf("%s: %d %s", where, status, text)
					continue
				}
				if bc.wantStatus != nil && !containsInt(bc.wantStatus, status) {
					t.Errorf("%s: got %d, want %v: %s", where, status, bc.wantStatus, text)
				}
				if status >= 400 {
					var eb struct {
						Error struct {
							Code    string            `json:"code"`
							Message string            `json:"message"`
							Fields  map[string]string `json:"fields"`
						} `json:"error"`
					}
					if err := json.Unmarshal([]byte(text), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
						t.Errorf("%s: error body not in the error shape: %s", where, text)
					}
					if bc.wantField != "" && eb.Error.Fields[bc.wantField] == "" {
						t.Errorf("%s: error does not name field %s: %s", where, bc.wantField, text)
					}
					if strings.HasPrefix(bc.name, "overlong") && status < 400 {
						t.Errorf("%s: accepted a 5000-character value", where)
					}
					if after := dbFingerprint(t, db); after != before {
						t.Errorf("%s: rejected with %d but stored data changed", where, status)
					}
				} else if strings.HasPrefix(bc.name, "overlong") {
					t.Errorf("%s: accepted a 5000-character value (%d)", where, status)
				}
			}
		}
		if checked < 8 {
			t.Fatalf("only %d endpoints with bodies", checked)
		}
	})
}

func sampleIsString(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// dbFingerprint hashes every row of the tables the API writes, except the
// audit log (recording a rejected login is not a change of data) and
// sessions' last-seen bookkeeping.
func dbFingerprint(t *testing.T, db *store.DB) string {
	ctx := store.AsPlatform(context.Background())
	h := sha256.New()
	dump := func(dst any, omit ...string) {
		q := db.With(ctx).Order("1")
		if len(omit) > 0 {
			q = q.Omit(omit...)
		}
		if err := q.Find(dst).Error; err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(dst)
		h.Write(b)
	}
	var tenants []store.Tenant
	var users []store.User
	var staff []store.Staff
	var keys []store.APIKey
	var notes []store.Notification
	var tasks []store.OutboxTask
	dump(&tenants)
	// Failed-login counters are security bookkeeping, not data.
	dump(&users, "failed_logins", "locked_until", "updated_at")
	dump(&staff, "failed_logins", "locked_until", "updated_at")
	dump(&keys)
	dump(&notes)
	dump(&tasks)
	var sessions []string
	db.With(ctx).Model(&store.Session{}).Order("id").Pluck("id", &sessions)
	sort.Strings(sessions)
	h.Write([]byte(strings.Join(sessions, ",")))
	return fmt.Sprintf("%x", h.Sum(nil))
}
