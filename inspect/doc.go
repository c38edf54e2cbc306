// Package inspect decodes a checkpoint's CRIU images with go-criu's crit:
// the process tree, files, sockets, mappings, pages and a search of them.
// It runs in a process of its own (berth-inspect), which core starts for
// each inspection: the images may be hostile, and crit with the protobuf
// runtime it needs is half of what berth's binary would otherwise load
// and initialise on every command.
package inspect
