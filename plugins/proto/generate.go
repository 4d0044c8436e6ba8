// Package proto holds the commandcenter plugin protocol: source.proto and the
// Go generated from it by protoc (committed, as the ecosystem does).
// Regenerate with `make proto`; TestGeneratedIsCurrent fails when stale.
package proto

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative source.proto
