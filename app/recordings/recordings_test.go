package recordings_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/recordings"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

const (
	accessKey = "AKIDWAIHUTEST"
	secretKey = "waihu/secret+key"
	bucket    = "call-recordings"
	region    = "cn-test-1"
)

// fakeS3 is gofakes3 (an in-process S3-compatible server that checks
// Content-MD5 and keeps objects) behind a gate that authenticates requests
// as S3 does with Signature V4: it rebuilds the canonical request from the
// request as received (its own code, not the client's), and refuses a
// wrong signature, an expired presigned URL, a payload hash that does not
// match the body, or a clock more than 15 minutes off.
type fakeS3 struct {
	srv *httptest.Server
	// failPuts makes the next n PUTs fail with 503 SlowDown.
	failPuts atomic.Int32
	mu       sync.Mutex
	puts     int
	refused  []string
}

func newFakeS3(t *testing.T) *fakeS3 {
	backend := s3mem.New()
	faker := gofakes3.New(backend)
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	f := &fakeS3{}
	inner := faker.Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if reason := verifySigV4(r, body); reason != "" {
			f.mu.Lock()
			f.refused = append(f.refused, reason)
			f.mu.Unlock()
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>"+reason+"</Message></Error>")
			return
		}
		if r.Method == http.MethodPut {
			f.mu.Lock()
			f.puts++
			f.mu.Unlock()
			if f.failPuts.Add(-1) >= 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "<Error><Code>SlowDown</Code></Error>")
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func hmacSum(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// verifySigV4 returns why S3 would refuse the request, or "".
func verifySigV4(r *http.Request, body []byte) string {
	q := r.URL.Query()
	var date, scope, signed, sig, payload string
	presigned := q.Get("X-Amz-Signature") != ""
	if presigned {
		date, signed, sig, payload = q.Get("X-Amz-Date"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), "UNSIGNED-PAYLOAD"
		cred := strings.SplitN(q.Get("X-Amz-Credential"), "/", 2)
		if len(cred) != 2 || cred[0] != accessKey {
			return "unknown access key"
		}
		scope = cred[1]
		t, err := time.Parse("20060102T150405Z", date)
		exp, _ := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || time.Now().After(t.Add(time.Duration(exp)*time.Second)) {
			return "Request has expired"
		}
		q.Del("X-Amz-Signature")
	} else {
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
			return "missing Authorization"
		}
		for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ", ") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "Credential":
				ak, rest, _ := strings.Cut(v, "/")
				if ak != accessKey {
					return "unknown access key"
				}
				scope = rest
			case "SignedHeaders":
				signed = v
			case "Signature":
				sig = v
			}
		}
		date, payload = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
		sum := sha256.Sum256(body)
		if payload != hex.EncodeToString(sum[:]) {
			return "XAmzContentSHA256Mismatch"
		}
		if m := r.Header.Get("Content-MD5"); m != "" {
			ms := md5.Sum(body)
			if m != base64.StdEncoding.EncodeToString(ms[:]) {
				return "BadDigest"
			}
		}
		t, err := time.Parse("20060102T150405Z", date)
		if err != nil || time.Since(t).Abs() > 15*time.Minute {
			return "RequestTimeTooSkewed"
		}
	}
	if !strings.HasPrefix(scope, date[:8]+"/"+region+"/s3/aws4_request") {
		return "bad credential scope " + scope
	}
	var hdrs strings.Builder
	names := strings.Split(signed, ";")
	if !sort.StringsAreSorted(names) || !strings.Contains(signed, "host") {
		return "bad SignedHeaders"
	}
	for _, n := range names {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		hdrs.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		qs = append(qs, awsEscape(k)+"="+awsEscape(q.Get(k)))
	}
	creq := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(qs, "&"), hdrs.String(), signed, payload}, "\n")
	h := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	k := hmacSum([]byte("AWS4"+secretKey), date[:8])
	k = hmacSum(k, region)
	k = hmacSum(k, "s3")
	k = hmacSum(k, "aws4_request")
	if hex.EncodeToString(hmacSum(k, sts)) != sig {
		return "SignatureDoesNotMatch"
	}
	return ""
}

