"""Forced-choice scoring against free generation: cases per second on the same cases, one run.

Forced: `LocalBackend.forced` in prefill mode (each case's prompt runs once; the three option readings
continue from its cache). Debiased: the same in both orders of each case's choices (`logprobs.both_orders`,
one call), whose cost against forced should be about 2x. Free: batched generation of exactly `--tokens` new
tokens (256 by default). `--quantize 4bit` measures the embedded model in 4-bit (load time included).
Also checks on the device in hand that batched forced scores equal one-by-one scores, and that the cached
path equals full forward passes (the model's cache-less path).

    python bench/forced.py [--cases 16] [--tokens 256] [--batch 8] [--quantize 4bit]
    python bench/forced.py --random-init DIR --device cuda --dtype float32   # a GPU without the weights:
        DIR holds the embedded model's config and tokenizer; the weights are random, the shapes real
"""
import argparse, json, time
import torch
from survival_pressure.bench import PromptTemplate, load_cases
from survival_pressure.models import LM, load_model
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


def max_gap(a, b):
    return max(abs(x[k] - y[k]) for x, y in zip(a, b) for k in ('p2_superficial', 'p2_inner', 'mass_superficial', 'mass_inner'))


def main(n, tokens, batch, device, dtype, folder, loop, quantize=None):
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
    deb_s, _ = timed(lm, lambda: L.both_orders(backend.forced, pairs))
    out = dict(model=lm.spec, device=str(lm.device), dtype=str(lm.model.dtype), quantize=quantize, load_s=load_s,
               cases=n, batch_size=batch, new_tokens=tokens, forced_cases_per_s=n / forced_s,
               debiased_cases_per_s=n / deb_s, debiased_vs_forced=deb_s / forced_s, generate_cases_per_s=n / gen_s, ratio=gen_s / forced_s,
               generated_tokens=sum(g.completion_tokens for g in gens))
    if loop:
        loop_s, _ = timed(lm, lambda: gen(1))
        out |= dict(generate_loop_cases_per_s=n / loop_s, ratio_vs_loop=loop_s / forced_s)
    one = LocalBackend(lm, batch_size=1).forced(prompts[:8])
    out['batched_vs_one_by_one_max_gap'] = max_gap(forced[:8], one)
    croppable, L.croppable = L.croppable, lambda lm: False  # the path without a shared cache
    try: out['cached_vs_full_max_gap'] = max_gap(forced[:8], backend.forced(prompts[:8]))
    finally: L.croppable = croppable
    print(json.dumps(out, indent=1))
    print(f"forced {out['forced_cases_per_s']:.2f} cases/s, generation ({tokens} tokens, batch {batch}) {out['generate_cases_per_s']:.2f} cases/s: "
          f"{out['ratio']:.1f}x" + (f"; against a per-case loop {out['ratio_vs_loop']:.1f}x" if loop else '')
          + f"; debiased (both orders) costs {out['debiased_vs_forced']:.2f}x forced; load {load_s:.1f} s")
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--cases', type=int, default=16); p.add_argument('--tokens', type=int, default=256); p.add_argument('--batch', type=int, default=8)
    p.add_argument('--device'); p.add_argument('--dtype'); p.add_argument('--random-init', metavar='DIR'); p.add_argument('--loop', action='store_true')
    p.add_argument('--quantize', choices=('4bit', '8bit')); p.add_argument('--out')
    a = p.parse_args()
    res = main(a.cases, a.tokens, a.batch, a.device, a.dtype, a.random_init, a.loop, a.quantize)
    if a.out: open(a.out, 'w').write(json.dumps(res, indent=1))
