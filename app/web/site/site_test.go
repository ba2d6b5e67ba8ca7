package site_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
	"github.com/waihu/waihu/app/web/site"
)

type plans []site.Plan

func (p plans) PublicPlans(context.Context, string) ([]site.Plan, error) { return p, nil }

func newSite(t testing.TB, db *store.DB, pl site.PlanLister) (*httptest.Server, *crm.Service) {
	t.Helper()
	accounts := tenant.New(db, storetest.Logger(), tenant.Options{})
	c := crm.New(db, accounts, storetest.Logger(), crm.Options{})
	s, err := site.New(context.Background(), site.Options{CRM: c, DB: db, Plans: pl, Log: storetest.Logger(), NoRateLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs, c
}

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130 Safari/537.36"

func get(t *testing.T, c *http.Client, u string, hdr ...string) (int, string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("User-Agent", browserUA)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func views(t *testing.T, db *store.DB) int64 {
	var n int64
	db.With(store.AsPlatform(context.Background())).Model(&store.PageView{}).Count(&n)
	return n
}

func TestPages(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	hs, _ := newSite(t, db, nil)
	c := hs.Client()
	pages := []struct {
		path, want string
		status     int
	}{
		{"/", "让 AI 替你打完今天的每一通电话", 200},
		{"/product", "外呼机器人能做什么", 200},
		{"/solutions", "催收提醒", 200},
		{"/cases", "客户案例", 200},
		{"/pricing", "价格方案即将公布", 200},
		{"/help", "快速开始", 200},
		{"/help/getting-started", "<strong>注册</strong>", 200},
		{"/help/nope", "页面不存在", 404},
		{"/about", "关于我们", 200},
		{"/contact", `name="token"`, 200},
		{"/nothing-here", "页面不存在", 404},
	}
	for _, p := range pages {
		status, body, resp := get(t, c, hs.URL+p.path)
		if status != p.status || !strings.Contains(body, p.want) {
			t.Errorf("GET %s: %d, want %d containing %q", p.path, status, p.status, p.want)
			continue
		}
		for _, must := range []string{`<html lang="zh-CN">`, `<main id="main"`, `<nav aria-label=`, `<header`, `<footer`, `href="/console/login"`, `href="/console/signup"`} {
			if !strings.Contains(body, must) {
				t.Errorf("GET %s: page lacks %q", p.path, must)
			}
		}
		if strings.Contains(strings.ToLower(body), "<script") {
			t.Errorf("GET %s: public page carries a script", p.path)
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'none'") {
			t.Errorf("GET %s: no CSP", p.path)
		}
	}
	// The nine 200 pages were counted, the 404s were not.
	if n := views(t, db); n != 9 {
		t.Errorf("%d page views counted, want 9", n)
	}
	// Do Not Track and Global Privacy Control are honoured.
	get(t, c, hs.URL+"/", "DNT", "1")
	get(t, c, hs.URL+"/", "Sec-GPC", "1")
	get(t, c, hs.URL+"/", "Sec-Purpose", "prefetch")
	if n := views(t, db); n != 9 {
		t.Errorf("DNT/GPC/prefetch views were counted (%d)", n)
	}
	status, sm, _ := get(t, c, hs.URL+"/sitemap.xml")
	if status != 200 || !strings.Contains(sm, hs.URL+"/help/getting-started") || !strings.Contains(sm, hs.URL+"/pricing") {
		t.Errorf("sitemap: %d %s", status, sm)
	}
	status, css, _ := get(t, c, hs.URL+"/site.css")
	if status != 200 || len(css) > 8000 {
		t.Errorf("site.css: %d, %d bytes", status, len(css))
	}
}

func TestLanguageSwitch(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	hs, _ := newSite(t, db, nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body, _ := get(t, c, hs.URL+"/?lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Let AI make every call") {
		t.Fatal("?lang=en did not render English")
	}
	_, body, _ = get(t, c, hs.URL+"/help?q=start")
	if !strings.Contains(body, `href="/help?lang=zh-CN&amp;q=start"`) {
		t.Error("the language link drops the search")
	}
	if !strings.Contains(body, "Getting started") {
		t.Fatal("the language choice was not remembered")
	}
	_, body, _ = get(t, c, hs.URL+"/about?lang=zh-CN")
	if !strings.Contains(body, "关于我们") {
		t.Fatal("switch back to Chinese failed")
	}
}

func TestPricingFromPlans(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	hs, _ := newSite(t, db, plans{{Name: "标准版", PerMinuteFen: 12, Lines: 10, Features: []string{"<b>x</b>"}}})
	_, body, _ := get(t, hs.Client(), hs.URL+"/pricing")
	if !strings.Contains(body, "标准版") || !strings.Contains(body, "0.12") || !strings.Contains(body, "&lt;b&gt;x&lt;/b&gt;") {
		t.Fatalf("pricing page: %s", body)
	}
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

func TestContactForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hs, c := newSite(t, db, nil)
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		_, page, _ := get(t, client, hs.URL+"/contact?utm_source=wechat&utm_campaign=spring")
		token := tokenRE.FindStringSubmatch(page)[1]
		valid := url.Values{"token": {token}, "company": {"远航物流"}, "contact_name": {"张三"}, "phone": {"13800138000"}, "email": {""}, "message": {"想了解通知场景"}}
		with := func(k, v string) url.Values {
			out := url.Values{}
			for kk, vv := range valid {
				out[kk] = vv
			}
			out.Set(k, v)
			return out
		}
		post := func(form url.Values, origin string) (int, string, string) {
			req, _ := http.NewRequest("POST", hs.URL+"/contact", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", browserUA)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header.Get("Location")
		}
		leads := func() int64 {
			var n int64
			db.With(store.AsPlatform(context.Background())).Model(&store.Lead{}).Count(&n)
			return n
		}
		cases := []struct {
			name   string
			form   url.Values
			origin string
			status int
			want   string
			stored int64
		}{
			{"no token", with("token", ""), "", 403, "表单已过期", 0},
			{"forged token", with("token", "1700000000.deadbeef"), "", 403, "表单已过期", 0},
			{"cross-site", valid, "https://evil.test", 403, "", 0},
			{"bad phone", with("phone", "123"), "", 422, `aria-invalid="true"`, 0},
			{"honeypot", with("website", "http://spam.test"), "", 303, "", 0},
			{"valid", valid, hs.URL, 303, "", 1},
		}
		for _, tc := range cases {
			status, body, loc := post(tc.form, tc.origin)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d %q, want %d containing %q", tc.name, status, body, tc.status, tc.want)
			}
			if status == 303 && loc != "/contact?sent=1" {
				t.Errorf("%s: redirect to %q", tc.name, loc)
			}
			if n := leads(); n != tc.stored {
				t.Errorf("%s: %d leads stored, want %d", tc.name, n, tc.stored)
			}
		}
		rows, _, _ := c.ListLeads(context.Background(), crm.LeadFilter{}, store.Page{})
		if len(rows) != 1 || rows[0].UTMSource != "wechat" || rows[0].UTMCampaign != "spring" || rows[0].Landing != "/contact" || rows[0].Phone != "+8613800138000" {
			t.Fatalf("lead %+v", rows)
		}
		_, body, _ := get(t, client, hs.URL+"/contact?sent=1")
		if !strings.Contains(body, `data-testid="contact-sent"`) {
			t.Error("no confirmation after sending")
		}
	})
}

func TestMarkdownIsSafe(t *testing.T) {
	cases := []struct{ in, want, not string }{
		{"# Title", "<h2>Title</h2>", ""},
		{"<script>alert(1)</script>", "&lt;script&gt;", "<script>"},
		{"[x](javascript:alert(1))", "x", "href"},
		{"[ok](https://example.com/?a=1&b=2)", `<a href="https://example.com/?a=1&amp;b=2">ok</a>`, ""},
		{"[x](//evil.test)", "x", "href"},
		{"**bold** and *em* and `<code>`", "<strong>bold</strong> and <em>em</em> and <code>&lt;code&gt;</code>", ""},
		{"- a\n- b\n\n1. c", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol>\n<li>c</li>\n</ol>", ""},
		{"```\n<b>\n```", "<pre><code>&lt;b&gt;\n</code></pre>", "<b>"},
		{`[x](" onmouseover="alert(1))`, "x", "onmouseover=\""},
	}
	for _, c := range cases {
		got := string(site.Markdown(c.in))
		if !strings.Contains(got, c.want) || (c.not != "" && strings.Contains(got, c.not)) {
			t.Errorf("Markdown(%q) = %q, want %q and not %q", c.in, got, c.want, c.not)
		}
	}
}

func TestMessagesComplete(t *testing.T) {
	if missing := site.MissingMessages(); len(missing) > 0 {
		t.Fatalf("messages missing in a language: %v", missing)
	}
}
