# Causal Inference for Recommender Systems: build, test and run the book.
#   make book       install (first time), execute every chapter, build HTML
#   make book SOLUTIONS=hide   the student site: no solutions, own folder
#   make pdf        the whole book as one PDF, printed by chromium
#   make test       run the whole test suite (library, chapters, book, browser)
#   make lab        JupyterLab at the repository root (MyST rendered)
#   make notebooks  full, student and answer-key .ipynb for every chapter,
#                   plus the students' zip
#   make grade SUBMISSIONS=dir  autograde a folder of submitted notebooks
#   make bench      speed benchmarks (figures printed and saved)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
INSTALLED := $(VENV)/.installed
# SOLUTIONS=fold (default) folds each solution under its exercise;
# SOLUTIONS=hide leaves them out, into its own folder so that the two
# sites never overwrite each other.
SOLUTIONS ?= fold
ifeq ($(SOLUTIONS),fold)
OUT := .
else ifeq ($(SOLUTIONS),hide)
OUT := _build/student
else
$(error SOLUTIONS is "$(SOLUTIONS)"; use fold or hide)
endif
SITE := $(OUT)/_build/html
BUILT := $(SITE)/.built
# The PDF is printed from a one-page build in its own folder.
PDF := _build/pdf/book$(if $(filter hide,$(SOLUTIONS)),-student).pdf
PDF_OUT := _build/pdf-$(SOLUTIONS)
# jupyter-book prints the PDF with Playwright's own headless chromium; it
# finds Debian's chromium through this folder of links instead.
BROWSERS := _build/playwright-browsers
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
SOURCES := _config.yml _toc.yml $(wildcard book/*.md book/*.bib \
	book/_ext/*.py book/_ext/static/* book/figures/* causal_lib/*.py)
PYTEST_ARGS ?=
LAB_ARGS ?=
SUBMISSIONS ?=
# nbgrader (the instructor extra) and the notebook package it pulls in
# register Jupyter extensions; make lab is the students' Lab, without them.
GRADER_SERVER := $(addprefix nbgrader.server_extensions.,formgrader \
	validate_assignment assignment_list course_list) notebook
GRADER_LAB := @jupyter/nbgrader @jupyter-notebook/lab-extension

.PHONY: book pdf test lab notebooks grade bench install lock clean

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
	BOOK_SOLUTIONS=$(SOLUTIONS) $(BIN)/jupyter-book build . \
		--path-output $(OUT) --warningiserror --keep-going
	@touch $@

pdf: $(PDF)
	@echo "The PDF is built: $(PDF)"

$(PDF): $(INSTALLED) $(SOURCES)
	@test -n "$(CHROMIUM)" || { echo "make pdf needs chromium" \
		"(apt-get install chromium)"; exit 1; }
	$(PY) book/_ext/pdfbrowser.py $(BROWSERS) $(CHROMIUM)
	PLAYWRIGHT_BROWSERS_PATH=$(CURDIR)/$(BROWSERS) BOOK_SOLUTIONS=$(SOLUTIONS) \
		$(BIN)/jupyter-book build . --builder pdfhtml \
		--path-output $(PDF_OUT) --warningiserror --keep-going
	@mkdir -p $(@D)
	cp $(PDF_OUT)/_build/pdf/book.pdf $@

test: $(INSTALLED)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lab: $(INSTALLED)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp book/_ext/lab-overrides.json \
		$(VENV)/share/jupyter/lab/settings/overrides.json
	@test -d notebooks/student || $(MAKE) --no-print-directory notebooks
	$(BIN)/jupyter lab $(LAB_ARGS) .

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
