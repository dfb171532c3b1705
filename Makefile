# The two commands of the README, plus the benchmarks. Each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo keeps its data in the repository's var/ (absolute, so every command and the app agree); the tool's
# own default is the per-user ~/.local/share/workforce. The pseudonymisation key stays outside var/, in
# ~/.config/workforce/secret.key (or WORKFORCE_KEY_FILE), created with mode 0600 by `workforce db key`.
export WORKFORCE_HOME ?= $(abspath var)
HOME_DIR := $(WORKFORCE_HOME)
DEMO_DB := $(HOME_DIR)/workforce.db
PORT ?= 8501

.PHONY: demo test bench install chromium app clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium drives the end-to-end test of the app (never a browser downloaded by a test tool)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installation de chromium (paquet Debian) pour le test de bout en bout..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
		|| echo "chromium n'a pas pu être installé : le test de bout en bout sera ignoré"; \
	fi

# the demo database is built once; `make clean` or `workforce synth` rebuilds it
$(DEMO_DB): | $(STAMP)
	$(BIN)/workforce synth --agents 8000 --years 10 --seed 42

demo: $(STAMP) $(DEMO_DB)
	@echo "== 1/4 Base de démonstration : $(DEMO_DB) (département synthétique de 8 000 agents)"
	@$(BIN)/workforce db key
	@$(BIN)/workforce db stats
	@echo "== 2/4 Référentiel ROME 4.0 (environ 30 s)"
	@if [ -n "$$WORKFORCE_ROME_DIR" ] || [ -d ../shared/data/rome ]; then \
		t=$$(date +%s); $(BIN)/workforce referential import-rome >/dev/null && echo "   importé en $$(( $$(date +%s) - t )) s"; \
	else echo "   pas de ROME 4.0 (WORKFORCE_ROME_DIR ou ../shared/data/rome) : expositions aux transitions non calculées"; fi
	@echo "== 3/4 Entraînement des modèles (environ une minute sur 2 cœurs libres ; rien à faire s'il est déjà fait)"
	@t=$$(date +%s); $(BIN)/workforce train --jobs 2 && echo "   entraînement : $$(( $$(date +%s) - t )) s"
	@echo "== 4/4 Application (démonstration locale, sans authentification, sur cette machine seulement) : http://localhost:$(PORT)"
	@echo "   le serveur tourne jusqu'à Ctrl+C"
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

app: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/bench_db.py
	$(BIN)/python bench/bench_synth.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_retirement.py
	$(BIN)/python bench/bench_skills.py
	$(BIN)/python bench/bench_passerelles.py
	$(BIN)/python bench/bench_projection.py
	$(BIN)/python bench/bench_end_to_end.py
	$(BIN)/python bench/bench_demand.py
	$(BIN)/python bench/bench_train.py
	$(BIN)/python bench/bench_app.py
	$(BIN)/python bench/bench_sweep.py
	$(BIN)/python bench/bench_dsn.py

# only the demo's var/, never a WORKFORCE_HOME set elsewhere (it may hold real data)
clean:
	rm -rf $(VENV) var/workforce.db* var/synth var/models
