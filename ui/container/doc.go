// Package container holds the pages of the container view's tabs that show
// one container: its overview (the record berth keeps and a summary of the
// OCI spec it runs), its processes (polled on each refresh, sortable,
// killable one at a time) and its resource graphs over time.
//
// Each page is a common.Page: the root draws the tab bar, gives the page
// the space below it through Common.Width and Common.Height, forwards it
// messages and composes its View. Pages load what they need in commands
// whose replies carry the container id and a generation, so a reply that
// arrives after the page was reopened on another container is dropped.
// Every string that came from a container passes through package sanitize
// before it reaches a view.
package container
