package tenant

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters. The defaults are OWASP's
// Password Storage Cheat Sheet recommendation for argon2id: 19 MiB of memory,
// 2 iterations, 1 degree of parallelism (m=19456, t=2, p=1).
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	SaltLen     int
	KeyLen      uint32
}

// OWASPArgon2 is what waihu hashes new passwords with.
var OWASPArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// hashSlots bounds concurrent hashing: each hash takes 19 MiB, so a burst of
// logins cannot take the process's memory with it.
var hashSlots = make(chan struct{}, 8)

func acquireHashSlot(ctx context.Context) error {
	select {
	case hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func releaseHashSlot() { <-hashSlots }

// HashPassword returns a PHC-format argon2id hash:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func HashPassword(ctx context.Context, password string) (string, error) {
	return hashWith(ctx, password, OWASPArgon2)
}

func hashWith(ctx context.Context, password string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	if err := acquireHashSlot(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	releaseHashSlot()
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// ParseHash reads the parameters back out of a PHC argon2id hash.
func ParseHash(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Argon2Params{}, nil, nil, errors.New("unsupported argon2 version")
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("argon2 salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("argon2 key: %w", err)
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword checks password against an encoded hash in constant time.
// needsRehash reports a hash made with weaker parameters than OWASPArgon2.
func VerifyPassword(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	p, salt, key, err := ParseHash(encoded)
	if err != nil {
		return false, false, err
	}
	if err := acquireHashSlot(ctx); err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	releaseHashSlot()
	ok = subtle.ConstantTimeCompare(got, key) == 1
	weaker := p.MemoryKiB < OWASPArgon2.MemoryKiB || p.Iterations < OWASPArgon2.Iterations || p.KeyLen < OWASPArgon2.KeyLen
	return ok, weaker, nil
}

// dummyHash is verified against when the account does not exist, so that a
// login for an unknown email costs the same time as a wrong password and
// does not reveal which emails are registered.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashWith(context.Background(), "waihu-dummy-password", OWASPArgon2)
	if err != nil {
		panic(err)
	}
	return h
})
