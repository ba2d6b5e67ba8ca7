package fsxml_test

import (
	"encoding/xml"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/callctl/fsxml"
	"github.com/waihu/waihu/app/internal/fstrace"
)

type doc struct {
	Section struct {
		Name   string `xml:"name,attr"`
		Config struct {
			Name     string `xml:"name,attr"`
			Profiles []struct {
				Name     string `xml:"name,attr"`
				Gateways []struct {
					Name   string `xml:"name,attr"`
					Params []struct {
						Name  string `xml:"name,attr"`
						Value string `xml:"value,attr"`
					} `xml:"param"`
				} `xml:"gateways>gateway"`
				Settings []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"settings>param"`
			} `xml:"profiles>profile"`
		} `xml:"configuration"`
	} `xml:"section"`
}

func TestParseRecordedRequests(t *testing.T) {
	reqs, err := fstrace.ReadFile("../testdata/xml-curl-requests.txt")
	if err != nil {
		t.Fatal(err)
	}
	var sofia, profiles int
	for _, r := range reqs {
		hr, err := r.HTTP()
		if err != nil {
			t.Fatalf("request %d: %v", r.N, err)
		}
		body, _ := io.ReadAll(hr.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("request %d: %v", r.N, err)
		}
		req := fsxml.ParseRequest(form)
		if req.Section == "" || req.Hostname != "vm" {
			t.Fatalf("request %d parsed as %+v", r.N, req)
		}
		if req.WantsSofia() {
			sofia++
			if req.Profile != "" {
				profiles++
			}
		}
	}
	// Start-up fetches sofia.conf once for the whole module and once per
	// profile (config_sofia, then launch_sofia_worker_thread with profile=).
	if sofia < 3 || profiles < 2 {
		t.Fatalf("sofia.conf fetches %d (with profile %d), want the module's and each profile's", sofia, profiles)
	}
}

func TestSofiaRendersGatewaysEscaped(t *testing.T) {
	gws := []fsxml.Gateway{
		{Name: "waihu_1", Profile: "external", Proxy: "sip.carrier.example:5060", Username: "u1", Password: `p"<&>'`, Register: true, Transport: "tcp"},
		{Name: "waihu_2", Profile: "external", Proxy: "10.0.0.9"},
	}
	out, err := fsxml.Sofia(fsxml.DefaultProfiles(), gws, "")
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := xml.Unmarshal(out, &d); err != nil {
		t.Fatalf("rendered sofia.conf is not XML: %v\n%s", err, out)
	}
	if d.Section.Name != "configuration" || d.Section.Config.Name != "sofia.conf" || len(d.Section.Config.Profiles) != 2 {
		t.Fatalf("document shape: %+v", d.Section)
	}
	ext := d.Section.Config.Profiles[0]
	if ext.Name != "external" || len(ext.Gateways) != 2 {
		t.Fatalf("external profile: %+v", ext)
	}
	params := map[string]string{}
	for _, p := range ext.Gateways[0].Params {
		params[p.Name] = p.Value
	}
	if params["password"] != `p"<&>'` || params["register"] != "true" || params["register-transport"] != "tcp" || params["realm"] != "sip.carrier.example:5060" {
		t.Fatalf("gateway params: %v", params)
	}
	// A rescan of one profile gets only that profile.
	one, err := fsxml.Sofia(fsxml.DefaultProfiles(), gws, "internal")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(one), "waihu_1") || !strings.Contains(string(one), `profile name="internal"`) {
		t.Fatalf("profile-only render:\n%s", one)
	}
}

func TestSofiaRefusesUnsafeNames(t *testing.T) {
	for _, g := range []fsxml.Gateway{
		{Name: "bad name", Profile: "external", Proxy: "h"},
		{Name: "x/../y", Profile: "external", Proxy: "h"},
		{Name: "ok", Profile: "external", Proxy: ""},
		{Name: "ok", Profile: "external", Proxy: "h", Transport: "sctp"},
	} {
		if _, err := fsxml.Sofia(fsxml.DefaultProfiles(), []fsxml.Gateway{g}, ""); err == nil {
			t.Errorf("gateway %+v accepted", g)
		}
	}
}

func TestNotFoundIsTheMissDocument(t *testing.T) {
	var d struct {
		Section struct {
			Name   string `xml:"name,attr"`
			Result struct {
				Status string `xml:"status,attr"`
			} `xml:"result"`
		} `xml:"section"`
	}
	if err := xml.Unmarshal(fsxml.NotFound(), &d); err != nil || d.Section.Name != "result" || d.Section.Result.Status != "not found" {
		t.Fatalf("%+v %v", d, err)
	}
}
