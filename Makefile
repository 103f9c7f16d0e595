# Everything a fresh machine needs is built from the project's own files:
#   make rehearse   the whole pipeline end to end against moto (no AWS account)
#   make test       the whole suite (lint, unit, pipeline, property-based, Terraform, checkov)
#   make bench      data-path benchmarks against a naive baseline, then the scale model
#   make model      the scale model alone: the replay path on AWS, simulated (bench/scale_model.py)
#   make docs       regenerate the README's reference tables
#   make package    rebuild the committed Lambda package after changing lambda_src

PYTHON     ?= python3
VENV       := .venv
CHECKOV    := .venv-checkov
TF_OFFLINE ?= ../shared/tools/terraform-offline/setup
PYTEST_ARGS ?=

# Put the offline Terraform on PATH when the shared tool is beside the repo (no registry here);
# elsewhere the terraform already on PATH is used.
TF_ENV := if [ -x "$(TF_OFFLINE)" ]; then eval "$$("$(TF_OFFLINE)")"; fi;

.PHONY: test rehearse bench model docs package lint fmt clean venv

venv: $(VENV)/.stamp $(CHECKOV)/.stamp

# Rebuilt only when a lock or the package metadata changes.
$(VENV)/.stamp: requirements/dev.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(CHECKOV)/.stamp: requirements/checkov.txt
	rm -rf $(CHECKOV)
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	touch $@

test: venv
	@$(TF_ENV) CHECKOV_BIN="$(CURDIR)/$(CHECKOV)/bin/checkov" $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

rehearse: $(VENV)/.stamp
	@$(VENV)/bin/pitrctl rehearse $(ARGS)

bench: $(VENV)/.stamp
	$(VENV)/bin/python -m bench $(ARGS)

model: $(VENV)/.stamp
	$(VENV)/bin/python -m bench.scale_model $(ARGS)

docs: $(VENV)/.stamp
	$(VENV)/bin/python -m tools.readme_reference

# The Lambda package committed with the module (lambda_package/pitr.zip): rebuild after changing
# lambda_src (tests/test_package.py fails until then). Byte-for-byte reproducible.
package:
	$(PYTHON) -m tools.build_package

fmt: $(VENV)/.stamp
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	@$(TF_ENV) terraform fmt -recursive

clean:
	rm -rf $(VENV) $(CHECKOV) .pytest_cache .ruff_cache .hypothesis
	find . -name .terraform -type d -prune -exec rm -rf {} +
	find . -name .terraform.lock.hcl -delete
	find . -name .build -type d -prune -exec rm -rf {} +
