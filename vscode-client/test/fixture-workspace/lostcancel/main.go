package main

import (
	"context"
	"time"
)

func work() error {
	ctx, _ := context.WithTimeout(context.Background(), time.Second)
	return ctx.Err()
}

func main() { _ = work() }
