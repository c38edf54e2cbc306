package watch

import (
	"encoding/json"
	"strconv"
)

// marshalEvent is json.Marshal(ev), byte for byte, written by hand for an
// event without forensics: the journal's writers are short-lived (a berth
// command, a shim after its start), and json.Marshal's first call in a
// process builds its encoder by reflection, 0.16-0.24 ms here, on a
// start's path in both berth (the create) and the shim (the start). An
// event with forensics goes to json.Marshal.
func marshalEvent(ev Event) ([]byte, error) {
	if ev.Forensics != nil {
		return json.Marshal(ev)
	}
	t, err := ev.Time.MarshalJSON()
	if err != nil {
		// json.Marshal's error, wrapped as it wraps a marshaler's.
		return json.Marshal(ev)
	}
	b := make([]byte, 0, 96+len(ev.ID)+len(ev.Root)+len(ev.Detail)+len(ev.Proc))
	b = append(append(b, `{"time":`...), t...)
	b = appendString(append(b, `,"kind":`...), string(ev.Kind))
	b = appendString(append(b, `,"id":`...), ev.ID)
	if ev.Root != "" {
		b = appendString(append(b, `,"root":`...), ev.Root)
	}
	if ev.Pid != 0 {
		b = strconv.AppendInt(append(b, `,"pid":`...), int64(ev.Pid), 10)
	}
	if ev.ExitStatus != nil {
		b = strconv.AppendInt(append(b, `,"exitStatus":`...), int64(*ev.ExitStatus), 10)
	}
	if ev.OOMKilled {
		b = append(b, `,"oomKilled":true`...)
	}
	if ev.Detail != "" {
		b = appendString(append(b, `,"detail":`...), ev.Detail)
	}
	if ev.OOMCount != 0 {
		b = strconv.AppendUint(append(b, `,"oomKills":`...), ev.OOMCount, 10)
	}
	if ev.Missed {
		b = append(b, `,"missed":true`...)
	}
	if ev.Proc != "" {
		b = appendString(append(b, `,"proc":`...), ev.Proc)
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string the way json.Marshal writes it
// (HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced);
// plain ASCII, which ids and kinds are, is copied as it is.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}
