package fsxml_test

import (
	"encoding/xml"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/callctl/fsxml"
)

const confDir = "../../../freeswitch-conf"

// FreeSWITCH's own preprocessor variables (switch_core.c sets them at start).
var builtinVars = map[string]bool{
	"local_ip_v4": true, "local_ip_v6": true, "log_dir": true, "cache_dir": true, "base_dir": true,
	"conf_dir": true, "run_dir": true, "db_dir": true, "sounds_dir": true, "recordings_dir": false,
	"temp_dir": true, "certs_dir": true, "storage_dir": true, "hostname": true, "switch_serial": true,
}

// TestConfIsWellFormedAndVarsAreDefined checks every file of the FreeSWITCH
// configuration parses as XML and every $${var} it uses is set in vars.xml
// or by FreeSWITCH itself: an undefined preprocessor variable is silently
// left as literal text by FreeSWITCH, which then fails far from the cause.
func TestConfIsWellFormedAndVarsAreDefined(t *testing.T) {
	vars, err := os.ReadFile(filepath.Join(confDir, "vars.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`cmd="(?:env-)?set" data="([a-zA-Z0-9_-]+)=`).FindAllSubmatch(vars, -1) {
		defined[string(m[1])] = true
	}
	use := regexp.MustCompile(`\$\$\{([a-zA-Z0-9_-]+)\}`)
	files := 0
	err = filepath.WalkDir(confDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xml") {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := xml.NewDecoder(strings.NewReader(string(data)))
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Errorf("%s: not well-formed XML: %v", path, err)
				break
			}
		}
		for _, m := range use.FindAllSubmatch(data, -1) {
			v := string(m[1])
			if !defined[v] && !builtinVars[v] {
				t.Errorf("%s uses $${%s}, which vars.xml does not set", path, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("only %d XML files under %s", files, confDir)
	}
}

// TestStaticProfilesMatchRendered keeps the static sofia profiles (used when
// waihu is unreachable at FreeSWITCH start) and the ones waihu renders over
// xml_curl identical, param for param.
func TestStaticProfilesMatchRendered(t *testing.T) {
	type param struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	type profile struct {
		Name   string  `xml:"name,attr"`
		Params []param `xml:"settings>param"`
	}
	for _, want := range fsxml.DefaultProfiles() {
		data, err := os.ReadFile(filepath.Join(confDir, "sip_profiles", want.Name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		var p profile
		if err := xml.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, x := range p.Params {
			got[x.Name] = x.Value
		}
		if p.Name != want.Name || len(got) != len(want.Params) {
			t.Errorf("profile %s: file has %d params, waihu renders %d", want.Name, len(got), len(want.Params))
		}
		for k, v := range want.Params {
			if got[k] != v {
				t.Errorf("profile %s param %s: file %q, rendered %q", want.Name, k, got[k], v)
			}
		}
	}
}
