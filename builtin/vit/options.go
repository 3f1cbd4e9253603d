package vit

import "github.com/pretrain-go/pretrain/sdk/task"

// ApplyOptions overrides c's encoder shape from an objective's options:
// image, channels, patch, dim, layers and heads. The MLP width follows the
// width (2·dim) unless the objective reads its own option after this call.
// It is the part of the option set that every image objective shares.
func (c *Config) ApplyOptions(tc task.Config) error {
	var err error
	get := func(name string, dst *int) {
		if err == nil {
			*dst, err = tc.Int(name, *dst)
		}
	}
	get("image", &c.ImageSize)
	get("channels", &c.Channels)
	get("patch", &c.Patch)
	get("dim", &c.Dim)
	c.MLPHidden = 2 * c.Dim
	get("layers", &c.Layers)
	get("heads", &c.Heads)
	return err
}
