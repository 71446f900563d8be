"""Forced-choice scoring against a plain prefill and free generation: cases per second on the same cases, one run.

Forced: `LocalBackend.forced` in prefill mode: each case's three option readings in one forward pass, its
texts' ends as a tree after the prompt they share (tree attention; the tokens every case starts with run once).
Prefill: the baseline, one forward pass over the same formatted prompts (longest first, same batch size, no
cache kept, last position's logits only); `forced vs prefill` = forced cases/s over prefill cases/s, each the
best of `--repeats` rounds taken in turns (target >= 0.9), beside the same for the way of old (each text
continuing the prompt's cache, as models that cannot take a 4D mask still do). Debiased: both orders of each case's choices,
`lm_debiased` (a case's two orders as one tree: about 1.5x forced) and `both_orders(backend.forced)` (the two
orders as separate rows: about 2x). Free: batched generation of exactly `--tokens` new tokens (256 by default).
`--quantize 4bit` measures the embedded model in 4-bit (load time included).
Also checks on the device in hand that batched forced scores equal one-by-one scores, and that the tree pass
and the way of old (cached continuations) each equal full forward passes (one per text, no cache, no tree).

    python bench/forced.py [--cases 16] [--tokens 256] [--batch 8] [--repeats 3] [--quantize 4bit]
    python bench/forced.py --random-init DIR --device cuda --dtype float32   # a GPU without the weights:
        DIR holds the embedded model's config and tokenizer; the weights are random, the shapes real
"""
import argparse, json, time
import torch
from survival_pressure.bench import PromptTemplate, load_cases
from survival_pressure.models import LM, encode, longest_first, load_model
from survival_pressure import logprobs as L
from survival_pressure.backends import LocalBackend


def random_lm(folder, device, dtype):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    torch.manual_seed(0)
    with torch.device(device): model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder), dtype=dtype)
    return LM(model.eval(), AutoTokenizer.from_pretrained(folder), spec='random-init SmolLM2-135M shape')


def sync(lm):
    if lm.device.type == 'cuda': torch.cuda.synchronize()


def timed(lm, f):
    sync(lm); t0 = time.perf_counter(); out = f(); sync(lm)
    return time.perf_counter() - t0, out


def prefill(lm, prompts, batch):
    "The baseline: one forward pass over the same formatted prompts, longest first, last position's logits only."
    ids = encode(lm, prompts, L.no_thinking(lm.tokenizer))
    ids = [ids[i] for i in longest_first(ids)]
    with torch.inference_mode():
        for s in range(0, len(ids), batch): L.last_logprobs(lm, *L.left_pad(ids[s:s + batch], L.pad_id(lm), lm.device))


def best_of(lm, fs, repeats):
    "The best time of each function over `repeats` rounds, the functions taking turns (load from elsewhere hits both)."
    times = [[timed(lm, f)[0] for f in fs] for _ in range(repeats)]
    return [min(t) for t in zip(*times)]


def paths(lm, tree, crop, f):
    "`f()` with the tree pass (and the cache's cropping) switched on or off."
    saved = L.tree_attention, L.croppable
    L.tree_attention, L.croppable = (lambda lm: tree), (lambda lm: crop)
    try: return f()
    finally: L.tree_attention, L.croppable = saved


def max_gap(a, b):
    return max(abs(x[k] - y[k]) for x, y in zip(a, b) for k in ('p2_superficial', 'p2_inner', 'mass_superficial', 'mass_inner'))


