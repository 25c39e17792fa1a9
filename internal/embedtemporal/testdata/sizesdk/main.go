package main

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tempestdb/tempest/internal/tlog"
)

func main() {
	c, err := client.Dial(client.Options{Logger: tlog.SDKLogger(nil)})
	fmt.Println(c, err, worker.Options{})
}
