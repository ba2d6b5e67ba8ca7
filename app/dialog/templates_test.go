package dialog

import (
	"testing"
)

func TestTemplatesValidAndPassTheirTests(t *testing.T) {
	for _, info := range Templates() {
		t.Run(info.Name, func(t *testing.T) {
			s, err := Template(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range Validate(s) {
				t.Errorf("%s", i)
			}
			for _, tr := range RunTests(s) {
				if !tr.Passed {
					t.Errorf("test %q: %v\npath %v tags %v grade %s end %s", tr.Name, tr.Failures, tr.Result.Path, tr.Result.Tags, tr.Result.Grade, tr.Result.End)
				}
			}
			// JSON round trip.
			back, err := Parse(s.JSON())
			if err != nil {
				t.Fatal(err)
			}
			if string(back.JSON()) != string(s.JSON()) {
				t.Error("JSON round trip changed the script")
			}
		})
	}
}
