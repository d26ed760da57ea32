# Causal Inference for Recommender Systems: build, test and run the book.
#   make book       install (first time), execute every chapter, build HTML
#   make test       run the whole test suite (library, chapters, book, browser)
#   make lab        JupyterLab, chapters open as notebooks on double-click
#   make notebooks  full, student and answer-key .ipynb for every chapter,
#                   plus the students' zip
#   make grade SUBMISSIONS=dir  autograde a folder of submitted notebooks
#   make bench      speed benchmarks (figures printed and saved)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
INSTALLED := $(VENV)/.installed
SITE := _build/html
BUILT := $(SITE)/.built
SOURCES := _config.yml _toc.yml $(wildcard book/*.md book/*.bib \
	book/_ext/*.py book/figures/* causal_lib/*.py)
PYTEST_ARGS ?=
LAB_ARGS ?=
SUBMISSIONS ?=
# nbgrader (the instructor extra) and the notebook package it pulls in
# register Jupyter extensions; make lab is the students' Lab, without them.
GRADER_SERVER := $(addprefix nbgrader.server_extensions.,formgrader \
	validate_assignment assignment_list course_list) notebook
GRADER_LAB := @jupyter/nbgrader @jupyter-notebook/lab-extension

.PHONY: book test lab notebooks grade bench install lock clean

book: $(BUILT)
	@echo "The book is built: open $(SITE)/index.html in a browser."

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock \
		-e ".[book,test,instructor]"
	@for e in $(GRADER_SERVER); do $(BIN)/jupyter server extension \
		disable --sys-prefix $$e >/dev/null 2>&1 || exit 1; done
	@for e in $(GRADER_LAB); do $(BIN)/jupyter labextension disable \
		--level=sys_prefix $$e >/dev/null 2>&1 || exit 1; done
	@touch $@

install: $(INSTALLED)

# Rebuilt only when a source changed ($(wildcard) is read on every run, so
# new files count too). Sphinx then re-executes the chapters that changed,
# and every chapter when causal_lib, book/_ext or the configuration changed
# (booktools' fingerprint of `booktools_watch`), so nothing stale is shown.
$(BUILT): $(INSTALLED) $(SOURCES)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@touch $@

test: $(INSTALLED)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lab: $(INSTALLED)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp book/_ext/lab-overrides.json \
		$(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab $(LAB_ARGS) book/

# After the book's build, so that glued numbers in the text are the built
# ones (read from _build/jupyter_execute).
notebooks: $(BUILT)
	$(PY) book/_ext/coursework.py notebooks notebooks _build/jupyter_execute
	@echo "Notebooks in notebooks/full, notebooks/student and" \
		"notebooks/answers; hand out notebooks/student-notebooks.zip."

grade: $(INSTALLED)
	@test -n "$(SUBMISSIONS)" || \
		{ echo "usage: make grade SUBMISSIONS=<folder of .ipynb>"; exit 2; }
	$(PY) book/_ext/coursework.py grade $(SUBMISSIONS)

bench: $(INSTALLED)
	$(PY) bench/run.py

# Refresh the lock after changing dependency ranges in pyproject.toml.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e ".[book,test,instructor]"
	.lock-venv/bin/pip freeze --exclude-editable \
		| grep -v '^causal.lib' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf _build notebooks
