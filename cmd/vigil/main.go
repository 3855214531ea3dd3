// Command vigil is the Vigil support desk: server, migrations and admin tools.
package main

import (
	"context"
	"os"

	"vigil/internal/app"
)

func main() {
	os.Exit(app.Run(context.Background(), os.Args[1:], app.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
