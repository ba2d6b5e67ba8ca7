package fsxml

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

func TestA1HashRFC2617(t *testing.T) {
	// RFC 2617 §3.5: HA1 of Mufasa / testrealm@host.com / Circle Of Life.
	if got := A1Hash("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Fatalf("a1-hash %s", got)
	}
}

func TestUserLookup(t *testing.T) {
	cases := []struct {
		form                url.Values
		user, domain, realm string
		ok                  bool
	}{
		{url.Values{"section": {"directory"}, "action": {"sip_auth"}, "sip_auth_username": {"100001"}, "sip_auth_realm": {"10.0.0.5"}, "user": {"100001"}, "domain": {"agents.example"}}, "100001", "agents.example", "10.0.0.5", true},
		{url.Values{"section": {"directory"}, "key": {"id"}, "user": {"100002"}, "domain": {"agents.example"}}, "100002", "agents.example", "agents.example", true},
		{url.Values{"section": {"directory"}, "action": {"user_call"}, "user": {"100003"}, "domain": {"d"}}, "100003", "d", "d", true},
		{url.Values{"section": {"directory"}, "purpose": {"gateways"}, "profile": {"external"}}, "", "", "", false},
		{url.Values{"section": {"configuration"}, "user": {"1"}, "domain": {"d"}}, "", "", "", false},
	}
	for i, c := range cases {
		u, d, r, ok := ParseRequest(c.form).UserLookup()
		if ok != c.ok || (ok && (u != c.user || d != c.domain || r != c.realm)) {
			t.Errorf("case %d: %q %q %q %v", i, u, d, r, ok)
		}
	}
}

func TestDirectoryEscapes(t *testing.T) {
	b, err := Directory("agents.example", DirectoryUser{ID: "100001", A1Hash: "x", Variables: map[string]string{"effective_caller_id_name": `李"坐席"<&>`}})
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vars []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"section>domain>groups>group>users>user>variables>variable"`
	}
	if err := xml.Unmarshal(b, &v); err != nil || len(v.Vars) != 1 || v.Vars[0].Value != `李"坐席"<&>` {
		t.Fatalf("%v %+v\n%s", err, v, b)
	}
	if _, err := Directory("", DirectoryUser{ID: "1", A1Hash: "x"}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatal("a directory without a domain was rendered")
	}
}
