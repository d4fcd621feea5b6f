package proto

// MatchPattern reports whether name matches the glob pattern of SCAN and
// KEYS (PROTOCOL.md §12.4): * any run of bytes, ? one byte, [abc] one of
// a set ([^abc] none of it, [a-z] a range), and \ takes the next byte
// literally. It works on bytes, in time O(len(pattern)·len(name)).
func MatchPattern(pattern, name []byte) bool {
	p, n := 0, 0
	star, mark := -1, 0 // the last * seen, and where in name its run ends
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				star, mark = p, n
				p++
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				if end, ok := matchClass(pattern, p, name[n]); end > 0 {
					if ok {
						p, n = end, n+1
						continue
					}
				} else if name[n] == '[' { // no closing ]: a literal [
					p++
					n++
					continue
				}
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == name[n] {
					p += 2
					n++
					continue
				}
				if p+1 == len(pattern) && name[n] == '\\' {
					p++
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		mark++ // let the last * take one more byte
		p, n = star+1, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches b against the class starting at pattern[p] == '['.
// It returns the position after the closing ] (0 when there is none) and
// whether b is in the class.
func matchClass(pattern []byte, p int, b byte) (int, bool) {
	i := p + 1
	negate := i < len(pattern) && pattern[i] == '^'
	if negate {
		i++
	}
	in := false
	first := true
	for ; i < len(pattern); i++ {
		c := pattern[i]
		if c == ']' && !first {
			return i + 1, in != negate
		}
		first = false
		if c == '\\' && i+1 < len(pattern) {
			i++
			c = pattern[i]
		} else if i+2 < len(pattern) && pattern[i+1] == '-' && pattern[i+2] != ']' {
			lo, hi := c, pattern[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			in = in || b >= lo && b <= hi
			i += 2
			continue
		}
		in = in || b == c
	}
	return 0, false
}