type rig struct {
	db  *store.DB
	s3  *fakeS3
	svc *recordings.Service
	dir string
}

func newRig(t *testing.T, db *store.DB, deleteLocal bool, secret string) *rig {
	f := newFakeS3(t)
	c, err := recordings.NewS3(recordings.S3Config{Endpoint: f.srv.URL, Bucket: bucket, Region: region, AccessKey: accessKey, SecretKey: secret, PathStyle: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc := recordings.New(db, recordings.Options{S3: c, Dir: dir, Prefix: "waihu/", DeleteLocal: deleteLocal, Delay: time.Millisecond, Log: storetest.Logger()})
	return &rig{db: db, s3: f, svc: svc, dir: dir}
}

// answered stores a finished, answered call with a recording on disk and
// enqueues its upload as call control's finish hook does.
func (r *rig) answered(t *testing.T, audio []byte) *store.CallAttempt {
	now := time.Now().UTC()
	id := uuid.NewString()
	rel := filepath.Join("1", now.Format("20060102"), id+".wav")
	if err := os.MkdirAll(filepath.Join(r.dir, filepath.Dir(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, rel), audio, 0o644); err != nil {
		t.Fatal(err)
	}
	a := &store.CallAttempt{UUID: id, CampaignID: 1, ContactID: uint64(now.UnixNano()), AttemptNo: 1, Phone: "+8613800138000",
		State: store.AttemptFinished, Outcome: "answered", QueuedAt: now, DialedAt: &now, AnsweredAt: &now, RecordPath: filepath.Join(r.dir, rel)}
	err := r.db.Tx(store.WithTenant(context.Background(), 1), func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return r.svc.OnFinish(context.Background(), tx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (r *rig) task(t *testing.T, a *store.CallAttempt) *store.OutboxTask {
	var task store.OutboxTask
	if err := r.db.With(store.AsPlatform(context.Background())).Where("`key` = ?", recordings.JobKind+":"+a.UUID).Take(&task).Error; err != nil {
		t.Fatalf("no upload job for the call: %v", err)
	}
	return &task
}

func (r *rig) reload(t *testing.T, a *store.CallAttempt) store.CallAttempt {
	var got store.CallAttempt
	if err := r.db.With(store.AsPlatform(context.Background())).Take(&got, a.ID).Error; err != nil {
		t.Fatal(err)
	}
	return got
}

func wavBytes(n int) []byte {
	b := make([]byte, 44+n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVE")
	for i := 44; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func TestUploadVerifyPlayAndDeleteLocal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, true, secretKey)
		audio := wavBytes(48000)
		a := r.answered(t, audio)
		task := r.task(t, a)
		if err := r.svc.Handle(context.Background(), task); err != nil {
			t.Fatalf("upload: %v (refused: %v)", err, r.s3.refused)
		}
		got := r.reload(t, a)
		wantKey := "waihu/recordings/1/" + a.DialedAt.Format("20060102") + "/" + a.UUID + ".wav"
		if got.RecordKey != wantKey {
			t.Fatalf("record key %q, want %q", got.RecordKey, wantKey)
		}
		if _, err := os.Stat(a.RecordPath); !os.IsNotExist(err) {
			t.Fatalf("local file kept after a verified upload with delete-local: %v", err)
		}
		// The presigned URL plays the object to anyone holding it, briefly.
		u := r.svc.PlaybackURL(&got)
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, audio) {
			t.Fatalf("presigned GET: %d, %d bytes (refused: %v)", resp.StatusCode, len(body), r.s3.refused)
		}
		// Tampering with the URL breaks it.
		resp, err = http.Get(strings.Replace(u, "X-Amz-Expires=300", "X-Amz-Expires=86400", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a presigned URL with a longer expiry was accepted: %d", resp.StatusCode)
		}
		// A duplicate delivery of the job changes nothing and uploads nothing.
		puts := r.s3.puts
		if err := r.svc.Handle(context.Background(), task); err != nil {
			t.Fatal(err)
		}
		if r.s3.puts != puts || r.reload(t, a).RecordKey != wantKey {
			t.Fatal("a duplicate job uploaded again")
		}
	})
}

func TestUnansweredOrUnrecordedCallsAreNotUploaded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, false, secretKey)
		now := time.Now().UTC()
		for _, a := range []*store.CallAttempt{
			{UUID: uuid.NewString(), RecordPath: "/x.wav"},                                   // not answered
			{UUID: uuid.NewString(), AnsweredAt: &now},                                       // no recording
			{UUID: uuid.NewString(), AnsweredAt: &now, RecordPath: "/x.wav", RecordKey: "k"}, // done
		} {
			if err := r.svc.OnFinish(context.Background(), db.With(store.AsPlatform(context.Background())), a); err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		db.With(store.AsPlatform(context.Background())).Model(&store.OutboxTask{}).Where("kind = ?", recordings.JobKind).Count(&n)
		if n != 0 {
			t.Fatalf("%d upload jobs for calls with nothing to upload", n)
		}
	})
}

func TestWrongSecretIsRefusedAndNothingIsRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, true, "not-the-secret")
		a := r.answered(t, wavBytes(1000))
		err := r.svc.Handle(context.Background(), r.task(t, a))
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("upload with a wrong secret: %v", err)
		}
		if got := r.reload(t, a); got.RecordKey != "" {
			t.Fatal("key recorded for a refused upload")
		}
		if _, err := os.Stat(a.RecordPath); err != nil {
			t.Fatalf("local file removed after a failed upload: %v", err)
		}
	})
}

