package rdb

// unlzf decompresses LZF data (the format of Marc Lehmann's liblzf, which
// Redis uses for long strings) into exactly n bytes. A control byte below
// 32 copies that many literal bytes plus one; any other is a back
// reference: its top three bits are the length minus two (7: the next
// byte adds to it), its low five bits and the next byte the distance back
// minus one. Input that does not make exactly n bytes is refused.
func unlzf(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			lit := ctrl + 1
			if i+lit > len(in) || len(out)+lit > n {
				return nil, errFormat("LZF literal past the end")
			}
			out = append(out, in[i:i+lit]...)
			i += lit
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if i >= len(in) {
				return nil, errFormat("LZF reference cut short")
			}
			length += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errFormat("LZF reference cut short")
		}
		back := (ctrl&0x1f)<<8 + int(in[i]) + 1
		i++
		length += 2
		if back > len(out) || len(out)+length > n {
			return nil, errFormat("LZF reference out of range")
		}
		from := len(out) - back
		for k := range length { // the copy may overlap what it writes
			out = append(out, out[from+k])
		}
	}
	if len(out) != n {
		return nil, errFormat("LZF data shorter than its length")
	}
	return out, nil
}
