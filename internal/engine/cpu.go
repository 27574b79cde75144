package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuClock measures this process's CPU use over a test, as iperf3 does with
// getrusage(RUSAGE_SELF): user and system time over wall time, in percent of
// one core. When several tests or lab endpoints share the process, the figure
// covers all of them; the lab runs one test at a time, so it reports the
// client and server of that test together (see docs/lab.md).
type cpuClock struct {
	wall      time.Time
	user, sys time.Duration
	valid     bool
}

func startCPU() cpuClock {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return cpuClock{wall: time.Now()}
	}
	return cpuClock{wall: time.Now(), user: tv(ru.Utime), sys: tv(ru.Stime), valid: true}
}

func tv(t unix.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// stop returns total, user and system CPU percent since start.
func (c cpuClock) stop() (total, user, sys float64) {
	end := startCPU()
	wall := end.wall.Sub(c.wall)
	if !c.valid || !end.valid || wall <= 0 {
		return 0, 0, 0
	}
	user = 100 * float64(end.user-c.user) / float64(wall)
	sys = 100 * float64(end.sys-c.sys) / float64(wall)
	return user + sys, user, sys
}
