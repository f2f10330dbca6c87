package netsuite

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// maxJWT bounds a client assertion; a real one is well under 2 KiB.
const maxJWT = 16 << 10

// jwtHeader is the JOSE header of a client assertion.
type jwtHeader struct {
	Typ string `json:"typ"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// stringList is a claim that may be one string or an array of strings (scope, aud). A
// single string is also split at commas, as NetSuite writes scope "a,b".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		for part := range strings.SplitSeq(one, ",") {
			if p := strings.TrimSpace(part); p != "" {
				*l = append(*l, p)
			}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or an array of strings")
	}
	for _, p := range many {
		*l = append(*l, strings.TrimSpace(p))
	}
	return nil
}

// assertionClaims are the claims NetSuite reads from a client assertion.
type assertionClaims struct {
	Iss   string      `json:"iss"`
	Scope stringList  `json:"scope"`
	Aud   stringList  `json:"aud"`
	Exp   json.Number `json:"exp"`
	Iat   json.Number `json:"iat"`
}

// parsedJWT is a compact JWS split and decoded, its signature not yet checked.
type parsedJWT struct {
	header  jwtHeader
	claims  assertionClaims
	signing string // header.payload, the signed input
	sig     []byte
}

// parseJWT reads a compact JWS: three base64url parts (unpadded; padding is tolerated),
// a JSON header and a JSON claims object. It never panics on any input.
func parseJWT(s string) (*parsedJWT, error) {
	if len(s) > maxJWT {
		return nil, fmt.Errorf("the JWT is longer than %d bytes", maxJWT)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, errors.New("a JWT has three dot-separated parts")
	}
	dec := func(p, what string) ([]byte, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
		if err != nil {
			return nil, fmt.Errorf("the JWT %s is not base64url", what)
		}
		return b, nil
	}
	hb, err := dec(parts[0], "header")
	if err != nil {
		return nil, err
	}
	cb, err := dec(parts[1], "payload")
	if err != nil {
		return nil, err
	}
	sig, err := dec(parts[2], "signature")
	if err != nil {
		return nil, err
	}
	j := &parsedJWT{signing: parts[0] + "." + parts[1], sig: sig}
	if err := json.Unmarshal(hb, &j.header); err != nil {
		return nil, errors.New("the JWT header is not a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(cb))
	d.UseNumber()
	if err := d.Decode(&j.claims); err != nil {
		return nil, fmt.Errorf("the JWT payload is not a JSON object of claims: %v", err)
	}
	return j, nil
}

// verify checks the signature with key for the header's alg. NetSuite takes PS256,
// PS384, PS512, ES256, ES384 and ES512 for client assertions.
func (j *parsedJWT) verify(key crypto.PublicKey) error {
	var h crypto.Hash
	switch j.header.Alg {
	case "PS256", "ES256":
		h = crypto.SHA256
	case "PS384", "ES384":
		h = crypto.SHA384
	case "PS512", "ES512":
		h = crypto.SHA512
	default:
		return fmt.Errorf("alg %q is not one of PS256, PS384, PS512, ES256, ES384, ES512", j.header.Alg)
	}
	digest := hashOf(h, []byte(j.signing))
	switch k := key.(type) {
	case *rsa.PublicKey:
		if j.header.Alg[0] != 'P' {
			return fmt.Errorf("alg %s does not match the certificate's RSA key", j.header.Alg)
		}
		if rsa.VerifyPSS(k, h, digest, j.sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) != nil {
			return errors.New("the signature does not verify")
		}
		return nil
	case *ecdsa.PublicKey:
		if j.header.Alg[0] != 'E' {
			return fmt.Errorf("alg %s does not match the certificate's EC key", j.header.Alg)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(j.sig) != 2*size {
			return errors.New("the signature does not verify")
		}
		r, s := new(big.Int).SetBytes(j.sig[:size]), new(big.Int).SetBytes(j.sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errors.New("the signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", key)
}

func hashOf(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(b)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(b)
		return d[:]
	}
	d := sha256.Sum256(b)
	return d[:]
}

// ParsePublicKey reads the public part of the certificate mapped to an integration from
// PEM: a certificate ("CERTIFICATE", as uploaded to NetSuite) or a public key ("PUBLIC
// KEY"). RSA and EC (P-256, P-384, P-521) keys are accepted.
func ParsePublicKey(pemData []byte) (crypto.PublicKey, error) {
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM certificate or public key found")
		}
		var key any
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
			key = c.PublicKey
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("public key: %w", err)
			}
			key = k
		default:
			continue
		}
		switch k := key.(type) {
		case *rsa.PublicKey:
			return k, nil
		case *ecdsa.PublicKey:
			switch k.Curve {
			case elliptic.P256(), elliptic.P384(), elliptic.P521():
				return k, nil
			}
		}
		return nil, fmt.Errorf("unsupported key %T: want RSA or EC P-256, P-384, P-521", key)
	}
}
