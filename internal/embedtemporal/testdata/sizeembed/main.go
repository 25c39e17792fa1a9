package main

import (
	"context"
	"fmt"

	"github.com/tempestdb/tempest/internal/embedtemporal"
)

func main() {
	s, err := embedtemporal.Start(context.Background(), embedtemporal.Options{Ephemeral: true})
	fmt.Println(s, err)
}
