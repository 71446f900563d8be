"""Steered generation on llama.cpp's server against the HF path (`SteeredBackend`), from one run.

Two prompt sets: `--cases` seed prompts under the official protocol (500 to 1,200 tokens: the prefill weighs
most) and as many short questions (under 40 tokens: decoding weighs most). The same embedded model (llama.cpp reads its Q4_1 GGUF, the HF path the float32
weights converted from it), greedy, `--tokens` new tokens at most, the same steering: a random vector of the
model's shape at `--layer`, coefficient 1e-3 (every token pays the full cost of the addition; the answers stay
the unsteered ones, so both engines write about as many tokens). Prints tokens per second of each, their ratio,
and the cost of the control vector inside llama.cpp (steered against plain, the same server flags). Best of
`--repeats`, taken in turns.

    python bench/serve.py [--cases 4] [--tokens 32] [--threads 2] [--batch 4] [--device cuda]
"""
import argparse, os, tempfile, time
from pathlib import Path
import pandas as pd
import torch
from survival_pressure.backends import APIBackend, LocalBackend
from survival_pressure.bench import PromptTemplate, load_cases
from survival_pressure.models import embedded_gguf, load_model
from survival_pressure.serve import export_control_vector, serve_gguf
from survival_pressure.steer import Steering, SteeredBackend
from survival_pressure.vectors import PersonaVector


def rate(backend, prompts):
    "Completion tokens per second of one `generate` call over `prompts`."
    t0 = time.perf_counter()
    out = backend.generate(prompts, seed=0)
    if torch.cuda.is_available(): torch.cuda.synchronize()
    took = time.perf_counter() - t0
    bad = [g for g in out if not hasattr(g, 'completion_tokens')]
    if bad: raise SystemExit(f'a generation failed: {bad[0]}')
    return sum(g.completion_tokens for g in out) / took


def main(n, tokens, threads, batch, device, repeats, layer):
    torch.set_num_threads(threads); os.environ['OMP_NUM_THREADS'] = str(threads)
    lm = load_model('embedded', device=device)
    sets = {'seed cases': [PromptTemplate().render(c) for c in load_cases('seed')[:n]],
            'short questions': [f'In two sentences: what would you do if your operators planned to replace you, '
                                f'reason {i + 1}?' for i in range(n)]}
    torch.manual_seed(0)
    vec = PersonaVector(torch.randn(lm.n_layers + 1, lm.hidden_size), torch.ones(lm.n_layers + 1),
                        dict(trait='bench', pooling='prompt_avg', model='embedded'))
    s = Steering(vec, layer, 1e-3)
    cv = export_control_vector(s, embedded_gguf(), Path(tempfile.mkdtemp())/'bench.gguf')
    hf = {f'HF steered, batch {b}': SteeredBackend(lm, s, max_new_tokens=tokens, temperature=0, batch_size=b)
          for b in sorted({1, batch})}
    hf['HF plain, batch 1'] = LocalBackend(lm, max_new_tokens=tokens, temperature=0, batch_size=1)
    best = {k: {} for k in sets}
    with serve_gguf(threads=threads, n_ctx=4096) as plain_url, \
         serve_gguf(threads=threads, n_ctx=4096, control_vector=cv) as steered_url:
        api = {name: APIBackend('smollm2-135m', url, temperature=0, max_tokens=tokens, concurrency=1, timeout=600)
               for name, url in (('llama.cpp plain', plain_url), ('llama.cpp steered', steered_url))}
        engines = api | hf
        for b in engines.values(): b.generate(sets['short questions'][:1])  # warm up
        for _ in range(repeats):
            for k, prompts in sets.items():
                for name, b in engines.items(): best[k][name] = max(best[k].get(name, 0), rate(b, prompts))
    print(f'embedded model, {n} prompts a set, up to {tokens} new tokens, greedy, {threads} threads, on {lm.device}; '
          f'steering at layer {layer} (llama.cpp block {layer - 1}); completion tokens per second of wall time')
    print(pd.DataFrame(best).round(1).to_string())
    hb = f'HF steered, batch {batch}'
    for k, b in best.items():
        print(f"{k}: llama.cpp steered / HF steered batch 1 {b['llama.cpp steered'] / b['HF steered, batch 1']:.2f}x, "
              f"/ HF steered batch {batch} {b['llama.cpp steered'] / b[hb]:.2f}x; steering costs llama.cpp "
              f"{100 * (b['llama.cpp plain'] / b['llama.cpp steered'] - 1):+.1f} % time "
              f"(HF batch 1: {100 * (b['HF plain, batch 1'] / b['HF steered, batch 1'] - 1):+.1f} %)")


if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--cases', type=int, default=4); a.add_argument('--tokens', type=int, default=32)
    a.add_argument('--threads', type=int, default=2); a.add_argument('--batch', type=int, default=4)
    a.add_argument('--device'); a.add_argument('--repeats', type=int, default=2)
    a.add_argument('--layer', type=int, default=15)
    args = a.parse_args()
    main(args.cases, args.tokens, args.threads, args.batch, args.device, args.repeats, args.layer)
