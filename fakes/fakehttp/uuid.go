package fakehttp

import "encoding/hex"

// UUIDv4 lays out the 128 bits hi, lo as a version-4 UUID, the shape of the request,
// correlation, event and webhook ids the platforms send (8-4-4-4-12 lower-case hex): the
// four version bits and the two variant bits are overwritten, the other 122 kept. A fake
// draws hi and lo from its seeded source, so the same seed gives the same ids.
func UUIDv4(hi, lo uint64) string {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
