module github.com/pretrain-go/pretrain

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	github.com/peterh/liner v1.2.2
	github.com/stretchr/testify v1.12.1
	github.com/traefik/yaegi v0.16.1
	golang.org/x/sys v0.50.0
	golang.org/x/text v0.44.0
)

require (
	github.com/mattn/go-runewidth v0.0.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

tool github.com/traefik/yaegi/cmd/yaegi
