// Package nn holds the neural-network layers of the SDK: Linear, Embedding,
// LayerNorm, RMSNorm, Dropout, MLP, MultiHeadAttention, TransformerBlock and
// LSTM, the Module contract that names their parameters, and initialisers.
//
// A Module owns named parameters (leaf tensors that require a gradient) and
// named child modules; parameter names are dotted paths such as
// "blocks.0.attn.qkv.weight", the keys of a state dict and of a checkpoint.
// Layers build their state on an embedded *Base, which implements every
// Module method except String, so a new module (also one written in a
// script) embeds *Base, registers its parameters and children, and adds a
// Forward method.
//
// Layouts follow PyTorch: a Linear weight is [out, in] and computes
// x·Wᵀ + b, LSTM weights are weight_ih_l{k} [4H, in] with gate order
// i, f, g, o. Misuse (an input of the wrong shape, an impossible
// configuration) panics with a *ShapeError or *ConfigError naming the layer
// and the shapes; loading a state dict returns a *StateDictError instead,
// since its input comes from outside the program.
package nn
