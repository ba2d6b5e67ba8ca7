package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func TestSessionCookieAndCSRF(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	a := e.newTenant("Alpha", "AAAMARK")

	// The login cookie is HttpOnly and SameSite=Lax; Secure when the
	// request came over TLS (here: via a TLS-terminating proxy on loopback).
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"`+a.owner.Email+`","password":"secret123"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "waihu_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || !cookie.Secure || cookie.Path != "/" {
		t.Fatalf("session cookie %+v", cookie)
	}
	if resp.Header.Get("X-Request-ID") == "" {
		t.Fatal("no X-Request-ID")
	}

	// Writes with the cookie need the CSRF token; reads do not.
	noCSRF := *a.cookie
	noCSRF.csrf = ""
	if status, body := noCSRF.do("POST", "/api/v1/api-keys", map[string]any{"name": "k"}); status != 403 || body["error"].(map[string]any)["code"] != "csrf_failed" {
		t.Fatalf("write without CSRF: %d %v", status, body)
	}
	wrong := *a.cookie
	wrong.csrf = "forged"
	if status, _ := wrong.do("POST", "/api/v1/api-keys", map[string]any{"name": "k"}); status != 403 {
		t.Fatalf("write with a wrong CSRF token: %d", status)
	}
	if status, _ := noCSRF.do("GET", "/api/v1/api-keys", nil); status != 200 {
		t.Fatalf("read without CSRF: %d", status)
	}
	// API keys need no CSRF token.
	if status, _ := a.apiKey.do("POST", "/api/v1/users", map[string]any{"email": "k@x.test", "name": "K", "role": "agent", "password": "secret123"}); status != 201 {
		t.Fatalf("API key write: %d", status)
	}
	// Logging out ends the session server-side.
	if status, _ := a.cookie.do("POST", "/api/v1/auth/logout", nil); status != 204 {
		t.Fatalf("logout: %d", status)
	}
	if status, _ := a.cookie.do("GET", "/api/v1/auth/me", nil); status != 401 {
		t.Fatalf("me after logout: %d", status)
	}
}

func TestRolesAndSurfaces(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	a := e.newTenant("Alpha", "AAAMARK")
	ctx := context.Background()
	// A viewer reads the dashboard but cannot manage users.
	if status, _ := a.cookie.do("POST", "/api/v1/users", map[string]any{"email": "v@aaa.test", "name": "V", "role": "viewer", "password": "secret123"}); status != 201 {
		t.Fatal("create viewer")
	}
	viewer := e.loginTenant("v@aaa.test", "secret123")
	if status, _ := viewer.do("GET", "/api/v1/dashboard", nil); status != 200 {
		t.Fatalf("viewer dashboard: %d", status)
	}
	if status, _ := viewer.do("GET", "/api/v1/users", nil); status != 403 {
		t.Fatalf("viewer lists users: %d", status)
	}
	// A tenant session is not an operator session.
	if status, _ := a.cookie.do("GET", "/api/v1/admin/tenants", nil); status != 401 {
		t.Fatalf("tenant on admin API: %d", status)
	}
	// Operator areas follow the staff role.
	for _, s := range []tenant.NewStaff{
		{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"},
		{Email: "sales@op.test", Name: "Sales", Role: store.StaffSales, Password: "secret123"},
	} {
		if _, err := e.accounts.CreateStaff(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	sales := e.loginStaff("sales@op.test", "secret123")
	if status, _ := sales.do("GET", "/api/v1/admin/tenants", nil); status != 200 {
		t.Fatalf("sales lists tenants: %d", status)
	}
	if status, _ := sales.do("GET", "/api/v1/admin/staff", nil); status != 403 {
		t.Fatalf("sales lists staff: %d", status)
	}
	if status, _ := sales.do("POST", "/api/v1/admin/tenants/"+itoa(a.tenant.ID)+"/suspend", map[string]any{"reason": "x"}); status != 403 {
		t.Fatalf("sales suspends a tenant: %d", status)
	}
	root := e.loginStaff("root@op.test", "secret123")
	if status, body := root.do("POST", "/api/v1/admin/tenants/"+itoa(a.tenant.ID)+"/suspend", map[string]any{"reason": "unpaid"}); status != 200 || body["status"] != "suspended" {
		t.Fatalf("admin suspends: %d %v", status, body)
	}
	// The suspended tenant's session and API key stop at once.
	if status, body := a.apiKey.do("GET", "/api/v1/dashboard", nil); status != 403 || body["error"].(map[string]any)["code"] != "tenant_suspended" {
		t.Fatalf("suspended tenant's API key: %d %v", status, body)
	}
	status, body := root.do("GET", "/api/v1/admin/audit?action=tenant.", nil)
	if status != 200 || len(body["items"].([]any)) == 0 {
		t.Fatalf("audit: %d %v", status, body)
	}
}

func TestMetaEndpointsAndErrors(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	c := e.anon()
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.json"} {
		if status, _, _ := c.raw("GET", p, "", nil); status != 200 {
			t.Errorf("%s: %d", p, status)
		}
	}
	status, text, _ := c.raw("GET", "/api/v1/nope", "", nil)
	if status != 404 || !strings.Contains(text, `"code":"not_found"`) {
		t.Errorf("unknown API route: %d %s", status, text)
	}
	if status, body := c.do("GET", "/api/v1/auth/me", nil); status != 401 || body["error"] == nil {
		t.Errorf("me without session: %d %v", status, body)
	}
	// English when asked for.
	req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/auth/me", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	resp, _ := http.DefaultClient.Do(req)
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	resp.Body.Close()
	if !strings.Contains(string(buf[:n]), "please log in") {
		t.Errorf("English error: %s", buf[:n])
	}
	// A bad cursor names the field.
	a := e.newTenant("Alpha", "AAAMARK")
	if status, body := a.cookie.do("GET", "/api/v1/users?cursor=bm90LWEtY3Vyc29y", nil); status != 422 {
		t.Errorf("bad cursor: %d %v", status, body)
	}
	if status, body := a.cookie.do("GET", "/api/v1/users?limit=100000", nil); status != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["limit"] == nil {
		t.Errorf("bad limit: %d %v", status, body)
	}
}

func TestCursorPagination(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	a := e.newTenant("Alpha", "AAAMARK")
	for i := range 5 {
		if status, _ := a.cookie.do("POST", "/api/v1/api-keys", map[string]any{"name": "k" + itoa(uint64(i))}); status != 201 {
			t.Fatal("create key")
		}
	}
	seen := map[float64]bool{}
	cursor := ""
	pages := 0
	for {
		status, body := a.cookie.do("GET", "/api/v1/api-keys?limit=2&cursor="+cursor, nil)
		if status != 200 {
			t.Fatalf("page: %d %v", status, body)
		}
		for _, it := range body["items"].([]any) {
			id := it.(map[string]any)["id"].(float64)
			if seen[id] {
				t.Fatalf("id %v on two pages", id)
			}
			seen[id] = true
		}
		pages++
		cursor = body["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if len(seen) != 6 || pages != 3 {
		t.Fatalf("saw %d keys on %d pages", len(seen), pages)
	}
}
