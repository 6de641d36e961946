"""Service-Centre Planner in the browser: from data to a proposal (``streamlit run app.py``).

The page walks through the planner's workflow: 1 Data, 2 Demand, 3 Sites,
4 Travel, 5 Model, then Run (the button in the sidebar; nothing is solved on a
widget change), Results (map, KPIs against today's centres, trade-off curve,
site table, worst-served areas, downloads) and Scenarios (save, reopen and
compare runs in a scenario library on disk).

This file is only the script Streamlit starts: the pages are in
``planner.app.views`` (one module per step) and every computation in
``planner.app`` (tested without a browser), ``planner.inputs.uploads`` (uploads) and
``planner.runs.library`` (saved scenarios). Each browser session keeps its uploads in
its own private temporary folder and its settings in ``st.session_state``;
caches are keyed by content (settings plus SHA-256 of every input file), so no
session ever sees another's data.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="供电营业厅选址 · Service-Centre Planner", page_icon="⚡", layout="wide"
)

from planner.app.views.common import show_error  # noqa: E402 - after set_page_config
from planner.app.views.page import main  # noqa: E402

try:
    main()
except Exception as exc:  # the last guard: a bug shows as one message (and in the log)
    show_error(exc)
