package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDiscard: with Spec.Discard the receiving side, client or server,
// drops TCP bytes unread (mode tcp-discard) and still counts every byte of
// a bounded test; a UDP test refuses it, naming the fix.
func TestDiscard(t *testing.T) {
	var last lastTest
	addr := startServer(t, &Server{OnTest: last.record})
	for _, tc := range []struct {
		name        string
		spec        Spec
		client, srv bool // whose modes must name tcp-discard
		exact       uint64
	}{
		{"client sends", Spec{Bytes: 64 << 20, Discard: true}, false, true, 64 << 20},
		{"client receives", Spec{Bytes: 64 << 20, Reverse: true, Discard: true}, true, false, 64 << 20},
		{"both receive", Spec{Duration: time.Second, Bidir: true, Discard: true}, true, true, 0},
		{"timed, two streams", Spec{Duration: time.Second, Streams: 2, Discard: true}, false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last.record(nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := (&Client{}).Run(ctx, addr, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if sent, got := res.SumSent.Bytes, res.SumReceived.Bytes; tc.exact > 0 && (sent != tc.exact || got != tc.exact) || got == 0 || got > sent {
				t.Errorf("sent %d bytes, received %d (want %d both when bounded)", sent, got, tc.exact)
			}
			if has := slices.Contains(res.Modes, ModeTCPDiscard); has != tc.client {
				t.Errorf("client modes %v: tcp-discard %v, want %v", res.Modes, has, tc.client)
			}
			if has := slices.Contains(res.PeerModes, ModeTCPDiscard); has != tc.srv {
				t.Errorf("the server's modes as the client got them %v: tcp-discard %v, want %v", res.PeerModes, has, tc.srv)
			}
			st := last.wait()
			if st == nil || st.Result == nil {
				t.Fatalf("the server reported no test: %+v", st)
			}
			if has := slices.Contains(st.Result.Modes, ModeTCPDiscard); has != tc.srv {
				t.Errorf("server modes %v: tcp-discard %v, want %v", st.Result.Modes, has, tc.srv)
			}
			if !slices.Equal(st.Result.PeerModes, res.Modes) {
				t.Errorf("the client's modes as the server got them %v, want %v", st.Result.PeerModes, res.Modes)
			}
		})
	}
	if _, err := (Spec{Protocol: UDP, Discard: true}).Normalize(); err == nil || !strings.Contains(err.Error(), "drop it for UDP") {
		t.Errorf("UDP with discard: %v, want an error naming the fix", err)
	}
}
