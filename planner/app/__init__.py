"""The Streamlit workbench, split in two layers.

* Plain functions, tested without a browser: :mod:`~planner.app.state` (widget values <->
  scenario, cache keys), :mod:`~planner.app.run` (one run, its curve, its status in words),
  :mod:`~planner.app.tables`, :mod:`~planner.app.maps` and :mod:`~planner.app.downloads`.
* :mod:`planner.app.views`: the pages drawn with Streamlit, one module per step.

``app.py`` at the project root is the script ``streamlit run`` starts.
No module-level mutable state: Streamlit sessions share one process.
"""
