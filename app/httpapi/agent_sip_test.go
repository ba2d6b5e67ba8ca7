package httpapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/callctl/fsxml"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// directoryDoc is the part of a directory answer FreeSWITCH reads.
type directoryDoc struct {
	Sections []struct {
		Name   string `xml:"name,attr"`
		Result *struct {
			Status string `xml:"status,attr"`
		} `xml:"result"`
		Domain *struct {
			Name   string     `xml:"name,attr"`
			Params []xmlParam `xml:"params>param"`
			Users  []struct {
				ID        string     `xml:"id,attr"`
				Params    []xmlParam `xml:"params>param"`
				Variables []xmlParam `xml:"variables>variable"`
			} `xml:"groups>group>users>user"`
		} `xml:"domain"`
	} `xml:"section"`
}

type xmlParam struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

func paramMap(ps []xmlParam) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

func parseDirectory(t *testing.T, b []byte) directoryDoc {
	t.Helper()
	var d directoryDoc
	if err := xml.Unmarshal(b, &d); err != nil || len(d.Sections) != 1 {
		t.Fatalf("directory answer is not a FreeSWITCH document: %v\n%s", err, b)
	}
	return d
}

// withUser rewrites a recorded lookup of user 1000 to another user id.
func withUser(body []byte, ext string) []byte {
	for _, k := range []string{"user=1000", "sip_auth_username=1000", "sip_contact_user=1000", "sip_to_user=1000", "sip_from_user=1000"} {
		body = bytes.ReplaceAll(body, []byte(k), []byte(strings.TrimSuffix(k, "1000")+ext))
	}
	return body
}

// TestAgentSIPDirectory: an agent creates their SIP seat in the console,
// and FreeSWITCH's recorded REGISTER digest lookup (action=sip_auth) and
// user_data lookup get the seat back as a directory document with an
// a1-hash (never the password) and the agent's variables; unknown or
// disabled users get "not found"; the secret guards it.
func TestAgentSIPDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Seat", "SEATMARK")
		const form = "application/x-www-form-urlencoded"

		if st, _ := a.cookie.do("GET", "/api/v1/me/sip-account", nil); st != http.StatusNotFound {
			t.Fatalf("seat before creation: %d", st)
		}
		st, acc := a.cookie.do("POST", "/api/v1/me/sip-account/reset", nil)
		ext, _ := acc["ext"].(string)
		pw, _ := acc["password"].(string)
		if st != 200 || ext == "" || len(pw) < 16 {
			t.Fatalf("create seat: %d %v", st, acc)
		}
		if st, got := a.cookie.do("GET", "/api/v1/me/sip-account", nil); st != 200 || got["password"] != pw || got["ext"] != ext {
			t.Fatalf("read seat: %d %v", st, got)
		}
		if st, _ := a.apiKey.do("GET", "/api/v1/me/sip-account", nil); st != http.StatusForbidden {
			t.Fatalf("an API key has no SIP seat: %d", st)
		}

		for _, n := range []int{30, 29} { // sip_auth REGISTER, then user_data
			body := withUser(recordedRequestBody(t, "xml-curl-requests.txt", n), ext)
			if st, _ := fsPost(t, e, "/api/v1/fs/xml_curl", "", form, body); st != http.StatusUnauthorized {
				t.Fatalf("request %d without the secret: %d", n, st)
			}
			st, doc := fsPost(t, e, "/api/v1/fs/xml_curl", "fs-secret", form, body)
			d := parseDirectory(t, doc)
			s := d.Sections[0]
			if st != 200 || s.Name != "directory" || s.Domain == nil || s.Domain.Name != "127.0.0.1" || len(s.Domain.Users) != 1 {
				t.Fatalf("request %d: %d\n%s", n, st, doc)
			}
			if paramMap(s.Domain.Params)["dial-string"] == "" {
				t.Errorf("request %d: the domain has no dial-string; bridge user/%s would fail", n, ext)
			}
			u := s.Domain.Users[0]
			ps, vs := paramMap(u.Params), paramMap(u.Variables)
			if u.ID != ext || ps["a1-hash"] != fsxml.A1Hash(ext, "127.0.0.1", pw) || ps["password"] != "" || strings.Contains(string(doc), pw) {
				t.Fatalf("request %d: user %q params %v (want the a1-hash of the seat, no password)", n, u.ID, ps)
			}
			if vs["user_context"] != "agents" || vs["waihu_agent_tenant"] != itoa(a.tenant.ID) || vs["waihu_agent"] != itoa(a.owner.ID) ||
				vs["effective_caller_id_number"] != ext || vs["effective_caller_id_name"] != a.owner.Name {
				t.Fatalf("request %d: variables %v", n, vs)
			}
		}

		notFound := func(what string, body []byte) {
			t.Helper()
			st, doc := fsPost(t, e, "/api/v1/fs/xml_curl", "fs-secret", form, body)
			d := parseDirectory(t, doc)
			if st != 200 || d.Sections[0].Name != "result" || d.Sections[0].Result == nil || d.Sections[0].Result.Status != "not found" {
				t.Fatalf("%s: %d %s", what, st, doc)
			}
		}
		notFound("unknown user", withUser(recordedRequestBody(t, "xml-curl-requests.txt", 30), "999999"))
		notFound("gateways fetch", recordedRequestBody(t, "xml-curl-requests.txt", 7))
		notFound("network list", recordedRequestBody(t, "xml-curl-requests.txt", 27))
		notFound("no user", []byte(url.Values{"section": {"directory"}, "domain": {"127.0.0.1"}}.Encode()))

		// A new password takes effect at the next REGISTER.
		_, again := a.cookie.do("POST", "/api/v1/me/sip-account/reset", nil)
		if again["password"] == pw || again["ext"] != ext {
			t.Fatalf("reset kept the password or changed the extension: %v", again)
		}
		_, doc := fsPost(t, e, "/api/v1/fs/xml_curl", "fs-secret", form, withUser(recordedRequestBody(t, "xml-curl-requests.txt", 30), ext))
		if !strings.Contains(string(doc), fsxml.A1Hash(ext, "127.0.0.1", again["password"].(string))) {
			t.Fatalf("the directory still serves the old password's hash:\n%s", doc)
		}

		// A disabled user can no longer register.
		db.With(store.AsPlatform(context.Background())).Model(&store.User{}).Where("id = ?", a.owner.ID).Update("disabled", true)
		notFound("disabled user", withUser(recordedRequestBody(t, "xml-curl-requests.txt", 30), ext))
	})
}

