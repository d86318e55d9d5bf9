// Command gcfmain serves adaptertest.Handler the two ways a Go function runs
// on Cloud Functions, for the gcpfunctions tests: by default like the
// buildpack's generated main (a package registers the function in init, main
// starts the framework, FUNCTION_TARGET picks the function and
// CLOUD_RUN_TIMEOUT_SECONDS sets the deadline); with GCFMAIN_START=1 through
// gcpfunctions.Start with an explicit timeout option.
package main

import (
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
)

func init() {
	if os.Getenv("GCFMAIN_START") == "" {
		gcpfunctions.Register("AdapterTest", adaptertest.Handler(),
			gcpfunctions.WithMaxBodyBytes(adaptertest.MaxBodyBytes))
	}
}

func main() {
	if os.Getenv("GCFMAIN_START") != "" {
		log.Fatal(gcpfunctions.Start(adaptertest.Handler(),
			gcpfunctions.WithTimeout(adaptertest.Deadline),
			gcpfunctions.WithMaxBodyBytes(adaptertest.MaxBodyBytes)))
	}
	log.Fatal(funcframework.StartHostPort("127.0.0.1", os.Getenv("PORT")))
}
