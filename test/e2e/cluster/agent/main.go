// Command agent is the end-to-end test image's only binary, static so that
// it runs in an image with nothing else in it:
//
//	agent pause                 the pod sandbox's process: sleeps until SIGTERM
//	agent serve -port 8080      a TCP echo server (both families; it names the client's address)
//	agent client ADDR:PORT ...  connects to each address, checks the echo, exits 0 when all answer
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: agent pause | serve -port N | client ADDR:PORT...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "pause":
		pause()
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		port := fs.Int("port", 8080, "TCP port")
		_ = fs.Parse(os.Args[2:])
		err := serve(*port)
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	case "client":
		fs := flag.NewFlagSet("client", flag.ExitOnError)
		timeout := fs.Duration("timeout", 60*time.Second, "how long to keep trying each address")
		_ = fs.Parse(os.Args[2:])
		ok := true
		for _, a := range fs.Args() {
			if err := client(a, *timeout); err != nil {
				fmt.Printf("FAIL %s: %v\n", a, err)
				ok = false
				continue
			}
		}
		if !ok {
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

// pause waits for SIGTERM or SIGINT, as the pause container does.
func pause() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}

// serve answers each line with "HOSTNAME REMOTE LINE" (REMOTE: the
// address the connection came from, so a test sees any SNAT on the way)
// until SIGTERM; it returns only on error.
func serve(port int) error {
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("serving on %s as %s\n", l.Addr(), host)
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		<-c
		os.Exit(0)
	}()
	for {
		conn, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				fmt.Fprintf(conn, "%s %s %s\n", host, conn.RemoteAddr(), sc.Text())
			}
		}()
	}
}

// client retries until the address echoes, or timeout.
func client(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		reply, err := once(addr)
		if err == nil {
			fmt.Printf("OK %s %s\n", addr, reply)
			return nil
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return last
}

func once(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(conn, "ping"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	if !strings.HasSuffix(line, " ping") {
		return "", fmt.Errorf("unexpected reply %q", line)
	}
	return line, nil
}
