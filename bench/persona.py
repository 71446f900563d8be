"""Persona-vector extraction: our one-pass hooked reader against `output_hidden_states` and against the
`steering-vectors` package's mean-difference training, on the same pairs, model and token positions. One run.

The pairs are contrastive answers of the embedded model to the shipped trait's questions (generated once into
--work and reused). Every method reads the same sequences (chat prompt + answer) at every layer and takes the
mean difference at the last prompt token (`prompt_last`), the one pooling `steering-vectors` can read;
ours computes all three poolings in the same pass. Each method runs in its own process, so that its
peak memory (max RSS) is its own. Prints time and peak memory per method, the ratios, and the cosine between
the vectors (which must be >= 0.999 at every layer).

    pip install --no-deps steering-vectors==0.12.2   # for this benchmark only (it declares transformers<5)
    python bench/persona.py [--questions 10] [--tokens 64] [--batch 8] [--work results/bench_persona]
"""
import argparse, json, resource, subprocess, sys, time
from pathlib import Path

import torch

METHODS = ('hooks', 'hidden_states', 'steering_vectors')


def pairs(work, questions, tokens, batch):
    "The contrastive pairs (generated once into `work`)."
    from survival_pressure.models import load_model
    from survival_pressure.backends import LocalBackend
    from survival_pressure.persona import load_trait, pairs_of, respond
    lm = load_model('embedded')
    answerer = LocalBackend(lm, max_new_tokens=tokens, temperature=1.0, batch_size=16)
    return lm, pairs_of(respond(answerer, load_trait(), work, questions, progress=False))


def texts(lm, ps):
    "Per side, (prompt, answer) of every pair."
    from survival_pressure.persona import persona_prompt
    return [[(persona_prompt(r['system'], r['user']), r['response']) for r in side] for side in zip(*ps)]


def ours(lm, sides, batch):
    from survival_pressure.persona import activations, mean_difference
    acts = [activations(lm, [p for p, _ in s], [a for _, a in s], batch, progress=False)['prompt_last'] for s in sides]
    return mean_difference(*acts)


def hidden_states(lm, sides, batch):
    "The same means from `output_hidden_states=True` (every layer's full tensor kept), the top layer pre-norm."
    from survival_pressure.models import encode
    from survival_pressure.logprobs import left_pad, pad_id
    from survival_pressure.persona import mean_difference, response_ids
    out = []
    for s in sides:
        p_ids, a_ids = encode(lm, [p for p, _ in s]), response_ids(lm, [a for _, a in s])
        rows = []
        for i in range(0, len(s), batch):
            seqs = [p + a for p, a in zip(p_ids[i:i + batch], a_ids[i:i + batch])]
            ids, mask = left_pad(seqs, pad_id(lm), lm.device)
            last = [ids.shape[1] - len(q) + len(p) - 1 for q, p in zip(seqs, p_ids[i:i + batch])]
            with torch.inference_mode(), lm.record([lm.n_layers]) as top:
                hs = lm.model(input_ids=ids, attention_mask=mask, position_ids=(mask.cumsum(-1) - 1).clamp(min=0),
                              output_hidden_states=True, use_cache=False).hidden_states
            layers = list(hs[:lm.n_layers]) + [top[lm.n_layers]]
            rows.append(torch.stack([h[range(len(seqs)), last].float() for h in layers], 1))
        out.append(torch.cat(rows))
    return mean_difference(*out)


def steering_vectors(lm, sides, batch):
    "`train_steering_vector` on prompt + answer strings, read at the last prompt token; its layer i is our i + 1."
    from steering_vectors import SteeringVectorTrainingSample, train_steering_vector
    tok = lm.tokenizer
    pos, neg = [[(lm.format(p), a) for p, a in s] for s in sides]
    last = lambda p: len(tok(p).input_ids) - 1  # the last prompt token, as this package tokenizes
    samples = [SteeringVectorTrainingSample(p + a, n + b, last(p), last(n)) for (p, a), (n, b) in zip(pos, neg)]
    sv = train_steering_vector(lm.model, tok, samples, layers=list(range(lm.n_layers)), batch_size=batch)
    return torch.stack([torch.zeros(lm.hidden_size)] + [sv.layer_activations[i].float().cpu()
                                                         for i in range(lm.n_layers)])


