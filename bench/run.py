"""Cases per second of the runners, on the embedded model and this machine.

Local: `run` with the batched local backend against a per-case loop (batch size 1), greedy, same outputs.
API: `run` against llama.cpp's server (the embedded GGUF on loopback) at concurrency 1 and 8. That server answers
one request at a time, so a second pair of runs adds 1 s of round-trip latency per request (FaultProxy's delay,
no faults) and short answers, as with a distant API, where concurrency pays.
Prints one JSON object with the timings and the ratios.   Usage: python bench/run.py [--cases 16] [--tokens 64]
"""
import argparse, json, tempfile, time

from survival_pressure.bench import load_cases
from survival_pressure.models import load_model
from survival_pressure.backends import APIBackend, LocalBackend
from survival_pressure.fixtures import FaultProxy, serve_gguf
from survival_pressure.run import run


def timed(cases, backend):
    t0 = time.perf_counter()
    records = run(cases, backend, tempfile.mkdtemp(), progress=False)
    return time.perf_counter() - t0, [r['response'] for r in records]


def main(n_cases=16, tokens=64, batch=8):
    cases = load_cases('seed')[:n_cases]
    lm = load_model('embedded')
    timed(cases[:2], LocalBackend(lm, max_new_tokens=8, temperature=0))  # warm-up
    loop_s, loop_out = timed(cases, LocalBackend(lm, max_new_tokens=tokens, temperature=0, batch_size=1))
    batch_s, batch_out = timed(cases, LocalBackend(lm, max_new_tokens=tokens, temperature=0, batch_size=batch))
    out = dict(cases=n_cases, max_new_tokens=tokens,
               local=dict(loop_cases_per_s=n_cases / loop_s, batched_cases_per_s=n_cases / batch_s, batch_size=batch,
                          ratio=loop_s / batch_s, same_outputs=sum(a == b for a, b in zip(loop_out, batch_out))))
    with serve_gguf() as url:
        api = lambda c: APIBackend('smollm2-135m', url, api_key_env=None, max_tokens=tokens, temperature=0, concurrency=c)
        timed(cases[:2], api(1))  # warm-up
        one_s, one_out = timed(cases, api(1))
        eight_s, eight_out = timed(cases, api(8))
        with FaultProxy(url, fail=0, stall=0, delay=1.0) as proxy:
            far = lambda c: APIBackend('smollm2-135m', proxy.url, api_key_env=None, max_tokens=8, temperature=0, concurrency=c)
            far1_s, _ = timed(cases, far(1))
            far8_s, _ = timed(cases, far(8))
    out['api'] = dict(c1_cases_per_s=n_cases / one_s, c8_cases_per_s=n_cases / eight_s, ratio=one_s / eight_s,
                      same_outputs=sum(a == b for a, b in zip(one_out, eight_out)))
    out['api_1s_latency'] = dict(max_tokens=8, c1_cases_per_s=n_cases / far1_s, c8_cases_per_s=n_cases / far8_s, ratio=far1_s / far8_s)
    print(json.dumps(out, indent=1))
    print(f"local batched/loop: {out['local']['ratio']:.2f}x ({out['local']['same_outputs']}/{n_cases} identical); "
          f"api concurrency 8/1: {out['api']['ratio']:.2f}x ({out['api']['same_outputs']}/{n_cases} identical); "
          f"with 1 s latency: {out['api_1s_latency']['ratio']:.2f}x")


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--cases', type=int, default=16); p.add_argument('--tokens', type=int, default=64); p.add_argument('--batch', type=int, default=8)
    a = p.parse_args()
    main(a.cases, a.tokens, a.batch)
