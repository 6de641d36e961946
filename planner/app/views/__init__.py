"""The app's pages (Streamlit): one module per step; ``app.py`` at the project root only calls
:func:`planner.app.views.page.main`. Every computation is in :mod:`planner.app` (no Streamlit)."""
