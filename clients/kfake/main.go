// Command kfake runs an in-process Kafka broker (franz-go's kfake) on
// loopback for the client suite (make test-clients), where no Kafka
// broker binary can be installed. It seeds the topics it is given, prints
// "KFAKE_ADDR=host:port" on one line of standard output once the broker
// listens, and runs until SIGINT or SIGTERM, or until standard input
// closes when -stdin is set (so a dying parent cannot leak it).
//
// Usage:
//
//	go run ./clients/kfake -topic telemetry -partitions 1
//
// kfake keeps everything in memory: a restart loses every topic.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	topics := flag.String("topic", "telemetry", "comma-separated topics to create")
	partitions := flag.Int("partitions", 1, "partitions per topic")
	port := flag.Int("port", 0, "loopback port to listen on; 0 picks a free one")
	stdin := flag.Bool("stdin", false, "exit when standard input closes")
	flag.Parse()
	if *partitions < 1 || *partitions > 1024 {
		fmt.Fprintf(os.Stderr, "kfake: -partitions %d is out of range 1..1024\n", *partitions)
		os.Exit(2)
	}

	var names []string
	for _, t := range strings.Split(*topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			names = append(names, t)
		}
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port), kfake.AllowAutoTopicCreation()}
	if len(names) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(*partitions), names...))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kfake: start the cluster: %v\n", err)
		os.Exit(1)
	}
	defer cluster.Close()

	fmt.Printf("KFAKE_ADDR=%s\n", cluster.ListenAddrs()[0])
	os.Stdout.Sync()

	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGINT, syscall.SIGTERM)
	if *stdin {
		go func() {
			io.Copy(io.Discard, bufio.NewReader(os.Stdin))
			done <- syscall.SIGTERM
		}()
	}
	<-done
}
