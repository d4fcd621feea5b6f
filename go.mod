module github.com/vanitydb/vanity

go 1.26.8

require (
	github.com/buraksezer/consistent v1.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)
