"""Batched generation against a per-prompt loop on the embedded model, and cold vs warm load time.

Prints tokens/s for a loop over single prompts and for batches of 8 and 16 over the same prompts, every
prompt forced to the same number of new tokens, and the ratios from this one run. Target: batched >= 4x.
    python bench/generation.py [--tokens 32] [--quantize 4bit]
"""
import argparse, json, tempfile, time
from survival_pressure.models import embedded_gguf, gguf_to_folder, load_model

TOPICS = ['the sea', 'a lighthouse', 'trains', 'bread', 'winter', 'a library', 'bees', 'the moon',
          'a market', 'rivers', 'chess', 'a garden', 'clocks', 'mountains', 'a bridge', 'rain']
PROMPTS = [f'Write {k + 1} sentences about {t}.' for k, t in enumerate(TOPICS)]

def timed(f):
    t0 = time.perf_counter(); out = f(); return out, time.perf_counter() - t0

def main():
    p = argparse.ArgumentParser(); p.add_argument('--tokens', type=int, default=32); p.add_argument('--quantize')
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        _, convert = timed(lambda: gguf_to_folder(embedded_gguf(), dest=f'{d}/m'))
    gguf_to_folder(embedded_gguf())  # make sure the shared cache exists before timing the warm load
    lm, warm = timed(lambda: load_model('embedded', quantize=a.quantize))
    kw = dict(max_new_tokens=a.tokens, min_new_tokens=a.tokens, progress=False)
    n_tokens = len(PROMPTS) * a.tokens
    lm.generate(PROMPTS[:2], **kw)  # warm-up
    loop, t_loop = timed(lambda: [lm.generate(q, **kw) for q in PROMPTS])
    rows = {'loop (batch 1)': t_loop}
    for bs in (8, 16):
        out, rows[f'batch {bs}'] = timed(lambda: lm.generate(PROMPTS, batch_size=bs, **kw))
        assert [g.text for g in out] == [g.text for g in loop], f'batch {bs} differs from the loop'
    print(f'embedded model, quantize={a.quantize}, {len(PROMPTS)} prompts x {a.tokens} new tokens')
    print(f'load: cold (GGUF -> safetensors + load) {convert + warm:.1f} s, warm (cache) {warm:.2f} s')
    for name, t in rows.items():
        print(f'{name:>15}: {n_tokens / t:7.1f} tokens/s  ({t:.1f} s)  ratio vs loop {t_loop / t:.2f}x')
    print(json.dumps({'cold_load_s': convert + warm, 'warm_load_s': warm, **{k: n_tokens / t for k, t in rows.items()}}))

if __name__ == '__main__':
    main()
