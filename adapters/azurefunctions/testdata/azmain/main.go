// Command azmain serves adaptertest.Handler as an Azure Functions custom
// handler, for the azurefunctions tests: the mode, route prefix and timeout
// come from the host.json the host simulator writes in its working
// directory.
package main

import (
	"log"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
)

func main() {
	log.Fatal(azurefunctions.Start(adaptertest.Handler(),
		azurefunctions.WithMaxBodyBytes(adaptertest.MaxBodyBytes)))
}
