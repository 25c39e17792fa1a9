// Package deploy holds no code: its tests keep the repository's deployment
// files (docker-compose.yml and Dockerfile at the repository root) honest.
// No Docker engine is available where the test suite runs, so the files
// are checked structurally instead: the services a real cluster needs
// exist, the ports importers use are published, every component points at
// the others by service name and port, and the worker is built from this
// repository and started with flags the worker binary actually has.
package deploy
