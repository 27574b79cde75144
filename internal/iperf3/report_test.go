package iperf3

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Synthetic documents in the shapes of other releases and modes, written
// after the iperf3 sources (the key lists of §8 and §10).
const (
	// 3.12 client, server busy: partial start, empty end, error.
	reportBusy312 = `{"start":{"connected":[],"version":"iperf 3.12","system_info":"Linux vm 6.1.0 #1 SMP x86_64"},"intervals":[],"end":{},"error":"the server is busy running a test. try again later"}`

	// 3.7 client, TCP: no snd_wnd/max_snd_wnd, no target_bitrate,
	// %.15g numbers (exponent form for big integers).
	report37 = `{"start":{"connected":[{"socket":5,"local_host":"198.18.0.1","local_port":40000,"remote_host":"198.18.0.2","remote_port":5201}],
"version":"iperf 3.7","system_info":"Linux a 5.4.0 #1 SMP x86_64","timestamp":{"time":"Mon, 01 Jan 2024 00:00:00 GMT","timesecs":1704067200},
"connecting_to":{"host":"198.18.0.2","port":5201},"cookie":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","tcp_mss_default":1448,
"test_start":{"protocol":"TCP","num_streams":1,"blksize":131072,"omit":0,"duration":3600,"bytes":0,"blocks":0,"reverse":0,"tos":0}},
"intervals":[{"streams":[{"socket":5,"start":0,"end":3600.0001,"seconds":3600.0001,"bytes":4.5e+15,"bits_per_second":1e+13,"retransmits":3,"snd_cwnd":2.1e+06,"rtt":50,"rttvar":10,"pmtu":1500,"omitted":false,"sender":true}],
"sum":{"start":0,"end":3600.0001,"seconds":3600.0001,"bytes":4.5e+15,"bits_per_second":1e+13,"retransmits":3,"omitted":false,"sender":true}}],
"end":{"streams":[{"sender":{"socket":5,"start":0,"end":3600.0001,"seconds":3600.0001,"bytes":4.5e+15,"bits_per_second":1e+13,"retransmits":3,"max_snd_cwnd":2.1e+06,"max_rtt":50,"min_rtt":40,"mean_rtt":45,"sender":true},
"receiver":{"socket":5,"start":0,"end":3600.01,"seconds":3600.0001,"bytes":4.5e+15,"bits_per_second":1e+13,"sender":true}}],
"sum_sent":{"start":0,"end":3600.0001,"seconds":3600.0001,"bytes":4.5e+15,"bits_per_second":1e+13,"retransmits":3,"sender":true},
"sum_received":{"start":0,"end":3600.01,"seconds":3600.01,"bytes":4.5e+15,"bits_per_second":1e+13,"sender":true},
"cpu_utilization_percent":{"host_total":1,"host_user":0.5,"host_system":0.5,"remote_total":2,"remote_user":1,"remote_system":1},
"sender_tcp_congestion":"cubic","receiver_tcp_congestion":"cubic"}}`

	// 3.12 client, -P 2 -w 1M built without snd_wnd: duplicate
	// sock_bufsize keys and -1 written unsigned.
	reportDup312 = `{"start":{"connected":[{"socket":5,"local_host":"::1","local_port":1,"remote_host":"::1","remote_port":5201},{"socket":7,"local_host":"::1","local_port":2,"remote_host":"::1","remote_port":5201}],
"version":"iperf 3.12","system_info":"x","timestamp":{"time":"t","timesecs":1},"connecting_to":{"host":"localhost","port":5201},"cookie":"c","tcp_mss":1400,"target_bitrate":0,
"sock_bufsize":1048576,"sndbuf_actual":2097152,"rcvbuf_actual":2097152,"sock_bufsize":1048576,"sndbuf_actual":2097152,"rcvbuf_actual":4194304,
"test_start":{"protocol":"TCP","num_streams":2,"blksize":131072,"omit":0,"duration":1,"bytes":0,"blocks":0,"reverse":0,"tos":0,"target_bitrate":0}},
"intervals":[{"streams":[{"socket":5,"start":0,"end":1,"seconds":1,"bytes":10,"bits_per_second":80,"retransmits":0,"snd_cwnd":100,"snd_wnd":18446744073709551615,"rtt":1,"rttvar":1,"pmtu":65535,"omitted":false,"sender":true},
{"socket":7,"start":0,"end":1,"seconds":1,"bytes":10,"bits_per_second":80,"retransmits":0,"snd_cwnd":100,"snd_wnd":18446744073709551615,"rtt":1,"rttvar":1,"pmtu":65535,"omitted":false,"sender":true}],
"sum":{"start":0,"end":1,"seconds":1,"bytes":20,"bits_per_second":160,"retransmits":0,"omitted":false,"sender":true}}],
"end":{"streams":[],"cpu_utilization_percent":{"host_total":1,"host_user":0.5,"host_system":0.5,"remote_total":2,"remote_user":1,"remote_system":1}}}`

	// 3.21 client, UDP --bidir --get-server-output: bidir sums, newer
	// start keys, the server's own document nested.
	reportBidir321 = `{"start":{"connected":[{"socket":5,"local_host":"127.0.0.1","local_port":1,"remote_host":"127.0.0.1","remote_port":5201},{"socket":6,"local_host":"127.0.0.1","local_port":2,"remote_host":"127.0.0.1","remote_port":5201}],
"version":"iperf 3.21","system_info":"x","timestamp":{"time":"t","timesecs":1795570536,"timemillisecs":1795570536123},"connecting_to":{"host":"127.0.0.1","port":5201},"cookie":"c",
"target_bitrate":1048576,"fq_rate":0,"sock_bufsize":0,"sndbuf_actual":212992,"rcvbuf_actual":212992,
"test_start":{"protocol":"UDP","num_streams":1,"blksize":1460,"omit":0,"duration":1,"bytes":0,"blocks":0,"reverse":0,"tos":0,"target_bitrate":1048576,"bidir":1,"fqrate":0,"interval":1,"gso":0,"gro":0}},
"intervals":[{"streams":[{"socket":5,"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"packets":1,"omitted":false,"sender":true},
{"socket":6,"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0.01,"lost_packets":0,"packets":1,"lost_percent":0,"omitted":false,"sender":false}],
"sum":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"packets":1,"omitted":false,"sender":true},
"sum_bidir_reverse":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0.01,"lost_packets":0,"packets":1,"lost_percent":0,"omitted":false,"sender":false}}],
"end":{"streams":[{"udp":{"socket":5,"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0,"lost_packets":0,"packets":1,"lost_percent":0,"out_of_order":0,"sender":true}},
{"udp":{"socket":6,"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0.01,"lost_packets":0,"packets":1,"lost_percent":0,"out_of_order":0,"sender":false}}],
"sum":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0,"lost_packets":0,"packets":1,"lost_percent":0,"sender":true},
"sum_sent":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0,"lost_packets":0,"packets":1,"lost_percent":0,"sender":true},
"sum_received":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0,"lost_packets":0,"packets":1,"lost_percent":0,"sender":false},
"sum_bidir_reverse":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0.01,"lost_packets":0,"packets":1,"lost_percent":0,"sender":false},
"sum_sent_bidir_reverse":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0,"lost_packets":0,"packets":1,"lost_percent":0,"sender":true},
"sum_received_bidir_reverse":{"start":0,"end":1,"seconds":1,"bytes":1460,"bits_per_second":11680,"jitter_ms":0.01,"lost_packets":0,"packets":1,"lost_percent":0,"sender":false},
"cpu_utilization_percent":{"host_total":1,"host_user":0.5,"host_system":0.5,"remote_total":2,"remote_user":1,"remote_system":1}},
"title":"T","extra_data":"E",
"server_output_json":{"start":{"connected":[],"version":"iperf 3.21","system_info":"x","accepted_connection":{"host":"127.0.0.1","port":40000},"cookie":"c"},"intervals":[],"end":{}}}`

	// 3.20+ TCP sender keys (reorder).
	reportReorder320 = `{"start":{"connected":[],"version":"iperf 3.20","system_info":"x"},
"intervals":[{"streams":[{"socket":5,"start":0,"end":1,"seconds":1,"bytes":1,"bits_per_second":8,"retransmits":0,"snd_cwnd":1,"snd_wnd":1,"rtt":1,"rttvar":1,"pmtu":1500,"reorder":0,"omitted":false,"sender":true}],
"sum":{"start":0,"end":1,"seconds":1,"bytes":1,"bits_per_second":8,"retransmits":0,"omitted":false,"sender":true}}],
"end":{"streams":[{"sender":{"socket":5,"start":0,"end":1,"seconds":1,"bytes":1,"bits_per_second":8,"retransmits":0,"reorder":0,"max_snd_cwnd":1,"max_snd_wnd":1,"max_rtt":1,"min_rtt":1,"mean_rtt":1,"sender":true},
"receiver":{"socket":5,"start":0,"end":1,"seconds":1,"bytes":1,"bits_per_second":8,"sender":true}}]},
"server_output_text":"text"}`
)