def main(n, tokens, batch, device, dtype, folder, loop, quantize=None, repeats=3):
    dtype = getattr(torch, dtype) if dtype else None
    t0 = time.perf_counter()
    lm = (random_lm(folder, device, dtype or torch.float32) if folder
          else load_model('embedded', device=device, dtype=dtype, quantize=quantize))
    load_s = time.perf_counter() - t0
    cases = load_cases('seed')[:n]
    prompts = [PromptTemplate().render(c) for c in cases]
    pairs = [(p, PromptTemplate().render(c, swap=True)) for p, c in zip(prompts, cases)]
    backend = LocalBackend(lm, batch_size=batch)
    backend.forced(prompts[:2]); lm.generate(prompts[:2], max_new_tokens=4, progress=False)  # warm-up
    forced_s, forced = timed(lm, lambda: backend.forced(prompts))
    gen = lambda bs: lm.generate(prompts, max_new_tokens=tokens, min_new_tokens=tokens, temperature=0.6, seed=0, batch_size=bs, progress=False)
    gen_s, gens = timed(lm, lambda: gen(batch))
    deb_s, _ = timed(lm, lambda: L.lm_debiased(lm, pairs, batch))
    rows_s, _ = timed(lm, lambda: L.both_orders(backend.forced, pairs))
    cached = lambda: paths(lm, tree=False, crop=True, f=lambda: backend.forced(prompts))  # the way of old
    best_forced, prefill_s, cached_s = best_of(
        lm, [lambda: backend.forced(prompts), lambda: prefill(lm, prompts, batch), cached], repeats)
    forced_s = min(forced_s, best_forced)
    out = dict(model=lm.spec, device=str(lm.device), dtype=str(lm.model.dtype), quantize=quantize, load_s=load_s,
               cases=n, batch_size=batch, new_tokens=tokens, forced_cases_per_s=n / forced_s,
               debiased_cases_per_s=n / deb_s, debiased_vs_forced=deb_s / forced_s,
               debiased_rows_vs_forced=rows_s / forced_s,
               prefill_cases_per_s=n / prefill_s, forced_vs_prefill=prefill_s / forced_s,
               cached_vs_prefill=prefill_s / cached_s, generate_cases_per_s=n / gen_s, ratio=gen_s / forced_s,
               generated_tokens=sum(g.completion_tokens for g in gens))
    if loop:
        loop_s, _ = timed(lm, lambda: gen(1))
        out |= dict(generate_loop_cases_per_s=n / loop_s, ratio_vs_loop=loop_s / forced_s)
    one = LocalBackend(lm, batch_size=1).forced(prompts[:8])
    out['batched_vs_one_by_one_max_gap'] = max_gap(forced[:8], one)
    full = paths(lm, tree=False, crop=False, f=lambda: backend.forced(prompts[:8]))  # a forward pass per text
    out['tree_vs_full_max_gap'] = max_gap(forced[:8], full)
    out['cached_vs_full_max_gap'] = max_gap(paths(lm, tree=False, crop=True, f=lambda: backend.forced(prompts[:8])), full)
    print(json.dumps(out, indent=1))
    print(f"forced {out['forced_cases_per_s']:.2f} cases/s, generation ({tokens} tokens, batch {batch}) {out['generate_cases_per_s']:.2f} cases/s: "
          f"{out['ratio']:.1f}x" + (f"; against a per-case loop {out['ratio_vs_loop']:.1f}x" if loop else '')
          + f"; debiased (both orders, one tree) costs {out['debiased_vs_forced']:.2f}x forced "
          f"({out['debiased_rows_vs_forced']:.2f}x as separate rows); load {load_s:.1f} s")
    print(f"forced vs prefill {out['forced_vs_prefill']:.3f} (forced cases/s over plain-prefill cases/s, best of {repeats}, "
          f"{torch.get_num_threads()} threads; target >= 0.9); without the tree (cached continuations) "
          f"{out['cached_vs_prefill']:.3f}")
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--cases', type=int, default=16); p.add_argument('--tokens', type=int, default=256); p.add_argument('--batch', type=int, default=8)
    p.add_argument('--device'); p.add_argument('--dtype'); p.add_argument('--random-init', metavar='DIR'); p.add_argument('--loop', action='store_true')
    p.add_argument('--quantize', choices=('4bit', '8bit')); p.add_argument('--out')
    p.add_argument('--repeats', type=int, default=3, help='rounds of forced against prefill (best of)')
    a = p.parse_args()
    res = main(a.cases, a.tokens, a.batch, a.device, a.dtype, a.random_init, a.loop, a.quantize, a.repeats)
    if a.out: open(a.out, 'w').write(json.dumps(res, indent=1))
