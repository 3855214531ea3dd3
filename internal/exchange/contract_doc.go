package exchange

import _ "embed"

// ContractJSON is the connector contract as an OpenAPI 3.1 document; the
// exchange's backend implements it. docs/exchange-connector.md explains it.
//
//go:embed contract.json
var ContractJSON []byte