// TestReportKeyPaths: a parsed document marshals back to the same keys, in
// the same nesting and order (each path counted once).
func TestReportKeyPaths(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
	}{
		{"3.12 TCP capture", readTestdata(t, "iperf3-3.12-client-tcp.json")},
		{"3.12 UDP capture", readTestdata(t, "iperf3-3.12-client-udp.json")},
		{"3.12 busy", []byte(reportBusy312)},
		{"3.7 TCP", []byte(report37)},
		{"3.12 -P 2 duplicate keys", []byte(reportDup312)},
		{"3.21 UDP bidir", []byte(reportBidir321)},
		{"3.20 reorder", []byte(reportReorder320)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseReport(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got, want := keyPaths(t, out), keyPaths(t, tt.doc)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("key paths differ\n got %q\nwant %q", got, want)
			}
			// Marshalling is stable: parse(ours) marshals to ours.
			r2, err := ParseReport(out)
			if err != nil {
				t.Fatal(err)
			}
			out2, _ := json.Marshal(r2)
			if !bytes.Equal(out, out2) {
				t.Errorf("re-marshalled document differs:\n%s\n%s", out, out2)
			}
		})
	}
}

// TestReportCapturesValues: every value survives, as a generic JSON
// decoder (a script) sees it.
func TestReportCapturesValues(t *testing.T) {
	for _, name := range []string{"iperf3-3.12-client-tcp.json", "iperf3-3.12-client-udp.json"} {
		t.Run(name, func(t *testing.T) {
			doc := readTestdata(t, name)
			r, err := ParseReport(doc)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.MarshalIndent(r, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("values differ:\n got %s", out)
			}
		})
	}
}

