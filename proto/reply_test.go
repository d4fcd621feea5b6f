package proto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

func TestFloatText(t *testing.T) {
	// The %f examples of PROTOCOL.md §3.3.
	tests := []struct {
		in   float64
		want string
	}{
		{1.5, "1.500000"},
		{1e20, "100000000000000000000.000000"},
		{2.5e-6, "0.000003"},
		{5e-7, "0.000000"},
		{math.Copysign(0, -1), "-0.000000"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{-math.NaN(), "nan"},
		{123.456 - 456.789, "-333.333000"},
	}
	for _, tt := range tests {
		if got := string(AppendFloatText(nil, tt.in)); got != tt.want {
			t.Errorf("AppendFloatText(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestValueEncoders(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(AppendStr(ReplyOK, []byte("bar"))), "OK:STR (3)bar"},
		{string(AppendInt([]byte("OK"), -8)), "OK:INT -8"},
		{string(AppendInt([]byte("OK"), math.MinInt64)), "OK:INT -9223372036854775808"},
		{string(AppendFloat([]byte("OK"), 1.5)), "OK:FLOAT 1.500000"},
		{string(AppendBool([]byte("OK"), true)), "OK:BOOL true"},
		{string(AppendTypeOnly([]byte("OK"), TypeFloat)), "OK:FLOAT "},
		{string(AppendStrings([]byte("OK"), TypeList, bs("world", "hello"))), "OK:LIST (2)[(5)world(5)hello]"},
		{string(AppendStrings([]byte("OK"), TypeSet, bs("b", "c"))), "OK:SET (2){(1)b(1)c}"},
		{string(AppendStrings[[]byte]([]byte("OK"), TypeSet, nil)), "OK:SET (0){}"},
		{string(AppendStrArr([]byte("OK"), bs("field2", "field1"))), "OK:ARR (2)[:STR (6)field2:STR (6)field1]"},
		{string(AppendNull(AppendContainerHeader([]byte("OK"), TypeArr, 1))), "OK:ARR (1)[:NULL "},
		{string(AppendErrorMsg(nil, MsgIndexOutOfRange)), "ERROR(18)index out of range"},
		{string(AppendErrorMsg(nil, "")), "ERROR"},
		{string(AppendErrorMsg(nil, MsgDBTooLarge)), "ERROR(30) db index must be less than 16"},
		{string(AppendErrorMsg(nil, NotAllowedInPipe(CmdChangePassword))), "ERROR(51)CHANGE_PASSWORD command not allowed in PIPE request"},
		{string(AppendBadTypeMsg(nil, MsgNotAList)), "BAD_TYPE(10)not a list"},
		{string(AppendBadTypeMsg(nil, "")), "BAD_TYPE"},
		{string(AppendAggHeader([]byte("OK"), TypePipe, 2)), "OK:PIPE(2)"},
		{string(AppendPublish(nil, []byte("chan"), []byte("hello"))), "ASYNC:PUBLISH (4)chan(5)hello"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

func TestParseReply(t *testing.T) {
	tests := []string{
		"OK", "NULL", "ERROR", "DENIED", "BAD_TYPE", "QUEUED", "BAD_STATE",
		"OK:STR (3)bar", "PONG:STR (0)", "PONG:STR (6) hello", "OK:INT -8", "OK:FLOAT 1.500000",
		"OK:FLOAT inf", "OK:FLOAT -inf", "OK:FLOAT nan", "OK:BOOL true", "OK:BOOL false",
		"OK:STR ", "OK:INT ", "OK:FLOAT ", "OK:LIST ", "OK:SET ", "OK:HASH ",
		"OK:ARR (3)[:STR (3)bar:INT -8:NULL ]", "OK:LIST (2)[(5)world(5)hello]",
		"OK:SET (2){(1)b(1)c}", "OK:HASH (1){(1)k(1)1}", "OK:ARR (0)[]",
		"OK:PIPE(2)OKOK:STR (3)bar", "OK:PIPE(3)OK:STR (3)barOK:INT 5OK:INT ",
		"OK:PIPE(2)OK:PIPE(1)OK:STR (3)barOK:STR (3)bar",
		"OK:AGG(4)OKOK:STR (1)vBAD_TYPEOK", "OK:PIPE(0)",
		"ERROR(7)bad key", "BAD_TYPE(9)not a set", "BAD_REQUEST(34) InvalidRequest: invalid operation",
		"OK:PIPE(2)BAD_REQUEST(34) InvalidRequest: invalid operationBAD_REQUEST(34) InvalidRequest: invalid operation",
		"ASYNC:PUBLISH (4)chan(5)hello", "OK:STR (3)\x00\x01(", "OK:ARR (1)[:LIST (1)[(1)a]]",
		"OK:PIPE(2)OK:INT OK",
	}
	for _, in := range tests {
		r, err := ParseReply([]byte(in))
		if err != nil {
			t.Errorf("ParseReply(%q): %v", in, err)
			continue
		}
		if out := string(AppendReply(nil, r)); out != in {
			t.Errorf("round trip of %q gave %q", in, out)
		}
	}
}

func TestParseReplyValues(t *testing.T) {
	r, err := ParseReply([]byte("OK:ARR (3)[:STR (3)bar:INT -8:NULL ]"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusOK || r.Value.Type != TypeArr || len(r.Value.Elems) != 3 ||
		string(r.Value.Elems[0].Str) != "bar" || r.Value.Elems[1].Int != -8 || r.Value.Elems[2].Type != TypeNull {
		t.Errorf("unexpected decode: %+v", r)
	}
	r, err = ParseReply([]byte("OK:INT "))
	if err != nil || !r.Value.TypeOnly || r.Value.Type != TypeInt {
		t.Errorf("type-only decode: %+v, %v", r, err)
	}
}

// TestClearedReplyKeepsItsRoom: replies decoded one after another into
// a cleared Reply allocate nothing once its lists have room (the RESP
// edge decodes every reply; a list's strings were a new slice each time,
// a fifth of LRANGE's CPU), and a cleared Reply decodes as a zero one.
func TestClearedReplyKeepsItsRoom(t *testing.T) {
	list := []byte("OK:LIST (3)[(1)a(2)bb(3)ccc]")
	arr := []byte("OK:ARR (2)[:STR (3)bar:NULL ]")
	replies := [][]byte{list, arr, []byte("OK:INT 5"), list}
	var r Reply
	allocs := testing.AllocsPerRun(100, func() {
		for _, b := range replies {
			r.Clear()
			if err := ParseReplyInto(&r, b); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("decoding into a cleared Reply allocates %v times", allocs)
	}
	for _, b := range [][]byte{list, arr, []byte("OK:INT 5"), []byte("ERROR(3)bad")} {
		r.Clear()
		err := ParseReplyInto(&r, b)
		want, werr := ParseReply(b)
		if fmt.Sprint(r, err) != fmt.Sprint(want, werr) {
			t.Errorf("%q into a cleared Reply: %+v %v, into a zero one %+v %v", b, r, err, want, werr)
		}
	}
}

func TestParseReplyMalformed(t *testing.T) {
	for _, in := range []string{
		"", "WHAT", "OK:", "OK:FOO 1", "OK:STR (4)bar", "OK:STR", "OK:ARR (2)[:INT 1]",
		"OK:LIST (1)[(1)a", "OK:PIPE(2)OK", "OK junk", "ERROR(5)abc", "OK:BOOL maybe",
	} {
		if _, err := ParseReply([]byte(in)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("ParseReply(%q) = %v; want ErrMalformedReply", in, err)
		}
	}
}

func frame(payload string) []byte { return AppendFrame(nil, []byte(payload)) }

func TestFrameReader(t *testing.T) {
	var stream []byte
	stream = append(stream, frame("PING")...)
	stream = append(stream, frame("")...)
	big := strings.Repeat("x", 100000)
	stream = append(stream, frame(big)...)
	stream = append(stream, frame("GET (3)foo")...)
	// One byte at a time exercises frames split across reads.
	fr := NewFrameReader(bufio.NewReaderSize(iotestOneByte{bytes.NewReader(stream)}, 4096), MaxRequest)
	for _, want := range []string{"PING", "", big, "GET (3)foo"} {
		got, err := fr.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if string(got) != want {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	}
	if _, err := fr.Next(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestFrameReaderReady(t *testing.T) {
	stream := append(frame("PING"), frame("PING")...)
	stream = append(stream, frame("PING")[:5]...) // a partial third frame
	fr := NewFrameReader(bufio.NewReader(bytes.NewReader(stream)), MaxRequest)
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if !fr.Ready() {
		t.Fatal("second frame is buffered but Ready is false")
	}
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if fr.Ready() {
		t.Fatal("only a partial frame is buffered but Ready is true")
	}
	if _, err := fr.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated frame gave %v, want io.ErrUnexpectedEOF", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFrameTooLargeRefusedBeforeReading(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, MaxRequest+1)
	src := &countingReader{r: io.MultiReader(bytes.NewReader(hdr), infiniteZeros{})}
	fr := NewFrameReader(bufio.NewReaderSize(src, 16), MaxRequest)
	if _, err := fr.Next(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	if src.n > 16 {
		t.Fatalf("read %d bytes of an oversized frame", src.n)
	}
}

type infiniteZeros struct{}

func (infiniteZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestEndFrame(t *testing.T) {
	dst, start := BeginFrame([]byte("xx"))
	dst = append(dst, "OK"...)
	dst = EndFrame(dst, start)
	if !bytes.Equal(dst, []byte("xx\x00\x00\x00\x02OK")) {
		t.Errorf("EndFrame gave %q", dst)
	}
}

// BenchmarkParseReplyInto decodes replies as the RESP edge does (a
// 100-byte GET, and a 10-element SET_MEMBERS): the cost of storage
// answering in Vanity's encoding rather than with typed results
// (docs/decisions.md, "Speaking Redis").
func BenchmarkParseReplyInto(b *testing.B) {
	get := append([]byte("OK:STR (100)"), bytes.Repeat([]byte{'v'}, 100)...)
	set := []byte("OK:SET (10){")
	for i := range 10 {
		set = append(set, fmt.Sprintf("(8)member-%d", i)...)
	}
	set = append(set, '}')
	for _, tc := range []struct {
		name  string
		reply []byte
	}{{"get", get}, {"members", set}} {
		if _, err := ParseReply(tc.reply); err != nil {
			b.Fatalf("%s: %v", tc.name, err)
		}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				var r Reply
				if err := ParseReplyInto(&r, tc.reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
