package runrecord

import (
	"slices"
	"time"
)

// Attempt is one invocation that added samples to a run: the first
// `cnibench run`, then each `cnibench run --resume` that continued it.
// Sample.Attempt is the 1-based index of the attempt that measured it.
// A run that was never resumed records no attempts (one, implicitly).
type Attempt struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	CommandLine []string  `json:"command_line"`
}

// BeginAttempt starts another attempt at r and returns its number. The
// first call on a record without attempts first records the original
// run as attempt 1 (its start, its last sample's end, its command line)
// and marks its samples as attempt 1.
func (r *Run) BeginAttempt(commandLine []string, start time.Time) int {
	if len(r.Attempts) == 0 {
		end := r.End
		for _, s := range r.Samples {
			if s.End.After(end) {
				end = s.End
			}
		}
		r.Attempts = []Attempt{{Start: r.Start, End: end, CommandLine: slices.Clone(r.CommandLine)}}
		for i := range r.Samples {
			if r.Samples[i].Attempt == 0 {
				r.Samples[i].Attempt = 1
			}
		}
	}
	r.Attempts = append(r.Attempts, Attempt{Start: start, CommandLine: slices.Clone(commandLine)})
	return len(r.Attempts)
}

// EndAttempt records when the latest attempt ended.
func (r *Run) EndAttempt(end time.Time) {
	if n := len(r.Attempts); n > 0 {
		r.Attempts[n-1].End = end
	}
}