// TestAdminResetsAgentSIP: an admin gives a sub-account a new SIP password
// (the agent lost theirs), sees it once in the answer, the agent reads the
// same seat, the reset is audited; a manager may not, another tenant's
// user is not found, and a viewer has no seat to reset.
func TestAdminResetsAgentSIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("SeatAdmin", "SEATADM")
		b := e.newTenant("SeatOther", "SEATOTH")
		member := a.resources["user"]
		st, acc := a.cookie.do("POST", itoaPath("/api/v1/users/", member, "/sip-account/reset"), nil)
		pw, _ := acc["password"].(string)
		if st != 200 || acc["ext"] != callctl.AgentExt(member) || len(pw) < 16 {
			t.Fatalf("admin reset: %d %v", st, acc)
		}
		mc := e.loginTenant("staff@seatadm.test", "secret123")
		if st, got := mc.do("GET", "/api/v1/me/sip-account", nil); st != 200 || got["password"] != pw {
			t.Fatalf("the agent reads another seat: %d %v", st, got)
		}
		// The member is a manager: below admin.
		if st, _ := mc.do("POST", itoaPath("/api/v1/users/", a.owner.ID, "/sip-account/reset"), nil); st != http.StatusForbidden {
			t.Fatalf("a manager reset the owner's seat: %d", st)
		}
		if st, _ := b.cookie.do("POST", itoaPath("/api/v1/users/", member, "/sip-account/reset"), nil); st != http.StatusNotFound {
			t.Fatalf("another tenant reset this tenant's seat: %d", st)
		}
		var n int64
		db.With(store.AsPlatform(context.Background())).Model(&store.AuditLog{}).
			Where("tenant_id = ? AND action = ? AND target = ?", a.tenant.ID, "user.sip_reset", "user:"+itoa(member)).Count(&n)
		if n != 1 {
			t.Fatalf("%d audit records of the reset", n)
		}
		if st, _ := a.cookie.do("PATCH", itoaPath("/api/v1/users/", member, ""), map[string]any{"role": "viewer"}); st != 200 {
			t.Fatalf("make the member a viewer: %d", st)
		}
		if st, out := a.cookie.do("POST", itoaPath("/api/v1/users/", member, "/sip-account/reset"), nil); st != 422 ||
			out["error"].(map[string]any)["fields"].(map[string]any)["id"] == nil {
			t.Fatalf("a viewer's seat reset: %d %v", st, out)
		}
	})
}