def child(a):
    "Run one method in this process: time, peak RSS, the vector saved for the parent."
    from safetensors.torch import save_file
    lm, ps = pairs(a.work, a.questions, a.tokens, a.batch)
    sides = texts(lm, ps)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    vec = {'hooks': ours, 'hidden_states': hidden_states, 'steering_vectors': steering_vectors}[a.method](
        lm, sides, a.batch)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    save_file({'vector': vec.contiguous()}, str(Path(a.work)/f'{a.method}.safetensors'))
    print(json.dumps(dict(method=a.method, seconds=secs, peak_mb=peak / 1024, added_mb=(peak - base) / 1024,
                          pairs=len(ps))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--questions', type=int, default=10); p.add_argument('--tokens', type=int, default=64)
    p.add_argument('--batch', type=int, default=8); p.add_argument('--work', default='results/bench_persona')
    p.add_argument('--method', choices=METHODS, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.method: return child(a)
    Path(a.work).mkdir(parents=True, exist_ok=True)
    pairs(a.work, a.questions, a.tokens, a.batch)  # generate the answers once, outside the timed runs
    res = {}
    for m in METHODS:
        cmd = [sys.executable, __file__, '--method', m, '--questions', str(a.questions), '--tokens', str(a.tokens),
               '--batch', str(a.batch), '--work', a.work]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode: sys.exit(f'{m} failed:\n{done.stderr[-3000:]}')
        res[m] = json.loads(done.stdout.strip().splitlines()[-1])
    from safetensors.torch import load_file
    from survival_pressure.vectors import layer_cosines
    vecs = {m: load_file(str(Path(a.work)/f'{m}.safetensors'))['vector'] for m in METHODS}
    print(f"{res['hooks']['pairs']} pairs, {a.tokens}-token answers, batch {a.batch}, {torch.get_num_threads()} threads")
    for m in METHODS:
        r = res[m]
        print(f"{m:17s} {r['seconds']:7.2f} s   peak RSS {r['peak_mb']:7.0f} MB (+{r['added_mb']:.0f} MB while extracting)")
    h = res['hooks']
    for m in METHODS[1:]:
        cos = layer_cosines(vecs['hooks'][1:], vecs[m][1:])
        print(f"hooks vs {m}: {res[m]['seconds'] / h['seconds']:.2f}x the time, "
              f"{res[m]['peak_mb'] / h['peak_mb']:.2f}x the peak memory; "
              f"cosine per layer min {cos.min():.6f} (layers 1..{len(cos)})")
    stability(a)
    return 0


def stability(a):
    "Split-half and across-seed cosines and the pairs needed, for the response-average vector of these pairs."
    import numpy as np
    from survival_pressure.backends import LocalBackend
    from survival_pressure.persona import activations, load_trait, mean_difference, pairs_of, persona_prompt, respond
    from survival_pressure.vectors import fewest_pairs, layer_cosines, pairs_needed, split_half
    lm, ps = pairs(a.work, a.questions, a.tokens, a.batch)
    answerer = LocalBackend(lm, max_new_tokens=a.tokens, temperature=1.0, batch_size=16)
    other = pairs_of(respond(answerer, load_trait(), a.work, a.questions, seed=1, progress=False))
    def acts(ps):
        flat = [r for p in ps for r in p]
        x = activations(lm, [persona_prompt(r['system'], r['user']) for r in flat], [r['response'] for r in flat],
                        a.batch, progress=False)['response_avg']
        return x[0::2], x[1::2]
    (pos, neg), (pos1, neg1) = acts(ps), acts(other)
    halves, seeds = split_half(pos, neg), layer_cosines(mean_difference(pos, neg), mean_difference(pos1, neg1))
    mid = lm.n_layers // 2
    need = pairs_needed(pos, neg, mid)
    q = lambda v: f'min {np.min(v):.3f}, median {np.median(v):.3f}, max {np.max(v):.3f}'
    print(f'stability (response_avg, {len(ps)} pairs, layers 1..{lm.n_layers}, unfiltered):')
    print(f'  split-half cosine (mean of 20 splits): {q(halves["mean"][1:])}; layer {mid}: {halves["mean"][mid]:.3f}')
    print(f'  across seeds 0 and 1 ({len(other)} pairs): {q(seeds[1:])}; layer {mid}: {seeds[mid]:.3f}')
    print(f'  pairs for mean cosine >= 0.9 with all {len(ps)} at layer {mid}: {fewest_pairs(need)}; '
          + ', '.join(f"{r.pairs}: {r.mean:.2f}" for r in need.itertuples()))


if __name__ == '__main__':
    sys.exit(main())
