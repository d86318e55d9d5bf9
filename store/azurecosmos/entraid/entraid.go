// Package entraid makes Microsoft Entra ID (Azure AD) the default
// authentication of package azurecosmos: importing it for its side effect
//
//	import _ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid"
//
// makes every azurecosmos.Open without a key or credential, and every
// cosmos:// URL without a key, authenticate with azidentity's
// DefaultAzureCredential (environment variables, workload identity, the
// managed identity of a Function App, the Azure CLI, ...), created once per
// process on the first such Open.
//
// It is a package of its own so that programs that authenticate with an
// account key do not link azidentity and the Microsoft Authentication
// Library, which add about 0.4 MB to a binary and a millisecond of
// start-up.
package entraid

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/anyfunc/anyfunc/store/azurecosmos"
)

func init() {
	azurecosmos.SetDefaultCredential(DefaultCredential)
}

// DefaultCredential returns a new azidentity.DefaultAzureCredential with
// its default options. azurecosmos calls it at most once per process.
func DefaultCredential() (azcore.TokenCredential, error) {
	return azidentity.NewDefaultAzureCredential(nil)
}
