"""The Streamlit app: six pages for HR planners and training managers, every label in French.

``app.py`` (repository root) is the page registry; the pages live in ``workforce/ui/pages/`` (English file
names, French titles) and are thin scripts over the cached loaders of :mod:`workforce.ui.data` and the
presentation helpers of :mod:`workforce.ui.common`. The UI calls the library; the library never imports the UI.

Rules every page keeps:

* every table and chart goes through :func:`workforce.ui.common.publish` (``privacy.protect``): a group of
  fewer than 5 agents is never shown, nor one that a published total would give back; a filtered view is
  checked against its neighbours (``privacy.filter_refusal``);
* library calls are cached (``st.cache_data`` for frames, ``st.cache_resource`` for the engine and models);
* no model is ever trained on a page load: models come from the registry, and when none exists the page says
  how to create them (``workforce train``);
* a module of the library not yet available gives a French message, never made-up figures;
* every widget has a stable English ``key`` (the tests and the browser test drive them by key).
"""