func TestParseReportTCPCapture(t *testing.T) {
	r, err := ParseReport(readTestdata(t, "iperf3-3.12-client-tcp.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := r.Start
	if s.Version != "iperf 3.12" || s.Cookie != "hldl5eomoknkuoh5susrf77obgqdwmma5kmb" ||
		len(s.Connected) != 1 || s.Connected[0] != (Connected{5, "127.0.0.1", 41826, "127.0.0.1", 5299}) ||
		s.Timestamp.Timesecs != 1795570536 || s.ConnectingTo.Port != 5299 ||
		*s.TCPMSSDefault != 32768 || s.TCPMSS != nil || *s.SndbufActual != 16384 ||
		s.TestStart.Protocol != "TCP" || s.TestStart.Blksize != 131072 || *s.TestStart.TargetBitrate != 0 || s.TestStart.Bidir != nil {
		t.Errorf("start = %+v", s)
	}
	if len(r.Intervals) != 2 {
		t.Fatalf("%d intervals, want 2", len(r.Intervals))
	}
	iv := r.Intervals[1].Streams[0]
	if *iv.Socket != 5 || iv.Bytes != 2993684480 || *iv.SndCwnd != 785796 || *iv.RTT != 89 || iv.Packets != nil || !iv.Sender ||
		iv.Seconds != 0.99987602233886719 || r.Intervals[1].Sum.Socket != nil || r.Intervals[1].SumBidirReverse != nil {
		t.Errorf("interval 1 stream = %+v", iv)
	}
	e := r.End
	if len(e.Streams) != 1 || e.Streams[0].UDP != nil || *e.Streams[0].Sender.MaxSndWnd != 16109568 ||
		*e.Streams[0].Sender.MeanRTT != 106 || e.Streams[0].Receiver.End != 2.0003 || e.Streams[0].Receiver.Retransmits != nil ||
		e.Sum != nil || e.SumSent.BitsPerSecond != 22855905536.610863 || *e.SumSent.Retransmits != 0 ||
		e.CPUUtilizationPercent.HostTotal != 46.072324394906779 || e.SenderTCPCongestion != "bbr" || e.ReceiverTCPCongestion != "bbr" {
		t.Errorf("end = %+v", e)
	}
}

func TestParseReportUDPCapture(t *testing.T) {
	r, err := ParseReport(readTestdata(t, "iperf3-3.12-client-udp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Start.TCPMSSDefault != nil || *r.Start.TargetBitrate != 1000000 || r.Start.TestStart.Protocol != "UDP" {
		t.Errorf("start = %+v", r.Start)
	}
	iv := r.Intervals[0].Streams[0]
	if *iv.Packets != 4 || iv.Retransmits != nil || iv.JitterMs != nil {
		t.Errorf("interval = %+v", iv)
	}
	u := r.End.Streams[0].UDP
	if u == nil || *u.JitterMs != 0.012810643911361696 || *u.Packets != 8 || *u.OutOfOrder != 0 || r.End.Streams[0].Sender != nil {
		t.Fatalf("end.streams[0] = %+v", r.End.Streams[0])
	}
	if r.End.Sum == nil || r.End.Sum.End != 2.000207 || r.End.SumReceived.Sender || !r.End.SumSent.Sender ||
		r.End.SenderTCPCongestion != "" {
		t.Errorf("end = %+v", r.End)
	}
}

func TestParseReportOtherVersions(t *testing.T) {
	r, err := ParseReport([]byte(report37))
	if err != nil {
		t.Fatal(err)
	}
	if r.Intervals[0].Streams[0].Bytes != 4500000000000000 || *r.Intervals[0].Streams[0].SndCwnd != 2100000 ||
		r.Intervals[0].Streams[0].SndWnd != nil || r.Start.TestStart.TargetBitrate != nil {
		t.Errorf("3.7: %+v", r.Intervals[0].Streams[0])
	}

	r, err = ParseReport([]byte(reportDup312))
	if err != nil {
		t.Fatal(err)
	}
	if *r.Intervals[0].Streams[1].SndWnd != -1 || *r.Start.RcvbufActual != 4194304 || *r.Start.TCPMSS != 1400 ||
		r.End.Streams == nil || len(r.End.Streams) != 0 {
		t.Errorf("3.12 -P 2: %+v", r.Start)
	}
	out, _ := json.Marshal(r)
	if !strings.Contains(string(out), `"snd_wnd":-1`) || strings.Count(string(out), `"sock_bufsize"`) != 1 || !strings.Contains(string(out), `"streams":[]`) {
		t.Errorf("3.12 -P 2 marshalled: %s", out)
	}

	r, err = ParseReport([]byte(reportBidir321))
	if err != nil {
		t.Fatal(err)
	}
	ts := r.Start.TestStart
	if *ts.Bidir != 1 || *ts.Interval != 1 || *ts.GSO != 0 || *r.Start.Timestamp.Timemillisecs != 1795570536123 ||
		r.Intervals[0].SumBidirReverse == nil || r.End.SumReceivedBidirReverse == nil || r.Title != "T" || r.ExtraData != "E" {
		t.Errorf("3.21: %+v", r)
	}
	server, err := ParseReport(r.ServerOutputJSON)
	if err != nil || server.Start.AcceptedConnection.Port != 40000 || server.Start.ConnectingTo != nil {
		t.Errorf("server_output_json: %+v, %v", server, err)
	}

	r, err = ParseReport([]byte(reportBusy312))
	if err != nil || r.Error == "" || r.Start.Timestamp != nil || r.Start.TestStart != nil || r.End.CPUUtilizationPercent != nil {
		t.Errorf("busy: %+v, %v", r, err)
	}
}

func TestReportMarshalZero(t *testing.T) {
	b, err := json.Marshal(Report{})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"start":{"connected":[],"version":"","system_info":""},"intervals":[],"end":{}}`
	if string(b) != want {
		t.Errorf("Report{} = %s, want %s", b, want)
	}
	// Nil interval streams become [] without touching the caller's slice.
	ivs := []ReportInterval{{Streams: []IntervalStream{}}, {}}
	b, _ = json.Marshal(Report{Intervals: ivs})
	if !strings.Contains(string(b), `"intervals":[{"streams":[],"sum":`) || strings.Contains(string(b), "null") {
		t.Errorf("marshalled: %s", b)
	}
	if ivs[1].Streams != nil {
		t.Error("MarshalJSON modified the caller's intervals")
	}
	// A pointer marshals the same way.
	b2, _ := json.Marshal(&Report{Intervals: ivs})
	if !bytes.Equal(b, b2) {
		t.Errorf("*Report marshals differently:\n%s\n%s", b, b2)
	}
}

// TestReportScriptView reads our output the way a script reads iperf3 -J.
func TestReportScriptView(t *testing.T) {
	r, err := ParseReport(readTestdata(t, "iperf3-3.12-client-tcp.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(r)
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...any) any {
		var v any = doc
		for _, p := range path {
			switch p := p.(type) {
			case string:
				v = v.(map[string]any)[p]
			case int:
				v = v.([]any)[p]
			}
		}
		return v
	}
	checks := []struct {
		got, want any
	}{
		{get("start", "test_start", "protocol"), "TCP"},
		{get("start", "test_start", "duration"), 2.0},
		{get("intervals", 0, "sum", "bits_per_second"), 21759929486.789871},
		{get("end", "sum_sent", "bits_per_second"), 22855905536.610863},
		{get("end", "sum_received", "bytes"), 5714739200.0},
		{get("end", "streams", 0, "sender", "retransmits"), 0.0},
		{get("end", "cpu_utilization_percent", "remote_total"), 47.22773801739325},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
}

func TestParseReportErrors(t *testing.T) {
	for _, in := range []string{"", "null", "[]", `"x"`, "{", `{"start":[]}`, `{"intervals":{}}`,
		`{"end":{"streams":[{"sender":{"bytes":"x"}}]}}`, `{"start":{"connected":[{"socket":1e30}]}}`, `{} {}`} {
		if _, err := ParseReport([]byte(in)); err == nil {
			t.Errorf("ParseReport(%q) succeeded", in)
		}
	}
	r, err := ParseReport([]byte(`{"server_output_json":null,"future_key":{"a":[1]}}`))
	if err != nil || r.ServerOutputJSON != nil {
		t.Errorf("ParseReport = %+v, %v", r, err)
	}
}
