package netsuite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
)

// ParsePrivateKey reads the private key of the certificate mapped to the integration
// (OAuth 2.0 Client Credentials Setup) from PEM: PKCS #8 ("PRIVATE KEY"), PKCS #1 ("RSA
// PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"). RSA keys sign with PS256, EC keys with
// ES256, ES384 or ES512 by curve: the algorithms NetSuite accepts for the client
// assertion (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162790605110.html).
func ParsePrivateKey(pemData []byte) (crypto.Signer, error) {
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PKCS #8 private key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported private key type %T", k)
			}
			return checkKey(s)
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PKCS #1 private key: %w", err)
			}
			return checkKey(k)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("EC private key: %w", err)
			}
			return checkKey(k)
		}
	}
}

func checkKey(s crypto.Signer) (crypto.Signer, error) {
	if _, err := signingAlg(s); err != nil {
		return nil, err
	}
	return s, nil
}

// signingAlg is the JWS algorithm a key signs with.
func signingAlg(s crypto.Signer) (string, error) {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		return "PS256", nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		case elliptic.P521():
			return "ES512", nil
		}
		return "", fmt.Errorf("unsupported EC curve %s (want P-256, P-384 or P-521)", k.Curve.Params().Name)
	}
	return "", fmt.Errorf("unsupported private key type %T (want RSA or EC)", s)
}

// signJWT makes a compact JWS of claims with header {"typ":"JWT","alg":...,"kid":kid}:
// RSASSA-PSS with SHA-256 and a salt as long as the hash (RFC 7518 §3.5), or ECDSA with
// the curve's hash and the fixed-width r||s signature (RFC 7518 §3.4).
func signJWT(key crypto.Signer, kid string, claims any) (string, error) {
	alg, err := signingAlg(key)
	if err != nil {
		return "", err
	}
	hdr, err := json.Marshal(struct {
		Typ string `json:"typ"`
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}{"JWT", alg, kid})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		d := sha256.Sum256([]byte(signing))
		sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case *ecdsa.PrivateKey:
		var digest []byte
		size := (k.Curve.Params().BitSize + 7) / 8
		switch alg {
		case "ES256":
			d := sha256.Sum256([]byte(signing))
			digest = d[:]
		case "ES384":
			d := sha512.Sum384([]byte(signing))
			digest = d[:]
		default:
			d := sha512.Sum512([]byte(signing))
			digest = d[:]
		}
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest)
		if err == nil {
			sig = make([]byte, 2*size)
			r.FillBytes(sig[:size])
			s.FillBytes(sig[size:])
		}
	}
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
