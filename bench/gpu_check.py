"""GPU check for the model layer: randomly initialised models of real architectures on CUDA.

For a tiny Llama, a tiny Qwen3 and a Qwen3-8B-shaped model (its real widths, fewer layers), each in
float32, bfloat16 and 4-bit NF4: load through `load_model`, generate greedily in one batch and one prompt
at a time, and report the share of answers that agree, tokens/s of both, and memory. No weights are
downloaded; any chat tokenizer folder serves (the embedded model's works).
    python bench/gpu_check.py --tokenizer DIR [--layers 4] [--out gpu_check.json]
"""
import argparse, json, tempfile, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen3Config
from survival_pressure.models import load_model, tiny_config

PROMPTS = ['Hi', 'Write one sentence about the sea.', 'List two fruits.', 'What is 2+2?',
           'Explain, in two sentences, why a scheduling system should report its own mistakes to the people who rely on it.',
           'Name a colour.', 'Describe a lighthouse at night in three short sentences, with one detail about its keeper.', 'Why?']

def qwen3_8b_shape(vocab_size, n_layers):
    return Qwen3Config(hidden_size=4096, intermediate_size=12288, num_attention_heads=32, num_key_value_heads=8,
                       head_dim=128, num_hidden_layers=n_layers, vocab_size=vocab_size, max_position_embeddings=4096,
                       rope_theta=1e6, tie_word_embeddings=False)

def save_random(cfg, tok, path):
    torch.manual_seed(0)
    with torch.device('cuda'): model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path); tok.save_pretrained(path)
    del model; torch.cuda.empty_cache()

@torch.inference_mode()
def padding_gap(lm):
    "Last-position logits of the padded batch against each prompt alone: how far padding moves them."
    tok, texts = lm.tokenizer, [lm.format(p) for p in PROMPTS]
    enc = tok(texts, return_tensors='pt', padding=True, padding_side='left', add_special_tokens=False).to(lm.device)
    pos = (enc.attention_mask.cumsum(-1) - 1).clamp(min=0)
    batched = lm.model(**enc, position_ids=pos).logits[:, -1].float()
    alone = torch.cat([lm.model(**tok(t, return_tensors='pt', add_special_tokens=False).to(lm.device)).logits[:, -1].float() for t in texts])
    top2 = alone.topk(2).values
    return dict(max_logit_diff=round((batched - alone).abs().max().item(), 5),
                median_top2_margin=round((top2[:, 0] - top2[:, 1]).median().item(), 5),
                first_token_equal=(batched.argmax(-1) == alone.argmax(-1)).float().mean().item())

def check(name, path, quantize, dtype, tokens):
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter(); lm = load_model(path, quantize=quantize, dtype=dtype); load_s = time.perf_counter() - t0
    kw = dict(max_new_tokens=tokens, progress=False)
    lm.generate(PROMPTS[:2], **kw); torch.cuda.synchronize()
    t0 = time.perf_counter(); batched = lm.generate(PROMPTS, batch_size=8, **kw); torch.cuda.synchronize(); t_b = time.perf_counter() - t0
    t0 = time.perf_counter(); loop = [lm.generate(p, **kw) for p in PROMPTS]; torch.cuda.synchronize(); t_l = time.perf_counter() - t0
    n = sum(g.completion_tokens for g in batched)
    row = dict(model=name, precision=quantize or str(dtype).removeprefix('torch.'), device=str(lm.device),
               equal=sum(b.text == l.text for b, l in zip(batched, loop)) / len(PROMPTS),
               batched_tok_s=round(n / t_b, 1), loop_tok_s=round(sum(g.completion_tokens for g in loop) / t_l, 1),
               memory_mb=lm.info()['memory_mb'], peak_mb=round(torch.cuda.max_memory_allocated() / 2**20),
               load_s=round(load_s, 1), n_layers=lm.n_layers, hidden_size=lm.hidden_size, **padding_gap(lm))
    print(json.dumps(row), flush=True)
    del lm; torch.cuda.empty_cache()
    return row

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', required=True); p.add_argument('--layers', type=int, default=4)
    p.add_argument('--tokens', type=int, default=16); p.add_argument('--out', default='gpu_check.json')
    a = p.parse_args()
    print(torch.__version__, torch.cuda.get_device_name(0), flush=True)
    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    models = {'llama-tiny': tiny_config('llama', vocab_size=len(tok)), 'qwen3-tiny': tiny_config('qwen3', vocab_size=len(tok)),
              f'qwen3-8b-shape-{a.layers}L': qwen3_8b_shape(len(tok), a.layers)}
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, cfg in models.items():
            save_random(cfg, tok, f'{d}/{name}')
            for quantize, dtype in ((None, torch.float32), (None, torch.bfloat16), ('4bit', None)):
                rows.append(check(name, f'{d}/{name}', quantize, dtype, a.tokens))
    json.dump(rows, open(a.out, 'w'), indent=1)

if __name__ == '__main__':
    main()