// Through the real jobs runner (embedded Redis): the first PUT fails with
// 503, the runner retries with backoff, the second succeeds.
func TestUploadRetriesThroughTheOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, false, secretKey)
		runner, err := jobs.New(db, jobs.Options{Concurrency: 2, RelayEvery: 100 * time.Millisecond, Log: storetest.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		runner.Handle(recordings.JobKind, r.svc.Handle)
		r.s3.failPuts.Store(1)
		a := r.answered(t, wavBytes(8000))
		if err := runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(runner.Close)
		deadline := time.Now().Add(30 * time.Second)
		for r.reload(t, a).RecordKey == "" {
			if time.Now().After(deadline) {
				t.Fatalf("not uploaded; job: %+v", r.task(t, a))
			}
			time.Sleep(50 * time.Millisecond)
		}
		task := r.task(t, a)
		if task.Status != store.TaskDone || r.s3.puts != 2 {
			t.Fatalf("job %s after %d PUTs, want done after 2", task.Status, r.s3.puts)
		}
		if _, err := os.Stat(a.RecordPath); err != nil {
			t.Fatalf("local file removed without delete-local: %v", err)
		}
	})
}

// A record path outside the recordings directory is never read or
// uploaded, and the job gives up at once.
func TestRecordPathOutsideTheDirectoryFailsForGood(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, true, secretKey)
		a := r.answered(t, wavBytes(1000))
		if err := db.With(store.AsPlatform(context.Background())).Model(&store.CallAttempt{}).Where("id = ?", a.ID).Update("record_path", "/etc/passwd").Error; err != nil {
			t.Fatal(err)
		}
		err := r.svc.Handle(context.Background(), r.task(t, a))
		if !errors.Is(err, jobs.ErrPermanent) || r.s3.puts != 0 {
			t.Fatalf("outside path: %v, %d PUTs", err, r.s3.puts)
		}
	})
}

// A WAV FreeSWITCH has not closed yet (RIFF length not written) is not
// uploaded; the job retries and uploads it once complete.
func TestUnfinishedWAVWaits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, false, secretKey)
		audio := wavBytes(4000)
		binary.LittleEndian.PutUint32(audio[4:], 0)
		a := r.answered(t, audio)
		task := r.task(t, a)
		if err := r.svc.Handle(context.Background(), task); err == nil || errors.Is(err, jobs.ErrPermanent) || r.s3.puts != 0 {
			t.Fatalf("unfinished file: %v, %d PUTs", err, r.s3.puts)
		}
		if err := os.WriteFile(a.RecordPath, wavBytes(4000), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.Handle(context.Background(), task); err != nil || r.reload(t, a).RecordKey == "" {
			t.Fatalf("finished file: %v", err)
		}
	})
}
