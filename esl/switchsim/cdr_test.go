package switchsim

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type cdrHit struct {
	path, ua, ct string
	body         []byte
}

// TestCDRPostShapeAndRetry: the first post gets a 500, the retry
// (byte-identical, cdr-post.txt requests 1 and 2) gets a 200.
func TestCDRPostShapeAndRetry(t *testing.T) {
	var mu sync.Mutex
	var hits []cdrHit
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, cdrHit{r.URL.RequestURI(), r.UserAgent(), r.Header.Get("Content-Type"), b})
		n := len(hits)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s := startSim(t, Options{CDRURL: srv.URL + "/cdr/xml", CDRRetryDelay: 10 * time.Millisecond})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain CHANNEL_HANGUP_COMPLETE", nil)
	c.cmd("bgapi originate {origination_uuid=cdr-busy-1,waihu_attempt=A1,waihu_tenant=7}sofia/gateway/gw1/13800000001 &park()", nil)
	if e := c.nextEvent(); e.get("Event-Name") != "CHANNEL_HANGUP_COMPLETE" {
		t.Fatal(e.get("Event-Name"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) != 2 {
		t.Fatalf("%d posts, want 2 (one retry)", len(hits))
	}
	if string(hits[0].body) != string(hits[1].body) {
		t.Fatal("retry body differs")
	}
	h := hits[1]
	if h.path != "/cdr/xml?uuid=a_cdr-busy-1" || h.ua != "freeswitch-xml/1.0" || h.ct != "application/x-www-form-urlencoded" {
		t.Fatalf("request %+v", h)
	}
	if !strings.HasPrefix(string(h.body), "cdr=%3C%3Fxml%20version%3D%221.0%22%3F%3E%0A%3Ccdr%20core-uuid%3D") {
		t.Fatalf("body start %q", h.body[:60])
	}
	form, err := url.ParseQuery(string(h.body))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName   xml.Name `xml:"cdr"`
		Variables struct {
			UUID          string `xml:"uuid"`
			SIPTermStatus string `xml:"sip_term_status"`
			HangupCause   string `xml:"hangup_cause"`
			Billsec       string `xml:"billsec"`
			Duration      string `xml:"duration"`
			StartEpoch    string `xml:"start_epoch"`
			AnswerEpoch   string `xml:"answer_epoch"`
			EndEpoch      string `xml:"end_epoch"`
			Attempt       string `xml:"waihu_attempt"`
			Tenant        string `xml:"waihu_tenant"`
		} `xml:"variables"`
		Callflow struct {
			Profile struct {
				Dest string `xml:"destination_number"`
			} `xml:"caller_profile"`
		} `xml:"callflow"`
	}
	if err := xml.Unmarshal([]byte(form.Get("cdr")), &doc); err != nil {
		t.Fatal(err)
	}
	v := doc.Variables
	if v.UUID != "cdr-busy-1" || v.SIPTermStatus != "486" || v.HangupCause != "USER_BUSY" || v.Billsec != "0" ||
		v.AnswerEpoch != "0" || v.StartEpoch == "" || v.EndEpoch == "" || v.Duration == "" || v.Attempt != "A1" || v.Tenant != "7" ||
		doc.Callflow.Profile.Dest != "13800000001" {
		t.Fatalf("cdr variables %+v", doc)
	}
	ci, _ := s.Call("cdr-busy-1")
	if !ci.CDRPosted {
		t.Fatal("CDRPosted false")
	}
}

func TestCDRGivesUpAfterRetries(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s := startSim(t, Options{CDRURL: srv.URL, CDRRetries: 3, CDRRetryDelay: time.Millisecond})
	c := dial(t, s.ESLAddr(), "ClueCon")
	if r := c.cmd("api originate {origination_uuid=cdr-2}sofia/gateway/gw1/13800000003 &park()", nil); r.body != "-ERR CALL_REJECTED\n" {
		t.Fatalf("%q", r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 4 {
		t.Fatalf("%d tries, want 1+3", n)
	}
}
