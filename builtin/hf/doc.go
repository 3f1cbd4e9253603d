// Package hf imports and exports Hugging Face transformers checkpoints:
// GPT-2 (GPT2LMHeadModel, GPT2Model) as builtin/gpt models and BERT
// (BertForMaskedLM, BertModel, BertForSequenceClassification) as post-LN
// builtin/bert encoders.
//
// Load reads a save_pretrained directory: config.json (the GPT-2 and BERT
// fields that change the computation are honoured — n_embd, n_layer,
// n_head, n_positions, n_inner, vocab_size, layer_norm_epsilon,
// activation_function, tie_word_embeddings, hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size, hidden_act,
// type_vocab_size, max_position_embeddings, layer_norm_eps, id2label —
// and any value the SDK does not implement is an error, never ignored),
// model.safetensors or a sharded model.safetensors.index.json (F32, F16 and
// BF16 tensors; integer buffers such as position_ids are skipped with a
// note in Model.Notes), and the tokenizer: tokenizer.json, or vocab.json +
// merges.txt (GPT-2) or vocab.txt (BERT), with tokenizer_config.json.
//
// Save writes the reverse: a directory from_pretrained loads with no
// missing and no unexpected keys. The name mapping (SDK ← HF):
//
//	GPT-2: wte.weight ← transformer.wte.weight, wpe.weight ← transformer.wpe.weight,
//	  blocks.N.ln1/ln2 ← transformer.h.N.ln_1/ln_2,
//	  blocks.N.attn.qkv ← transformer.h.N.attn.c_attn (Conv1D: weight transposed),
//	  blocks.N.attn.proj ← .attn.c_proj, blocks.N.mlp.fc1/fc2 ← .mlp.c_fc/c_proj (transposed),
//	  ln_f ← transformer.ln_f, head.weight ← lm_head.weight (only when untied)
//	BERT: wte/wpe/tte.weight ← bert.embeddings.{word,position,token_type}_embeddings.weight,
//	  emb_ln ← bert.embeddings.LayerNorm,
//	  blocks.N.attn.qkv ← bert.encoder.layer.N.attention.self.{query,key,value} (stacked),
//	  blocks.N.attn.proj ← .attention.output.dense, blocks.N.ln1 ← .attention.output.LayerNorm,
//	  blocks.N.mlp.fc1 ← .intermediate.dense, blocks.N.mlp.fc2 ← .output.dense,
//	  blocks.N.ln2 ← .output.LayerNorm, pooler ← bert.pooler.dense,
//	  mlm.dense/mlm.ln ← cls.predictions.transform.dense/LayerNorm, mlm.bias ← cls.predictions.bias,
//	  classifier ← classifier
//
// Base-model files (names without "transformer." / "bert.") load too, as
// from_pretrained allows. Every problem with a directory is one *Error
// line naming the file and, where there is one, the tensor.
package hf
