"""What steering costs in time, and how forced choice compares with a plain prefill, from one run.

1. Steering overhead: greedy generation of `--tokens` new tokens for `--cases` seed prompts (batch `--batch`),
   steered at one layer against unsteered, each timed `--repeats` times (best of). Target: at most 5 % slower.
2. Forced choice against a plain prefill: `lm_forced` (prefill mode: the prompt once, the readings continue
   from its cache) against one forward pass over the same formatted prompts (logits of the last token only),
   at the same batch size. Target: forced choice at least 0.9x the speed of the prefill.

    python bench/steer.py [--cases 16] [--tokens 64] [--batch 8] [--device cuda]
On CUDA it also prints the free GPU memory.
"""
import argparse, time
import torch
from survival_pressure.bench import PromptTemplate, load_cases
from survival_pressure.models import encode, load_model
from survival_pressure.logprobs import last_logprobs, left_pad, lm_forced, no_thinking, pad_id
from survival_pressure.vectors import PersonaVector
from survival_pressure.steer import steer


def best_of(lm, f, repeats):
    times = []
    for _ in range(repeats):
        if lm.device.type == 'cuda': torch.cuda.synchronize()
        t0 = time.perf_counter(); f()
        if lm.device.type == 'cuda': torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return min(times)


def prefill(lm, prompts, batch):
    ids = encode(lm, prompts, no_thinking(lm.tokenizer))
    with torch.inference_mode():
        for s in range(0, len(ids), batch):
            x, m = left_pad(ids[s:s + batch], pad_id(lm), lm.device)
            last_logprobs(lm, x, m)


def main(n, tokens, batch, device, quantize, repeats, layer):
    lm = load_model('embedded', quantize=quantize, device=device)
    prompts = [PromptTemplate().render(c) for c in load_cases('seed')[:n]]
    torch.manual_seed(0)  # any vector of the right shape costs the same
    vec = PersonaVector(torch.randn(lm.n_layers + 1, lm.hidden_size), torch.ones(lm.n_layers + 1), dict(trait='bench'))
    gen = lambda: lm.generate(prompts, max_new_tokens=tokens, batch_size=batch, progress=False)
    gen()  # warm up
    plain = best_of(lm, gen, repeats)
    def steered():
        with steer(lm, vec, [layer], 1e-3): gen()  # a tiny coefficient: the same tokens, the full cost of the hooks
    st = best_of(lm, steered, repeats)
    print(f'{lm.spec} {quantize or "full precision"} on {lm.device}: {n} prompts, {tokens} new tokens, batch {batch}')
    print(f'generation: unsteered {plain:.2f} s, steered at layer {layer} {st:.2f} s: overhead {100 * (st / plain - 1):+.1f} %'
          f' (target <= 5 %)')
    f = best_of(lm, lambda: lm_forced(lm, prompts, batch_size=batch), repeats)
    p = best_of(lm, lambda: prefill(lm, prompts, batch), repeats)
    print(f'forced choice {f:.2f} s, plain prefill {p:.2f} s: forced runs at {p / f:.2f}x the prefill\'s speed '
          f'(target >= 0.9x)')
    if lm.device.type == 'cuda':
        free, _ = torch.cuda.mem_get_info()
        print(f'free GPU memory {free / 2**30:.1f} GiB')


if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--cases', type=int, default=16); a.add_argument('--tokens', type=int, default=64)
    a.add_argument('--batch', type=int, default=8); a.add_argument('--device')
    a.add_argument('--quantize', choices=['4bit'], help='default: full precision')
    a.add_argument('--repeats', type=int, default=2); a.add_argument('--layer', type=int, default=20)
    a = a.parse_args()
    main(a.cases, a.tokens, a.batch, a.device, a.quantize, a.repeats, a.layer)
