module github.com/pretrain-go/pretrain

go 1.26.0

require golang.org/x/sys v0.50.0

require (
	github.com/creack/pty v1.1.24 // indirect
	github.com/mattn/go-runewidth v0.0.3 // indirect
	github.com/peterh/liner v1.2.2 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/traefik/yaegi v0.16.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.44.0 // indirect
)

tool github.com/traefik/yaegi/cmd/yaegi
