// Package optim holds the optimizers of the SDK (SGD with momentum and
// Nesterov, Adam, AdamW, Adagrad, LAMB), parameter groups, gradient
// clipping and learning-rate schedules.
//
// The update rules are PyTorch 1.13's, step for step, so that a model
// trained here and one trained with torch.optim follow the same path.
// Parameters are organised in groups, each with its own learning rate and
// weight decay; SplitDecay builds the usual pair where biases and norm
// gains are not decayed. The state of an optimizer (moment buffers and
// per-parameter step counts) is a map of named tensors, so a checkpoint
// saves it with the model and LoadState resumes exactly where it stopped.
//
// Misuse (an impossible hyper-parameter) panics with a *ConfigError;
// loading a state that does not fit returns a *StateError.
package optim
